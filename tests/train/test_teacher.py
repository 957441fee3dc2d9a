"""The MNIST-only teacher: its answers become part of MNIST's targets, and only the pinned file is used."""

import numpy as np
import pytest

from train.augment import normalise
from train.config import TrainConfig
from train.epoch import epoch_examples
from train.teacher import TEACHER_MODEL, TeacherError, check_teacher, soften, teacher_probabilities
from train.train import Data, parse_args


def _data(teacher=None, n=300):
    views = np.zeros((2, n, 28, 28), np.uint8)
    views[1] = 255  # view 1 inked, view 0 blank: the epoch's pick can be read off the picture
    junk = np.full((40, 28, 28), 128, np.uint8)
    labels = np.arange(n, dtype=np.uint8) % 10
    return Data(views, labels, views[0, :1], labels[:1], junk, None, None, "", teacher=teacher)


def test_without_a_teacher_mnist_digits_are_taught_their_label():
    x, wanted, _ = epoch_examples(_data(), TrainConfig(), np.random.default_rng(0))
    digits = wanted.max(axis=1) == 1
    assert digits.sum() == 300 and np.allclose(wanted[~digits], 0.1)


@pytest.mark.parametrize("share", [0.0, 0.5, 1.0])
def test_with_a_teacher_mnist_targets_mix_the_label_with_its_answer_for_the_view_picked(share):
    n = 300
    teacher = np.zeros((2, n, 10), np.float16)
    teacher[0, :, 3] = 1  # the blank view: "a 3"
    teacher[1, :, 7] = 1  # the inked view: "a 7"
    x, wanted, _ = epoch_examples(_data(teacher, n), TrainConfig(teacher_share=share), np.random.default_rng(0))
    mnist = ~np.isclose(wanted, 0.1).all(axis=1)  # the not-digits stay all ten alike
    assert mnist.sum() == n
    said = np.eye(10)[np.where(x[mnist].max(axis=(1, 2)) == 255, 7, 3)]
    label = np.sort(wanted[mnist] - share * said, axis=1)  # what is left is the label's one-hot, scaled
    assert np.allclose(label[:, -1], 1 - share, atol=1e-6) and np.allclose(label[:, :-1], 0, atol=1e-6)


def test_the_teacher_answers_for_the_view_and_is_made_once(mnist, tmp_path, monkeypatch):
    views = normalise(mnist.x_train[:40])[None]
    probs = teacher_probabilities(views, TEACHER_MODEL, tmp_path)
    assert probs.shape == (1, 40, 10) and probs.dtype == np.float16
    assert np.allclose(probs.astype(np.float32).sum(axis=2), 1, atol=1e-2)
    assert (probs[0].argmax(axis=1) == mnist.y_train[:40]).mean() >= 0.95
    import keras

    monkeypatch.setattr(keras.models, "load_model", lambda *a, **k: pytest.fail("the cached answers were not used"))
    assert np.array_equal(teacher_probabilities(views, TEACHER_MODEL, tmp_path), probs)


def test_a_warmer_teacher_gives_its_runners_up_more_weight_in_the_same_order():
    p = np.array([[0.9, 0.09, 0.009, 0.001] + [0.0] * 6], np.float32)
    assert np.allclose(soften(p, 1.0), p, atol=1e-6)
    warm = soften(p, 2.0)
    assert np.allclose(warm.sum(), 1) and warm[0, 1] > p[0, 1] and warm[0, 0] < p[0, 0]
    assert list(np.argsort(-warm[0])[:4]) == [0, 1, 2, 3]
    assert np.allclose(warm[0, :3], np.sqrt(p[0, :3]) / np.sqrt(p[0]).sum(), atol=1e-5)


def test_the_teacher_is_the_pinned_file():
    assert check_teacher(TEACHER_MODEL) == check_teacher(TEACHER_MODEL, sha256=None)


def test_the_teacher_is_the_pinned_file_fail(tmp_path):
    with pytest.raises(TeacherError, match="not found.*git checkout models/"):
        check_teacher(tmp_path / "missing.keras")
    other = tmp_path / "other.keras"
    other.write_bytes(b"not the teacher")
    with pytest.raises(TeacherError, match="has sha256 .*, expected"):
        teacher_probabilities(np.zeros((1, 2, 28, 28), np.uint8), other, tmp_path)


def test_the_teacher_is_an_argument():
    assert parse_args(["--teacher", "--teacher-share", "0.3"]).config.teacher_share == 0.3
    assert parse_args(["--teacher"]).config.teacher and not parse_args(["--no-teacher"]).config.teacher
    assert parse_args(["--teacher-temperature", "2"]).config.teacher_temperature == 2


def test_the_teacher_is_an_argument_fail(capsys):
    with pytest.raises(SystemExit):
        parse_args(["--teacher-share", "1.5"])
    assert "teacher_share=1.5" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        parse_args(["--teacher-temperature", "0"])
    assert "teacher_temperature=0" in capsys.readouterr().err
