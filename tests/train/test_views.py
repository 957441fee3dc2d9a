"""The training views' cache: keyed by everything the views depend on, so it cannot go stale."""

from dataclasses import replace

import numpy as np

from app.contract import PROJECT_ROOT
from train.augment import AUGMENTATION, normalise
from train.config import TrainConfig
from train.views import cached_views, code_key, normalised_test, source_closure


def test_the_closure_holds_every_project_module_the_augmentation_reads():
    files = {str(p.relative_to(PROJECT_ROOT)) for p in source_closure("train.augment")}
    assert {"train/augment.py", "train/strokes.py", "app/preprocess.py", "app/images.py", "app/contract.py"} <= files
    assert "train/train.py" not in files and "app/main.py" not in files


def test_the_font_drawings_do_not_depend_on_how_numbers_are_read():
    files = {str(p.relative_to(PROJECT_ROOT)) for p in source_closure("train.font_data")}
    assert {"train/glyphs.py", "train/letterforms.py", "train/fonts.py", "app/preprocess.py"} <= files
    assert not files & {"app/numbers.py", "app/segment.py", "app/strokes.py", "app/recognizer.py"}


def test_the_key_changes_with_the_augmentation_settings():
    plain = code_key("train.augment", "data", 1, asdict_of(AUGMENTATION))
    assert plain == code_key("train.augment", "data", 1, asdict_of(AUGMENTATION))
    assert plain != code_key("train.augment", "data", 1, asdict_of(replace(AUGMENTATION, pen_share=0.5)))
    assert plain != code_key("train.augment", "other data", 1, asdict_of(AUGMENTATION))


def asdict_of(aug):
    from dataclasses import asdict

    return asdict(aug)


def test_views_are_cached_and_reused(tmp_path, mnist, capsys):
    x = mnist.x_test[:40]
    config = TrainConfig(copies=1, seed=3)
    first = cached_views(x, config, "hash", tmp_path)
    assert first.shape == (2, 40, 28, 28) and len(list(tmp_path.glob("views-*.npy"))) == 1
    again = cached_views(x, config, "hash", tmp_path)
    assert "using cached training views" in capsys.readouterr().out
    assert np.array_equal(first, again)
    cached_views(x, replace(config, augmentation=replace(AUGMENTATION, max_rotation=5.0)), "hash", tmp_path)
    assert len(list(tmp_path.glob("views-*.npy"))) == 2


def test_the_normalised_test_set_is_the_app_preprocessing(tmp_path, mnist):
    x = mnist.x_test[:30]
    assert np.array_equal(normalised_test(x, "hash", tmp_path), normalise(x))
    assert len(list(tmp_path.glob("test-*.npy"))) == 1
