"""Two touching training digits, taught as "not one digit"."""

import numpy as np
import pytest

from tests.support.epochs import inked_taught_as_not_a_digit
from train.augment import normalise
from train.pairs import _touching_shift, pair, touching_pairs


def _bar(rows: slice, cols: slice, shape=(28, 28)) -> np.ndarray:
    image = np.zeros(shape, bool)
    image[rows, cols] = True
    return image


def test_the_second_digit_is_moved_until_the_two_inks_are_the_gap_apart():
    fixed = _bar(slice(4, 24), slice(2, 10))  # ink in columns 2..9
    moving = _bar(slice(6, 20), slice(0, 5))
    for gap in (-1, 0, 1):
        shift = _touching_shift(fixed, moving, gap)
        assert shift == 10 + gap  # first column of the moved ink: 9 + 1 + gap


def test_the_gap_is_measured_in_the_row_where_the_digits_come_closest():
    fixed = np.zeros((28, 40), bool)
    fixed[4:24, 2:6] = True
    fixed[20:24, 2:16] = True  # a foot reaching right, low down: the closest row
    moving = np.zeros((28, 40), bool)
    moving[18:24, 0:4] = True
    assert _touching_shift(fixed, moving, 0) == 16


def test_a_pair_shows_both_digits_whole_and_at_most_a_column_apart():
    left = (_bar(slice(4, 24), slice(10, 18)) * 255).astype(np.uint8)
    right = (_bar(slice(4, 24), slice(8, 14)) * 255).astype(np.uint8)
    for seed in range(20):
        both = pair(left, right, np.random.default_rng(seed))
        assert any((both[o : o + 28, :28] >= left).all() for o in range(both.shape[0] - 27))  # the first, whole
        cols = np.flatnonzero((both > 0).any(axis=0))
        assert cols.max() - cols.min() + 1 - cols.size <= 1  # touching, overlapping or one column apart
        assert cols.size > 8  # the second is beside the first, not on it


def test_pairs_are_normalised_and_reproducible_whatever_the_workers(mnist):
    views = normalise(mnist.x_train[:60])[None]
    a = touching_pairs(views, mnist.y_train[:60], 30, seed=3, workers=1)
    b = touching_pairs(views, mnist.y_train[:60], 30, seed=3, workers=2)
    assert a.shape == (30, 28, 28) and a.dtype == np.uint8
    assert np.array_equal(a, b)
    for image in a:  # as the app sees it: the pair's ink fitted into the 20x20 box
        ys, xs = np.nonzero(image > 25)
        assert xs.max() - xs.min() < 21 and ys.max() - ys.min() < 21


def test_an_epoch_teaches_its_share_of_pairs_as_not_a_digit():
    from train.config import TrainConfig
    from train.train import Data

    blank = np.zeros((400, 28, 28), np.uint8)
    pairs = np.full((50, 28, 28), 255, np.uint8)  # stand-ins: the only ink in this epoch
    data = Data(blank[None], np.zeros(400, np.uint8), blank[:1], np.zeros(1, np.uint8), blank[:0], None, None, "", pairs=pairs)
    config = TrainConfig()
    assert inked_taught_as_not_a_digit(data, config) == int(config.pair_share * 400)


def test_an_epoch_weighs_mnist_digits_against_the_rest_as_asked():
    from train.config import TrainConfig
    from train.epoch import epoch_examples
    from train.train import Data

    blank = np.zeros((400, 28, 28), np.uint8)
    pairs = np.full((50, 28, 28), 255, np.uint8)  # the pairs are the only ink: MNIST's digits are blank
    data = Data(blank[None], np.zeros(400, np.uint8), blank[:1], np.zeros(1, np.uint8), blank[:0], None, None, "", pairs=pairs)
    for asked in (1.0, 3.0):
        x, _, weight = epoch_examples(data, TrainConfig(mnist_weight=asked), np.random.default_rng(0))
        inked = x.reshape(len(x), -1).max(axis=1) > 0
        assert weight.mean() == pytest.approx(1.0)
        assert np.allclose(weight[~inked] / weight[inked][0], asked) and np.allclose(weight[inked], weight[inked][0])
