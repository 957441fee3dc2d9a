"""A digit redrawn with another pen: its one-pixel skeleton traced with a round nib.

MNIST's strokes are scanned ink, wider in some places than others; a canvas stroke has one
width from end to end, set by the pen. `redraw` turns the first into the second, at any width:

    >>> thin = redraw(Image.open("seven.png"), width=3)    # 'L', white on black, same size

Training uses it so that the model sees pen-drawn digits; `bench/conditions.py` uses it to
draw the thin- and thick-pen test sets. Pillow and NumPy only.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

INK_LEVEL = 100  # pixels above this (of 255) are ink when the skeleton is traced


def _removal_tables() -> tuple[np.ndarray, np.ndarray]:
    """For each of the 256 neighbourhoods of a pixel (bit i set when neighbour P(i+2) is ink,
    clockwise from north), whether the first and the second sub-iteration remove it."""
    codes = np.arange(256)
    n = [(codes >> i) & 1 for i in range(8)]
    count = sum(n)
    crossings = sum((n[i] == 0) & (n[(i + 1) % 8] == 1) for i in range(8))
    thin = (count >= 2) & (count <= 6) & (crossings == 1)
    first = thin & ((n[0] & n[2] & n[4]) | (n[2] & n[4] & n[6]) == 0)
    second = thin & ((n[0] & n[2] & n[6]) | (n[0] & n[4] & n[6]) == 0)
    return first, second


_REMOVE = _removal_tables()


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Thin a boolean mask to lines one pixel wide, keeping every part connected
    (Zhang & Suen 1984, "A fast parallel algorithm for thinning digital patterns"); each
    pixel's eight neighbours are read as one byte and looked up in `_REMOVE`."""
    out = np.zeros(mask.shape, bool)
    rows, cols = np.flatnonzero(mask.any(axis=1)), np.flatnonzero(mask.any(axis=0))
    if not rows.size:
        return out
    crop = (slice(rows[0], rows[-1] + 1), slice(cols[0], cols[-1] + 1))  # nothing outside the ink changes
    img = np.pad(mask[crop].astype(np.uint8), 1)
    centre = img[1:-1, 1:-1]
    # The eight neighbours P2..P9, clockwise from north: views that see every removal at once.
    n = [img[:-2, 1:-1], img[:-2, 2:], img[1:-1, 2:], img[2:, 2:], img[2:, 1:-1], img[2:, :-2], img[1:-1, :-2], img[:-2, :-2]]
    removed = True
    while removed:
        removed = False
        for table in _REMOVE:
            code = n[0] | n[1] << 1 | n[2] << 2 | n[3] << 3 | n[4] << 4 | n[5] << 5 | n[6] << 6 | n[7] << 7
            remove = table[code] & (centre == 1)
            if remove.any():
                centre[remove] = 0
                removed = True
    out[crop] = centre.astype(bool)
    return out


def redraw(image: Image.Image, width: float, blur: float = 0.7) -> Image.Image:
    """`image` ('L', white ink on black) traced along its skeleton with a round pen `width`
    pixels wide, edges softened by a Gaussian blur of radius `blur` (anti-aliasing)."""
    return trace(skeleton(np.asarray(image.convert("L")) > INK_LEVEL), image.size, width, blur)


def trace(core: np.ndarray, size: tuple[int, int], width: float, blur: float) -> Image.Image:
    """A skeleton (boolean, as `skeleton` gives) traced with a round pen `width` pixels wide
    on a black 'L' picture of `size`, edges softened by a Gaussian blur of radius `blur`."""
    out = Image.new("L", size)
    draw = ImageDraw.Draw(out)
    r = max(width, 1.0) / 2
    for y, x in zip(*np.nonzero(core)):
        draw.ellipse([x - r + 0.5, y - r + 0.5, x + r - 0.5, y + r - 0.5], fill=255)
    return out.filter(ImageFilter.GaussianBlur(blur)) if blur > 0 else out
