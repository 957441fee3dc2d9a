"""Augmentation that makes MNIST look like what people draw and photograph.

Each augmented digit is a random affine warp (rotation, shear, uneven scale: the slant and
proportions of real handwriting) with a thicker or thinner stroke (pens and fingers), then
passes through `app.preprocess.to_model_input`, the same normalisation the app applies to a
canvas or photo. Size and position on a canvas need no augmentation: that normalisation
removes them, in training and in serving alike.

    >>> views = augmented_views(x_train, copies=3, seed=0)   # (3, N, 28, 28) uint8
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor

import numpy as np
from PIL import Image, ImageFilter

from app.preprocess import to_model_input

UPSCALE = 2  # warp at 56x56 so the stroke-width changes are finer than one MNIST pixel
MAX_ROTATION = 15.0  # degrees
MAX_SHEAR = 0.3  # horizontal shear factor (slant)
SCALE_RANGE = (0.8, 1.2)  # independent x and y scale: narrow, wide, tall, squat digits
CHUNK = 2000  # digits per worker job; fixed, so results do not depend on the number of workers


def normalise(images: np.ndarray) -> np.ndarray:
    """Run uint8 (N, 28, 28) digits through the app's preprocessing; returns uint8 (N, 28, 28)."""
    return np.stack([_to_uint8(to_model_input(im)) for im in images])


def augment_one(digit: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One random, realistic variant of a uint8 28x28 digit, normalised like app input."""
    size = 28 * UPSCALE
    big = Image.fromarray(digit, "L").resize((size, size), Image.Resampling.BICUBIC)
    angle = math.radians(rng.uniform(-MAX_ROTATION, MAX_ROTATION))
    shear = rng.uniform(-MAX_SHEAR, MAX_SHEAR)
    sx, sy = rng.uniform(*SCALE_RANGE, size=2)
    # Forward map: scale, shear, rotate about the centre; PIL wants the inverse.
    cos, sin = math.cos(angle), math.sin(angle)
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    inverse = np.linalg.inv(forward)
    c = size / 2
    pad = size // 2  # warp onto a larger field so nothing is cut off
    field = Image.new("L", (size + 2 * pad, size + 2 * pad))
    field.paste(big, (pad, pad))
    cc = c + pad
    offset = np.array([cc, cc]) - inverse @ np.array([cc, cc])
    coeffs = (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])
    warped = field.transform(field.size, Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR)

    stroke = rng.random()
    if stroke < 0.3:
        warped = warped.filter(ImageFilter.MaxFilter(rng.choice([3, 5, 7])))  # thicker pen
    elif stroke < 0.5:
        thinner = warped.filter(ImageFilter.MinFilter(3))  # thinner pen, unless it erases the digit
        if np.asarray(thinner).sum() > 0.4 * np.asarray(warped).sum():
            warped = thinner
    out = to_model_input(warped)
    return _to_uint8(out) if out is not None else normalise(digit[None])[0]


def augmented_views(images: np.ndarray, copies: int, seed: int, workers: int | None = None) -> np.ndarray:
    """`copies` augmented versions of every image: uint8 (copies, N, 28, 28), reproducible
    for a given seed whatever the number of worker processes."""
    return _in_chunks(images, range(1, copies + 1), seed, workers)


def training_views(images: np.ndarray, copies: int, seed: int, workers: int | None = None) -> np.ndarray:
    """The normalised originals followed by `copies` augmented versions: (1 + copies, N, 28, 28)."""
    return _in_chunks(images, range(copies + 1), seed, workers)


def _in_chunks(images: np.ndarray, copies: range, seed: int, workers: int | None) -> np.ndarray:
    workers = workers or os.cpu_count() or 1
    chunks = np.array_split(np.arange(len(images)), max(1, -(-len(images) // CHUNK)))
    jobs = [(images[idx], copy, seed, i) for copy in copies for i, idx in enumerate(chunks)]
    if workers == 1 or len(jobs) == 1:
        parts = [_augment_chunk(*job) for job in jobs]
    else:
        with ProcessPoolExecutor(workers) as pool:
            parts = list(pool.map(_augment_chunk, *zip(*jobs)))
    n = len(chunks)
    return np.stack([np.concatenate(parts[c * n : (c + 1) * n]) for c in range(len(copies))])


def _augment_chunk(images: np.ndarray, copy: int, seed: int, chunk: int) -> np.ndarray:
    """Copy 0 is the plain normalised image; copies 1.. are random variants."""
    if copy == 0:
        return normalise(images)
    rng = np.random.default_rng([seed, copy, chunk])
    return np.stack([augment_one(im, rng) for im in images])


def _to_uint8(x: np.ndarray | None) -> np.ndarray:
    if x is None:
        return np.zeros((28, 28), np.uint8)
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)
