"""Digit shapes people write that MNIST (and most fonts) hardly have, drawn by code.

Each form is a few strokes in a unit box (x right, y down, the digit 0..1 tall), with random
proportions; `draw` traces them with a round pen, as the canvas draws:

    >>> strokes = FORMS["1 long flag"](rng)      # [[(x, y), ...], ...]
    >>> image = draw(strokes, width=9, side=112)  # 'L', white on black

The forms: the 1 with a short or long flag, each with or without a foot; the crossed 7; the
open 4 (its top not closed); the 9 with a straight stem; the 6 whose top curls over.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw

Stroke = list[tuple[float, float]]


def _arc(cx: float, cy: float, rx: float, ry: float, start: float, end: float, n: int = 40) -> Stroke:
    """Points on an ellipse from angle `start` to `end` (degrees, 0 = right, 90 = down)."""
    t = np.radians(np.linspace(start, end, n))
    return [(cx + rx * math.cos(a), cy + ry * math.sin(a)) for a in t]


def _bezier(p0, p1, p2, n: int = 30) -> Stroke:
    t = np.linspace(0, 1, n)[:, None]
    p0, p1, p2 = (np.asarray(p, float) for p in (p0, p1, p2))
    return [tuple(q) for q in (1 - t) ** 2 * p0 + 2 * (1 - t) * t * p1 + t**2 * p2]


def _one(rng: np.random.Generator, long: bool) -> list[Stroke]:
    x = rng.uniform(0.45, 0.55)
    flag = rng.uniform(0.3, 0.5) if long else rng.uniform(0.1, 0.22)
    drop = flag * rng.uniform(0.35, 0.9)  # how far down the flag's end hangs
    strokes = [[(x - flag, drop), (x, 0.0), (x + rng.normal(0, 0.02), 1.0)]]
    if rng.random() < 0.5:  # a foot, as on a printed 1
        half = rng.uniform(0.15, 0.3)
        strokes.append([(x - half, 1.0), (x + half, 1.0)])
    return strokes


def one_short_flag(rng):
    return _one(rng, long=False)


def one_long_flag(rng):
    return _one(rng, long=True)


def seven_crossed(rng):
    left, right = rng.uniform(0.05, 0.2), rng.uniform(0.8, 0.95)
    foot = rng.uniform(0.3, 0.55)
    mid = rng.uniform(0.45, 0.6)
    at = right + (foot - right) * mid  # the diagonal's x at the crossbar's height
    half = rng.uniform(0.15, 0.28)
    bar = [(at - half, mid + rng.normal(0, 0.02)), (at + half, mid + rng.normal(0, 0.02))]
    return [[(left, rng.uniform(0, 0.05)), (right, 0.0), (foot, 1.0)], bar]


def four_open(rng):
    left = rng.uniform(0.05, 0.25)
    cross = rng.uniform(0.55, 0.72)
    stem = rng.uniform(0.55, 0.75)
    top = rng.uniform(0.0, 0.25)  # the stem starts lower than the left stroke or level with it
    return [[(left + rng.uniform(0, 0.1), 0.0), (left, cross), (rng.uniform(0.85, 1.0), cross)], [(stem, top), (stem + rng.normal(0, 0.03), 1.0)]]


def nine_straight(rng):
    r = rng.uniform(0.2, 0.3)
    cx, cy = 0.5, r + 0.01
    loop = _arc(cx, cy, r * rng.uniform(0.9, 1.2), r, 0, 360)
    x = cx + r * rng.uniform(0.9, 1.2)
    return [loop, [(x, cy), (x + rng.uniform(-0.15, 0.05), 1.0)]]


def six_curl(rng):
    r = rng.uniform(0.22, 0.3)
    cx, cy = 0.5, 1.0 - r
    loop = _arc(cx, cy, r * rng.uniform(0.9, 1.2), r, 180, 540)
    start = (cx - r * rng.uniform(0.9, 1.2), cy)
    curl = _bezier(start, (rng.uniform(0.1, 0.35), rng.uniform(-0.05, 0.1)), (rng.uniform(0.6, 0.85), rng.uniform(0.0, 0.15)))
    return [loop, curl]


FORMS: dict[str, Callable[[np.random.Generator], list[Stroke]]] = {
    "1 short flag": one_short_flag,
    "1 long flag": one_long_flag,
    "7 crossed": seven_crossed,
    "4 open": four_open,
    "9 straight stem": nine_straight,
    "6 curled top": six_curl,
}
LABELS = {name: int(name[0]) for name in FORMS}


def draw(strokes: list[Stroke], width: float, side: int = 112) -> Image.Image:
    """The strokes traced with a round pen `width` pixels wide, the digit scaled to about 70 %
    of a side x side field (its aspect kept) and centred."""
    points = np.concatenate([np.asarray(s, float) for s in strokes])
    lo, hi = points.min(axis=0), points.max(axis=0)
    scale = 0.7 * side / max(float((hi - lo).max()), 1e-6)
    offset = side / 2 - scale * (lo + hi) / 2
    image = Image.new("L", (side, side))
    pen = ImageDraw.Draw(image)
    r = max(width, 1.0) / 2
    for stroke in strokes:
        xy = [tuple(scale * np.asarray(p) + offset) for p in stroke]
        pen.line(xy, fill=255, width=max(1, round(width)), joint="curve")
        for x, y in (xy[0], xy[-1]):  # round ends, as the canvas's pen
            pen.ellipse([x - r, y - r, x + r, y + r], fill=255)
    return image
