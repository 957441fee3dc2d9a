"""Augmentation that makes MNIST look like what people draw and photograph.

Each augmented digit is a random affine warp (rotation, shear, uneven scale: the slant and
proportions of real handwriting) with a thicker or thinner stroke (pens and fingers); a third
of them are first redrawn along their skeleton with an even, round pen of any width from a
fine pencil to a fat finger (`train/strokes.py`), as a canvas draws; every one of them
wobbles a little (an elastic distortion, Simard et al. 2003: a hand is not a plotter); then
passes through `app.preprocess.to_model_input`, the same normalisation the app applies to a
canvas or photo. Size and position on a canvas need no augmentation: that normalisation
removes them, in training and in serving alike.

    >>> views = augmented_views(x_train, copies=3, seed=0)   # (3, N, 28, 28) uint8
    >>> junk = not_digits(x_train, 20000, seed=0)           # (20000, 28, 28) uint8

`not_digits` makes things people draw that are not one digit (tangles, hatching, blots, dots,
zigzags, two digits on top of each other); training teaches the model to spread its
probabilities over all ten classes for them, so the app can say "not sure" (outlier exposure,
Hendrycks et al. 2019). They are drawn by code of their own, not by the generators that
`make bench` measures the app with.
"""

from __future__ import annotations

import math
import os
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from app.preprocess import to_model_input
from train.strokes import INK_LEVEL, redraw

_INK = [255 if v > INK_LEVEL else 0 for v in range(256)]  # Image.point table: the pen's ink


@dataclass(frozen=True)
class Augmentation:
    """Every knob of `augment_one`; recorded whole with the model (train/config.py)."""

    upscale: int = 2  # warp at 56x56 so the stroke-width changes are finer than one MNIST pixel
    max_rotation: float = 15.0  # degrees
    max_shear: float = 0.3  # horizontal shear factor (slant)
    scale_range: tuple[float, float] = (0.8, 1.2)  # independent x and y scale: narrow, wide, tall, squat
    pen_share: float = 0.35  # of the copies redrawn with an even, round pen (train/strokes.py)
    pen_upscale: int = 4  # redrawn at 112x112, where a fine pen is still wider than a pixel
    pen_ratio: tuple[float, float] = (0.02, 0.32)  # pen width over digit height, log-uniform
    pen_blur: tuple[float, float] = (0.5, 1.2)  # the redrawn stroke's soft edge (Gaussian radius)
    thicker_below: float = 0.6  # copies drawn from pen_share up to this share get a thicker stroke
    thicker_filters: tuple[int, ...] = (3, 5, 7, 9, 11)  # MaxFilter sizes at the warp's scale
    thinner_below: float = 0.75  # and from thicker_below up to this one a thinner stroke
    thinner_keeps: float = 0.4  # unless thinning leaves less than this share of the ink
    elastic_share: float = 1.0  # of the copies whose strokes wobble
    elastic_cell: float = 8.0  # MNIST pixels between the wobble's independent control points
    elastic_rms: float = 1.2  # largest typical displacement, MNIST pixels


AUGMENTATION = Augmentation()
CHUNK = 2000  # digits per worker job; fixed, so results do not depend on the number of workers


def normalise(images: np.ndarray) -> np.ndarray:
    """Run uint8 (N, 28, 28) digits through the app's preprocessing; returns uint8 (N, 28, 28)."""
    return np.stack([to_uint8(to_model_input(im)) for im in images])


