"""Numbers written on a wide canvas, as the benchmark's test sets: MNIST digits redrawn with the
canvas's pens, side by side, with the strokes the canvas would report.

    >>> picture, strokes, truth = write_number(digits, labels, rng, gap="touching", style="dark canvas")
    >>> picture, strokes, label = multi_stroke_digit(rng)     # a 4, 5, crossed 7 or footed 1 in 2 strokes

`strokes` are fabric.js path objects like the canvas's `json_data["objects"]`: for the MNIST
digits, the digit's skeleton traced in pieces (one stroke wherever the pen would have to jump);
for the multi-stroke digits, the strokes they are drawn with. Pillow and NumPy only.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageChops, ImageDraw

from bench.conditions import CANVAS_STYLES
from train.strokes import INK_LEVEL, redraw, skeleton

CANVAS_HEIGHT = 280  # as the app's canvas
PEN_WIDTHS = (8, 30)  # the app's pen slider goes from 8 to 40 px; people write numbers with the thinner half
JUMP = 6.0  # pixels: a skeleton traced as strokes lifts the pen only for a longer jump
GAPS = {  # the narrowest gap between neighbours' ink in any row, in digit heights (negative: they overlap)
    "wide": (0.3, 0.7),
    "close": (0.04, 0.3),
    "touching": (-0.03, 0.0),
}


def write_number(digits: np.ndarray, labels, rng: np.random.Generator, gap: str, style: str, sloped: bool = False, mixed: bool = False):
    """The MNIST `digits` (28x28 each) written left to right: (picture, strokes, number string)."""
    height = float(rng.uniform(100, 170))
    pen = int(rng.integers(PEN_WIDTHS[0] // 2, PEN_WIDTHS[1] // 2 + 1)) * 2
    slope = math.tan(math.radians(rng.uniform(-8, 8))) if sloped else 0.0
    placed = []  # (ink, x, y, strokes in the ink's pixels)
    right = None  # per row of the big layout: the rightmost ink column so far
    layout_h = int(CANVAS_HEIGHT * 3)
    baseline = layout_h / 2
    x = 0
    for digit in digits:
        h = height * (rng.uniform(0.7, 1.1) if mixed else rng.uniform(0.95, 1.05))
        ink, strokes = _pen_digit(digit, h, pen)
        y = int(round(baseline + slope * x + rng.normal(0, 0.03 * height) - ink.height))
        mask = np.asarray(ink) > INK_LEVEL
        if right is None:
            x = 0
        else:
            x = _next_x(right, mask, y, int(round(rng.uniform(*GAPS[gap]) * height)))
        placed.append((ink, x, y, strokes))
        if right is None:
            right = np.full(layout_h, -(10**6))
        rows = np.flatnonzero(mask.any(axis=1))
        last = mask.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
        for r in rows:
            if 0 <= y + r < layout_h:
                right[y + r] = max(right[y + r], x + last[r])
    left = min(p[1] for p in placed)
    top = min(p[2] for p in placed)
    width = max(p[1] + p[0].width for p in placed) - left
    bottom = max(p[2] + p[0].height for p in placed) - top
    margin_x = [int(rng.integers(20, 80)) for _ in range(2)]
    canvas_h = max(CANVAS_HEIGHT, bottom + 40)
    margin_y = int(rng.integers(10, canvas_h - bottom - 9))
    canvas = Image.new("L", (width + sum(margin_x), canvas_h))
    objects = []
    for ink, px, py, strokes in placed:
        ox, oy = px - left + margin_x[0], py - top + margin_y
        layer = Image.new("L", canvas.size)
        layer.paste(ink, (ox, oy))
        canvas = ImageChops.lighter(canvas, layer)
        objects += [fabric_path(points + (ox, oy), pen) for points in strokes]
    truth = "".join(str(int(d)) for d in labels)
    return CANVAS_STYLES[style](canvas), objects, truth


def _pen_digit(digit: np.ndarray, height: float, pen: int) -> tuple[Image.Image, list[np.ndarray]]:
    """One MNIST digit redrawn with the pen, its ink `height` px high ('L', cropped), and its
    skeleton traced as strokes (point arrays in the cropped ink's pixels)."""
    big = Image.fromarray(digit).resize((round(height * 28 / 20),) * 2, Image.Resampling.BICUBIC)
    ink = redraw(big, pen)
    box = ink.getbbox()
    core = skeleton(np.asarray(big) > INK_LEVEL)
    ys, xs = np.nonzero(core)
    points = np.stack([xs - box[0], ys - box[1]], axis=1).astype(np.float64)
    return ink.crop(box), _trace(points)


def _trace(points: np.ndarray) -> list[np.ndarray]:
    """Skeleton pixels in drawing order: from one end, always to the nearest unvisited pixel;
    where that is more than JUMP pixels away the pen lifts and a new stroke begins (a pen goes
    back over a few pixels of its own line rather than lift)."""
    if len(points) == 0:
        return []
    left = np.ones(len(points), bool)
    start = int(np.argmin(points[:, 0] + points[:, 1]))
    strokes, current = [], [start]
    left[start] = False
    while left.any():
        d = np.hypot(*(points[left] - points[current[-1]]).T)
        k = int(np.argmin(d))
        nxt = int(np.flatnonzero(left)[k])
        if d[k] > JUMP:
            strokes.append(points[current])
            current = []
        current.append(nxt)
        left[nxt] = False
    strokes.append(points[current])
    return [s for s in strokes if len(s) >= 2]


def _next_x(right: np.ndarray, mask: np.ndarray, y: int, gap: int) -> int:
    """Where the next digit goes so that the narrowest gap between its ink and the ink before
    it, in any row they share, is `gap` pixels (negative: overlapping)."""
    rows = np.flatnonzero(mask.any(axis=1))
    first = np.argmax(mask, axis=1)
    shifts = [right[y + r] - first[r] + 1 + gap for r in rows if 0 <= y + r < right.size and right[y + r] > -(10**5)]
    if not shifts:
        return int(right.max()) + 1 + gap
    return int(max(shifts))


def fabric_path(points: np.ndarray, pen: float) -> dict:
    """A stroke as the canvas reports it: a fabric.js path in canvas pixels, with quadratic
    segments through the midpoints of the pointer's positions, as its pencil brush makes them."""
    pts = [(round(float(x), 2), round(float(y), 2)) for x, y in points]
    path = [["M", *pts[0]]]
    for a, b in zip(pts, pts[1:]):
        path.append(["Q", a[0], a[1], round((a[0] + b[0]) / 2, 2), round((a[1] + b[1]) / 2, 2)])
    path.append(["L", *pts[-1]])
    xs, ys = [p[0] for p in pts], [p[1] for p in pts]
    return {
        "type": "path", "originX": "left", "originY": "top", "left": min(xs) - pen / 2, "top": min(ys) - pen / 2,
        "width": max(xs) - min(xs), "height": max(ys) - min(ys), "stroke": "#000", "strokeWidth": pen,
        "fill": None, "strokeLineCap": "round", "strokeLineJoin": "round", "path": path,
    }


# Digits people draw in more than one stroke, in a unit box (x right, y down): the strokes, and
# how far apart the pen may leave them (in box heights).
TEMPLATES = {
    4: [[(0.45, 0.0), (0.05, 0.62), (0.8, 0.62)], [(0.62, 0.1), (0.62, 1.0)]],
    5: [[(0.2, 0.04), (0.14, 0.45), (0.45, 0.38), (0.72, 0.5), (0.76, 0.75), (0.55, 0.95), (0.1, 0.9)], [(0.24, 0.02), (0.8, 0.0)]],
    7: [[(0.08, 0.04), (0.85, 0.04), (0.35, 1.0)], [(0.3, 0.52), (0.8, 0.5)]],
    1: [[(0.2, 0.22), (0.5, 0.0), (0.5, 0.95)], [(0.2, 1.0), (0.8, 1.0)]],
}


def multi_stroke_digit(rng: np.random.Generator, style: str, width: int = 840):
    """A 4, 5, crossed 7 or 1 with a foot, drawn in two strokes that may not touch, somewhere on
    a wide canvas: (picture, strokes, digit)."""
    digit = int(rng.choice(list(TEMPLATES)))
    height = float(rng.uniform(110, 220))
    pen = int(rng.integers(PEN_WIDTHS[0] // 2, PEN_WIDTHS[1] // 2 + 1)) * 2
    shear, squeeze = rng.uniform(-0.25, 0.25), rng.uniform(0.8, 1.2)
    x0 = rng.uniform(20, width - 20 - height)
    y0 = rng.uniform(20, CANVAS_HEIGHT - 20 - height) if height < CANVAS_HEIGHT - 40 else 20
    strokes = []
    for k, stroke in enumerate(TEMPLATES[digit]):
        apart = rng.uniform(0, 0.08) * height if k else 0.0  # the second stroke, lifted off the first
        dx, dy = rng.normal(0, 0.02 * height, 2) + (0, -apart if digit == 5 else apart)
        pts = np.array([(x * squeeze * height + (1 - y) * shear * height, y * height) for x, y in stroke])
        pts += (x0 + dx, y0 + dy) + rng.normal(0, 0.015 * height, pts.shape)
        strokes.append(_dense(pts))
    scale = 4  # drawn at 4x and reduced: anti-aliased edges, as the browser draws them
    big = Image.new("L", (width * scale, CANVAS_HEIGHT * scale))
    draw = ImageDraw.Draw(big)
    for pts in strokes:
        p = [tuple(q) for q in (pts * scale).tolist()]
        draw.line(p, fill=255, width=pen * scale, joint="curve")
        for x, y in (p[0], p[-1]):
            r = pen * scale / 2
            draw.ellipse([x - r, y - r, x + r, y + r], fill=255)
    ink = big.resize((width, CANVAS_HEIGHT), Image.Resampling.BOX)
    return CANVAS_STYLES[style](ink), [fabric_path(p, pen) for p in strokes], digit


def _dense(points: np.ndarray, step: float = 4.0) -> np.ndarray:
    """A polyline through `points` with a point every `step` pixels, its corners rounded a little."""
    out = [points[0]]
    for a, b in zip(points, points[1:]):
        n = max(1, int(np.hypot(*(b - a)) / step))
        out += [a + (b - a) * t for t in np.linspace(0, 1, n + 1)[1:]]
    pts = np.array(out)
    if len(pts) > 4:  # a short moving average, as a hand's pointer positions are smooth
        kernel = np.ones(3) / 3
        pts[1:-1] = np.stack([np.convolve(pts[:, i], kernel, mode="same")[1:-1] for i in range(2)], axis=1)
    return pts
