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


def skeleton(mask: np.ndarray) -> np.ndarray:
    """Thin a boolean mask to lines one pixel wide, keeping every part connected
    (Zhang & Suen 1984, "A fast parallel algorithm for thinning digital patterns")."""
    img = np.pad(mask.astype(np.uint8), 1)
    while True:
        removed = False
        for step in (0, 1):
            centre = img[1:-1, 1:-1]
            # The eight neighbours P2..P9, clockwise from north.
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


def redraw(image: Image.Image, width: float, blur: float = 0.7) -> Image.Image:
    """`image` ('L', white ink on black) traced along its skeleton with a round pen `width`
    pixels wide, edges softened by a Gaussian blur of radius `blur` (anti-aliasing)."""
    core = skeleton(np.asarray(image.convert("L")) > INK_LEVEL)
    out = Image.new("L", image.size)
    draw = ImageDraw.Draw(out)
    r = max(width, 1.0) / 2
    for y, x in zip(*np.nonzero(core)):
        draw.ellipse([x - r + 0.5, y - r + 0.5, x + r - 0.5, y + r - 0.5], fill=255)
    return out.filter(ImageFilter.GaussianBlur(blur)) if blur > 0 else out