def augment_one(digit: np.ndarray, rng: np.random.Generator, aug: Augmentation = AUGMENTATION) -> np.ndarray:
    """One random, realistic variant of a uint8 28x28 digit, normalised like app input."""
    stroke = rng.random()
    redrawn = stroke < aug.pen_share
    size = 28 * (aug.pen_upscale if redrawn else aug.upscale)
    big = Image.fromarray(digit, "L").resize((size, size), Image.Resampling.BICUBIC)
    if redrawn:  # a canvas pen: one width end to end, from a fine pencil to a fat finger
        box = big.point(_INK).getbbox()
        height = (box[3] - box[1]) if box else size
        ratio = math.exp(rng.uniform(math.log(aug.pen_ratio[0]), math.log(aug.pen_ratio[1])))
        big = redraw(big, width=ratio * height, blur=rng.uniform(*aug.pen_blur))
    warped = affine(big, rng, aug)

    if rng.random() < aug.elastic_share:
        warped = elastic(warped, rng, size / 28, aug)
    if aug.pen_share <= stroke < aug.thicker_below:  # a thicker pen, up to a finger on a phone
        warped = thicker(warped, int(rng.choice(aug.thicker_filters)))
    elif aug.thicker_below <= stroke < aug.thinner_below:
        thinner = warped.filter(ImageFilter.MinFilter(3))  # thinner pen, unless it erases the digit
        if np.asarray(thinner).sum() > aug.thinner_keeps * np.asarray(warped).sum():
            warped = thinner
    out = to_model_input(warped)
    return to_uint8(out) if out is not None else normalise(digit[None])[0]


