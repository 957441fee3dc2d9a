"""Augmentation: realistic variants that still look like app input, reproducibly."""

import numpy as np
from PIL import Image, ImageFilter

from train.augment import augment_one, augmented_views, normalise, thicker


def test_views_are_normalised_digits(mnist):
    views = augmented_views(mnist.x_train[:40], copies=2, seed=0, workers=1)
    assert views.shape == (2, 40, 28, 28) and views.dtype == np.uint8
    # Normalised like app input: ink inside the 20x20 box region, centred by mass.
    for image in views.reshape(-1, 28, 28):
        ys, xs = np.nonzero(image > 25)
        assert ys.max() - ys.min() < 21 and xs.max() - xs.min() < 21
        mass = image.astype(float)
        cy = (mass.sum(1) * np.arange(28)).sum() / mass.sum()
        cx = (mass.sum(0) * np.arange(28)).sum() / mass.sum()
        assert abs(cy - 14) < 0.6 and abs(cx - 14) < 0.6


def test_views_differ_from_originals(mnist):
    originals = normalise(mnist.x_train[:40]).astype(float)
    views = augmented_views(mnist.x_train[:40], copies=1, seed=0, workers=1)[0].astype(float)
    assert np.abs(views - originals).mean() > 10  # in 0..255 units: really changed


def test_same_seed_same_views_whatever_the_workers(mnist):
    a = augmented_views(mnist.x_train[:30], copies=2, seed=5, workers=1)
    b = augmented_views(mnist.x_train[:30], copies=2, seed=5, workers=2)
    c = augmented_views(mnist.x_train[:30], copies=2, seed=6, workers=1)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_augment_one_keeps_the_digit_visible(mnist):
    rng = np.random.default_rng(0)
    for digit in mnist.x_train[:50]:
        out = augment_one(digit, rng)
        assert out.max() > 200 and (out > 128).sum() >= 20


def test_elastic_wobble_bends_strokes_without_moving_the_digit(mnist):
    from PIL import Image

    from train.augment import elastic

    rng = np.random.default_rng(0)
    for digit in mnist.x_train[:20]:
        image = Image.fromarray(digit).resize((112, 112), Image.Resampling.BICUBIC)
        before = np.asarray(image, dtype=float)
        after = np.asarray(elastic(image, rng, scale=4), dtype=float)
        assert after.shape == before.shape
        for axis in (0, 1):  # about as tall and as wide as it was (within 3 MNIST pixels)
            extent = [np.ptp(np.nonzero((im > 128).any(axis=axis))[0]) for im in (before, after)]
            assert abs(extent[0] - extent[1]) <= 3 * 4
        ys, xs = np.mgrid[0:112, 0:112]
        shift = [abs((m * after).sum() / after.sum() - (m * before).sum() / before.sum()) for m in (ys, xs)]
        assert max(shift) < 2 * 4  # its centre moves by less than two MNIST pixels
    assert np.abs(after - before).mean() > 1  # yet the strokes did move


def test_a_thicker_stroke_is_the_maximum_filter_of_its_size(mnist):
    big = Image.fromarray(mnist.x_train[0]).resize((56, 56), Image.Resampling.BICUBIC)
    for size in (3, 5, 7, 9, 11):
        assert np.array_equal(np.asarray(thicker(big, size)), np.asarray(big.filter(ImageFilter.MaxFilter(size))))
