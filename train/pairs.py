"""Two training digits written so that they touch, as "not one digit".

A number's digits often touch (`00`, a `1` leaning on the next digit). `Recognizer.read_number`
splits such ink by trying cuts and letting the model judge the pieces (app/numbers.py), which
works only if the model is unsure of two touching digits read as one: taught as the other
not-digits are (all ten alike), it is.

    >>> pairs = touching_pairs(views, y_train, 20000, seed=1)   # (20000, 28, 28) uint8

Each pair is two normalised training views (plain or augmented, `train/views.py`), the second
a little larger or smaller and higher or lower, placed so that their ink touches or overlaps
by a pixel in the rows they share, then normalised again by `app.preprocess.to_model_input`.
A third of them have a 1 on one side: a 1 is the digit most often merged with its neighbour.
"""

from __future__ import annotations

import numpy as np
from PIL import Image

from app.preprocess import to_model_input
from train.augment import in_chunks, to_uint8

ONE_SHARE = 1 / 3  # pairs with a 1 on one side
GAPS = (-1, 0, 1)  # narrowest gap between the two digits' ink in any row, in 28-px pixels
SIZE_RANGE = (0.85, 1.15)  # the second digit's height over the first's
DRIFT = 1.5  # typical vertical offset between them, 28-px pixels


def touching_pairs(views: np.ndarray, labels: np.ndarray, n: int, seed: int, workers: int | None = None) -> np.ndarray:
    """`n` normalised pictures of two touching digits: uint8 (n, 28, 28), reproducible for a
    seed whatever the number of worker processes."""
    return in_chunks(_pair_chunk, n, seed, views, labels, workers=workers)


def _pair_chunk(views: np.ndarray, labels: np.ndarray, size: int, seed: int, chunk: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 2000, chunk])
    ones = np.flatnonzero(labels == 1)
    out = []
    while len(out) < size:
        a, b = rng.integers(0, len(labels), size=2)
        if len(ones) and rng.random() < ONE_SHARE:
            if rng.random() < 0.5:
                a = rng.choice(ones)
            else:
                b = rng.choice(ones)
        copies = rng.integers(0, len(views), size=2)
        x = to_model_input(Image.fromarray(pair(views[copies[0], a], views[copies[1], b], rng), "L"))
        if x is not None:
            out.append(to_uint8(x))
    return np.stack(out)


def pair(left: np.ndarray, right: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """`left` and `right` (28x28 uint8, white on black) side by side, their ink touching."""
    scale = rng.uniform(*SIZE_RANGE)
    side = max(4, int(round(28 * scale)))
    right = np.asarray(Image.fromarray(right).resize((side, side), Image.Resampling.BILINEAR))
    height = max(28, side) + 8
    field = np.zeros((height, 28 + side + 28), np.uint8)
    top_left = (height - 28) // 2
    field[top_left : top_left + 28, :28] = left
    top = int(np.clip(round((height - side) / 2 + rng.normal(0, DRIFT)), 0, height - side))
    placed = np.zeros_like(field)
    placed[top : top + side, :side] = right
    x = _touching_shift(field > 0, placed > 0, int(rng.choice(GAPS)))
    placed = np.roll(placed, x, axis=1) if x >= 0 else placed
    return np.maximum(field, placed)


def _touching_shift(fixed: np.ndarray, moving: np.ndarray, gap: int) -> int:
    """How far right to move `moving` so that its ink is `gap` pixels right of `fixed`'s in
    the row where they come closest (negative gap: overlapping)."""
    rows = np.flatnonzero(fixed.any(axis=1) & moving.any(axis=1))
    if not len(rows):  # no shared row: side by side by their boxes
        last = np.flatnonzero(fixed.any(axis=0))
        first = np.flatnonzero(moving.any(axis=0))
        return int(last.max() - first.min() + 1 + gap) if len(last) and len(first) else 0
    right_edge = fixed.shape[1] - 1 - np.argmax(fixed[rows, ::-1], axis=1)
    left_edge = np.argmax(moving[rows], axis=1)
    return int(max(0, (right_edge - left_edge).max() + 1 + gap))