def thicker(image: Image.Image, size: int) -> Image.Image:
    """`image` under a size x size maximum filter, as (size - 1) / 2 passes of a 3x3 one: the
    same picture in a fraction of the time."""
    for _ in range(size // 2):
        image = image.filter(ImageFilter.MaxFilter(3))
    return image


def affine(big: Image.Image, rng: np.random.Generator, aug: Augmentation = AUGMENTATION) -> Image.Image:
    """`big` (square, 'L') rotated, sheared and unevenly scaled about its centre at random,
    onto a field twice its size so that nothing is cut off."""
    angle = math.radians(rng.uniform(-aug.max_rotation, aug.max_rotation))
    shear = rng.uniform(-aug.max_shear, aug.max_shear)
    sx, sy = rng.uniform(*aug.scale_range, size=2)
    # Forward map: scale, shear, rotate about the centre; PIL wants the inverse.
    cos, sin = math.cos(angle), math.sin(angle)
    forward = np.array([[cos, -sin], [sin, cos]]) @ np.array([[1.0, shear], [0.0, 1.0]]) @ np.diag([sx, sy])
    inverse = np.linalg.inv(forward)
    size = big.width
    c = size / 2
    pad = size // 2  # warp onto a larger field so nothing is cut off
    field = Image.new("L", (size + 2 * pad, size + 2 * pad))
    field.paste(big, (pad, pad))
    cc = c + pad
    offset = np.array([cc, cc]) - inverse @ np.array([cc, cc])
    coeffs = (inverse[0, 0], inverse[0, 1], offset[0], inverse[1, 0], inverse[1, 1], offset[1])
    warped = field.transform(field.size, Image.Transform.AFFINE, coeffs, Image.Resampling.BILINEAR)
    return warped


def augmented_views(images: np.ndarray, copies: int, seed: int, workers: int | None = None, aug: Augmentation = AUGMENTATION) -> np.ndarray:
    """`copies` augmented versions of every image: uint8 (copies, N, 28, 28), reproducible
    for a given seed whatever the number of worker processes."""
    return _in_chunks(images, range(1, copies + 1), seed, workers, aug)


def training_views(images: np.ndarray, copies: int, seed: int, workers: int | None = None, aug: Augmentation = AUGMENTATION) -> np.ndarray:
    """The normalised originals followed by `copies` augmented versions: (1 + copies, N, 28, 28)."""
    return _in_chunks(images, range(copies + 1), seed, workers, aug)


def not_digits(digits: np.ndarray, n: int, seed: int, workers: int | None = None) -> np.ndarray:
    """`n` normalised drawings that are not a single digit: uint8 (n, 28, 28), reproducible."""
    return in_chunks(_not_digit_chunk, n, seed, digits, workers=workers)


def in_chunks(make, n: int, seed: int, *args, workers: int | None = None) -> np.ndarray:
    """`n` pictures made by `make(*args, size, seed, chunk)` in jobs of CHUNK pictures (each
    chunk seeds its own generator): uint8 (n, 28, 28), the same whatever the number of workers."""
    sizes = [CHUNK] * (n // CHUNK) + ([n % CHUNK] if n % CHUNK else [])
    parts = run_jobs(make, [(*args, size, seed, i) for i, size in enumerate(sizes)], workers)
    return np.concatenate(parts) if parts else np.zeros((0, 28, 28), np.uint8)


JUNK_SIDE = 112  # drawn at 4x MNIST, like a small canvas


def _not_digit_chunk(digits: np.ndarray, size: int, seed: int, chunk: int) -> np.ndarray:
    rng = np.random.default_rng([seed, 1000, chunk])
    out = []
    while len(out) < size:
        kind = rng.integers(0, 6)
        image = _overlap(digits, rng) if kind == 5 else _junk(int(kind), rng)
        x = to_model_input(image)
        if x is not None:
            out.append(to_uint8(x))
    return np.stack(out)


def _junk(kind: int, rng: np.random.Generator) -> Image.Image:
    side = JUNK_SIDE
    image = Image.new("L", (side, side))
    draw = ImageDraw.Draw(image)
    width = int(rng.integers(3, 12))
    if kind == 0:  # a tangle: a smooth curve that loops through many points
        points = rng.uniform(8, side - 8, size=(int(rng.integers(9, 15)), 2))
        t = np.linspace(0, 1, 200)[:, None]
        curve = [points[0]]
        for a, b, c in zip(points[:-2], points[1:-1], points[2:]):  # quadratic pieces via midpoints
            start, end = (a + b) / 2, (b + c) / 2
            curve.extend(((1 - t) ** 2 * start + 2 * (1 - t) * t * b + t**2 * end)[::10])
        draw.line([tuple(q) for q in np.vstack(curve)], fill=255, width=width, joint="curve")
    elif kind == 1:  # hatching: three to seven parallel strokes at any angle
        angle = rng.uniform(0, math.pi)
        d = np.array([math.cos(angle), math.sin(angle)])
        normal = np.array([-d[1], d[0]])
        lines = int(rng.integers(3, 8))
        gap = rng.uniform(8, 18)
        for i in range(lines):
            centre = side / 2 + normal * (i - (lines - 1) / 2) * gap + rng.normal(0, 2, 2)
            half = rng.uniform(25, 50)
            draw.line([tuple(centre - d * half), tuple(centre + d * half)], fill=255, width=width)
    elif kind == 2:  # blots: filled polygons and ellipses
        for _ in range(int(rng.integers(1, 4))):
            centre, radius = rng.uniform(30, side - 30, 2), rng.uniform(10, 35)
            if rng.random() < 0.5:
                draw.ellipse([*(centre - radius * rng.uniform(0.5, 1, 2)), *(centre + radius * rng.uniform(0.5, 1, 2))], fill=255)
            else:
                angles = np.sort(rng.uniform(0, 2 * math.pi, int(rng.integers(3, 7))))
                draw.polygon([tuple(centre + radius * np.array([math.cos(a), math.sin(a)])) for a in angles], fill=255)
    elif kind == 3:  # dots and dashes scattered about
        for _ in range(int(rng.integers(6, 30))):
            a = rng.uniform(5, side - 5, 2)
            b = a + rng.normal(0, 4, 2)
            draw.line([tuple(a), tuple(b)], fill=255, width=width)
    else:  # a zigzag with many sharp turns
        turns = int(rng.integers(6, 12))
        xs = np.linspace(10, side - 10, turns)
        ys = side / 2 + rng.choice([-1, 1]) * np.resize([1, -1], turns) * rng.uniform(15, 45, turns)
        points = np.stack([xs, ys], axis=1)
        if rng.random() < 0.5:
            points = points[:, ::-1]
        draw.line([tuple(q) for q in points], fill=255, width=width)
    return image


def _overlap(digits: np.ndarray, rng: np.random.Generator) -> Image.Image:
    """Two different digits drawn over or beside each other: not one digit."""
    a, b = digits[rng.integers(0, len(digits), size=2)]
    # Far enough apart (14-21 px of 28) that both stay visible, not one odd digit.
    shift = rng.integers(14, 22) * rng.choice([-1, 1], size=2) * (rng.random(2) < 0.8)
    if not shift.any():
        shift[0] = 16
    field = np.zeros((28 * 3, 28 * 3), np.uint8)
    field[28:56, 28:56] = a
    y, x = 28 + shift[0], 28 + shift[1]
    field[y : y + 28, x : x + 28] = np.maximum(field[y : y + 28, x : x + 28], b)
    return Image.fromarray(field, "L")


def run_jobs(fn, jobs: list[tuple], workers: int | None) -> list:
    """fn(*job) for every job, in order: in a pool of worker processes (default: one per core),
    or here when there is one worker or one job."""
    workers = workers or os.cpu_count() or 1
    if workers == 1 or len(jobs) == 1:
        return [fn(*job) for job in jobs]
    with ProcessPoolExecutor(workers) as pool:
        return list(pool.map(fn, *zip(*jobs)))


def _in_chunks(images: np.ndarray, copies: range, seed: int, workers: int | None, aug: Augmentation) -> np.ndarray:
    chunks = np.array_split(np.arange(len(images)), max(1, -(-len(images) // CHUNK)))
    jobs = [(images[idx], copy, seed, i, aug) for copy in copies for i, idx in enumerate(chunks)]
    parts = run_jobs(_augment_chunk, jobs, workers)
    n = len(chunks)
    return np.stack([np.concatenate(parts[c * n : (c + 1) * n]) for c in range(len(copies))])


def _augment_chunk(images: np.ndarray, copy: int, seed: int, chunk: int, aug: Augmentation) -> np.ndarray:
    """Copy 0 is the plain normalised image; copies 1.. are random variants."""
    if copy == 0:
        return normalise(images)
    rng = np.random.default_rng([seed, copy, chunk])
    return np.stack([augment_one(im, rng, aug) for im in images])


def elastic(image: Image.Image, rng: np.random.Generator, scale: float, aug: Augmentation = AUGMENTATION) -> Image.Image:
    """The strokes wobbled by a smooth random displacement field, as a hand wobbles: random
    offsets on a coarse grid, interpolated bicubically to every pixel (`scale` pixels per MNIST
    pixel), then the picture resampled bilinearly along them."""
    w, h = image.size
    cells = max(2, round(w / (aug.elastic_cell * scale)))
    rms = rng.uniform(0, aug.elastic_rms) * scale
    dx, dy = (
        np.asarray(Image.fromarray(rng.normal(0, rms, (cells + 1, cells + 1)).astype(np.float32), "F").resize((w, h), Image.Resampling.BICUBIC))
        for _ in range(2)
    )
    out = np.zeros((h, w), np.uint8)
    box = image.getbbox()
    if box is None:
        return Image.fromarray(out, "L")
    # Only pixels within the largest displacement of the ink can receive any: resample those.
    reach = int(math.ceil(max(np.abs(dx).max(), np.abs(dy).max()))) + 2
    c0, r0, c1, r1 = max(0, box[0] - reach), max(0, box[1] - reach), min(w, box[2] + reach), min(h, box[3] + reach)
    yy, xx = np.mgrid[r0:r1, c0:c1].astype(np.float32)
    sx, sy = np.clip(xx + dx[r0:r1, c0:c1], 0, w - 1.001), np.clip(yy + dy[r0:r1, c0:c1], 0, h - 1.001)
    x0, y0 = sx.astype(np.int32), sy.astype(np.int32)
    fx, fy = sx - x0, sy - y0
    a = np.asarray(image, dtype=np.float32)
    top = a[y0, x0] * (1 - fx) + a[y0, x0 + 1] * fx
    bottom = a[y0 + 1, x0] * (1 - fx) + a[y0 + 1, x0 + 1] * fx
    out[r0:r1, c0:c1] = np.clip(top * (1 - fy) + bottom * fy + 0.5, 0, 255).astype(np.uint8)
    return Image.fromarray(out, "L")


def to_uint8(x: np.ndarray | None) -> np.ndarray:
    if x is None:
        return np.zeros((28, 28), np.uint8)
    return np.clip(np.rint(x * 255.0), 0, 255).astype(np.uint8)
