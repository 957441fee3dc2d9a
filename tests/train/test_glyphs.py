"""Font glyphs drawn as the canvas draws them, the letterforms fonts lack, and the letters that are not digits."""

import numpy as np
import pytest

from train import letterforms
from train.data import DEFAULT_CACHE
from train.font_data import letterform_share, validation_families
from train.fonts import read_lock, training_fonts
from train.glyphs import DIGITS, NOT_DIGITS, drawn, font_digits, font_not_digits, glyph, load_font

FONTS_CACHED = (DEFAULT_CACHE / "fonts" / "files").is_dir()
needs_fonts = pytest.mark.skipif(not FONTS_CACHED, reason="training fonts not fetched yet (python -m train.fonts)")
LOOKALIKES = "OoQDIli|!Zz SsbGBgq/\\()[],'`$§°.jJT"


def test_not_digits_leave_out_the_lookalikes():
    assert not set(LOOKALIKES) & set(NOT_DIGITS)
    assert not set(DIGITS) & set(NOT_DIGITS)
    assert {"+", "A", "E", "y", "n", "?", "*"} <= set(NOT_DIGITS)  # the ones the old model called digits


@pytest.mark.parametrize("name", list(letterforms.FORMS))
def test_letterform_is_drawn_whole(name):
    rng = np.random.default_rng(0)
    for _ in range(20):
        image = letterforms.draw(letterforms.FORMS[name](rng), width=8, side=112)
        ink = np.asarray(image) > 128
        ys, xs = np.nonzero(ink)
        assert ink.sum() > 300, name  # real strokes, not a dot
        assert ys.min() > 0 and xs.min() > 0 and ys.max() < 111 and xs.max() < 111, name  # nothing cut off
        assert 70 <= max(ys.max() - ys.min(), xs.max() - xs.min()) <= 90, name  # fitted to 70 % of the field


def test_letterform_labels():
    assert letterforms.LABELS == {"1 short flag": 1, "1 long flag": 1, "7 crossed": 7, "4 open": 4, "9 straight stem": 9, "6 curled top": 6}


def test_validation_families_are_not_trained_on():
    held = validation_families()
    assert 5 <= len(held) <= len(read_lock()) // 8


@needs_fonts
def test_glyph_missing_from_font_is_none():
    font = load_font(training_fonts()[0].path)
    assert glyph(font, "\u4e00") is None  # a CJK character: not in a latin subset
    seven = glyph(font, "7")
    assert seven is not None and seven.size == (112, 112)


@needs_fonts
def test_drawn_glyph_is_model_input():
    font = load_font(training_fonts()[0].path)
    rng = np.random.default_rng(0)
    for pen in (True, False):
        x = drawn(glyph(font, "4"), rng, pen=pen)
        assert x.shape == (28, 28) and x.dtype == np.uint8 and x.max() > 200


@needs_fonts
def test_every_letterform_has_its_share_of_its_digit():
    """Coverage: each procedural letterform is at least 5 % of the drawings of its digit."""
    files = [f.path for f in training_fonts() if f.family not in validation_families()]
    x, y, form = font_digits(files, views=1, seed=1)
    share = letterform_share(form, y)
    assert set(share) == set(letterforms.FORMS)
    assert min(share.values()) >= 0.05, share
    assert len(x) == len(y) == len(form) and set(np.unique(y)) == set(range(10))


@needs_fonts
def test_font_drawings_are_reproducible_whatever_the_workers():
    files = [f.path for f in training_fonts()[:2]]
    a = font_not_digits(files, views=1, seed=3, workers=1)
    b = font_not_digits(files, views=1, seed=3, workers=2)
    assert np.array_equal(a, b) and len(a) > 50
