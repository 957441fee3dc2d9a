"""Redrawing a digit with another pen: a one-pixel skeleton, traced with a round nib."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from tests.support.flood import flood_labels
from train.strokes import redraw, skeleton


def _stroke_width(image: Image.Image) -> float:
    """Width of a drawn stroke: its area over half its outline (a stroke of length L and
    width w has area L*w and an outline of about 2L)."""
    ink = np.asarray(image) > 127
    inner = ink[1:-1, 1:-1] & ink[:-2, 1:-1] & ink[2:, 1:-1] & ink[1:-1, :-2] & ink[1:-1, 2:]
    return 2 * ink.sum() / (ink.sum() - inner.sum())


def test_a_thick_bar_thins_to_a_one_pixel_line():
    mask = np.zeros((40, 80), bool)
    mask[15:26, 10:70] = True
    core = skeleton(mask)
    rows = np.nonzero(core[:, 20:60].any(axis=1))[0]
    assert len(rows) == 1  # one pixel thick along the middle of the bar
    assert core.sum() >= 40  # and still as long as it was


def test_a_ring_keeps_its_hole():
    img = Image.new("L", (80, 80))
    ImageDraw.Draw(img).ellipse([10, 10, 70, 70], outline=255, width=12)
    core = skeleton(np.asarray(img) > 127)
    assert flood_labels(core, diagonal=True).max() == 1  # one closed line
    assert flood_labels(~core, diagonal=False).max() == 2  # which still has an inside and an outside


@pytest.mark.parametrize("width", [3, 9, 25])
def test_redrawn_strokes_have_the_pen_width(width):
    img = Image.new("L", (200, 200))
    ImageDraw.Draw(img).line([(30, 40), (170, 60), (60, 170)], fill=255, width=14)
    out = redraw(img, width)
    assert out.size == img.size and out.mode == "L"
    assert abs(_stroke_width(out) - width) <= 0.25 * width + 1


def test_redrawing_nothing_gives_nothing():
    assert np.asarray(redraw(Image.new("L", (50, 50)), 10)).max() == 0


def _zhang_suen(mask: np.ndarray) -> np.ndarray:
    """Zhang & Suen's thinning, written out rule by rule over the whole picture: the reference."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        removed = False
        for step in (0, 1):
            centre = img[1:-1, 1:-1]
            n = [img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:], img[2:, 2:], img[2:, 1:-1], img[2:, :-2], img[1:-1, :-2], img[:-2, :-2]]
            count = sum(p.astype(np.int16) for p in n)
            crossings = sum(((n[i] == 0) & (n[(i + 1) % 8] == 1)).astype(np.int16) for i in range(8))
            if step == 0:
                side = (n[0] & n[2] & n[4]) | (n[2] & n[4] & n[6])
            else:
                side = (n[0] & n[2] & n[6]) | (n[0] & n[4] & n[6])
            remove = (centre == 1) & (count >= 2) & (count <= 6) & (crossings == 1) & (side == 0)
            if remove.any():
                centre[remove] = 0
                removed = True
        if not removed:
            return img[1:-1, 1:-1].astype(bool)


def test_the_skeleton_is_the_one_zhang_and_suens_rules_give(mnist):
    x = mnist.x_train[:40]
    for digit in x:
        for side in (56, 112):
            mask = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BICUBIC)) > 100
            assert np.array_equal(skeleton(mask), _zhang_suen(mask))
    edge = np.zeros((20, 20), bool)
    edge[:, :6] = True  # ink on the picture's border
    assert np.array_equal(skeleton(edge), _zhang_suen(edge))
