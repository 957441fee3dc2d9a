"""Redrawing a digit with another pen: a one-pixel skeleton, traced with a round nib."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from train.strokes import redraw, skeleton


def _stroke_width(image: Image.Image) -> float:
    """Width of a drawn stroke: its area over half its outline (a stroke of length L and
    width w has area L*w and an outline of about 2L)."""
    ink = np.asarray(image) > 127
    inner = ink[1:-1, 1:-1] & ink[:-2, 1:-1] & ink[2:, 1:-1] & ink[1:-1, :-2] & ink[1:-1, 2:]
    return 2 * ink.sum() / (ink.sum() - inner.sum())


def _components(mask: np.ndarray, diagonal: bool) -> int:
    """Number of connected regions of True in mask (8-connected if diagonal, else 4)."""
    steps = [(1, 0), (-1, 0), (0, 1), (0, -1)] + ([(1, 1), (1, -1), (-1, 1), (-1, -1)] if diagonal else [])
    seen = np.zeros_like(mask)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if seen[start]:
            continue
        count += 1
        stack = [start]
        seen[start] = True
        while stack:
            y, x = stack.pop()
            for q in ((y + dy, x + dx) for dy, dx in steps):
                if 0 <= q[0] < mask.shape[0] and 0 <= q[1] < mask.shape[1] and mask[q] and not seen[q]:
                    seen[q] = True
                    stack.append(q)
    return count


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
    assert _components(core, diagonal=True) == 1  # one closed line
    assert _components(~core, diagonal=False) == 2  # which still has an inside and an outside


@pytest.mark.parametrize("width", [3, 9, 25])
def test_redrawn_strokes_have_the_pen_width(width):
    img = Image.new("L", (200, 200))
    ImageDraw.Draw(img).line([(30, 40), (170, 60), (60, 170)], fill=255, width=14)
    out = redraw(img, width)
    assert out.size == img.size and out.mode == "L"
    assert abs(_stroke_width(out) - width) <= 0.25 * width + 1


def test_redrawing_nothing_gives_nothing():
    assert np.asarray(redraw(Image.new("L", (50, 50)), 10)).max() == 0
