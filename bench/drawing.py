"""MNIST test digits drawn on the page's canvas stroke by stroke, as the browser reports them.

A digit's ink is scaled to 220 px in the middle of the 560x280 canvas, thinned to its skeleton
(`train/strokes.py`) and traced into pen strokes (top first, as people draw). After each stroke
the canvas component (streamlit-drawable-canvas) reports its whole drawing: the fabric.js JSON
of every stroke so far and the canvas as a PNG data URL. `Drawing.reports` are those reports,
byte for byte the shape the browser sends (`{"drawing": {"raw": ..., "data": ...}}`):

    >>> drawing = Drawing.of(digits[0], label=7)
    >>> drawing.reports[-1]          # the JSON the canvas sends after the last stroke
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

from app.layout import for_width
from train.strokes import INK_LEVEL, skeleton

# The page's canvas in CSS pixels where it has a laptop's room (app/layout.py), as Chromium at
# 1280x1000 draws it and as the simulated visitors report their width.
CANVAS_WIDTH, CANVAS_HEIGHT = for_width(None).width, for_width(None).height
DIGIT_SIZE = 220  # the digit's ink box on the canvas, as bench/conditions.centred draws it
PEN = 20  # the page's default pen width
INK, PAPER = "#111111", "#ffffff"  # the page's default scheme: dark pen on light paper
STEP = 6  # pixels between the points of a stroke (a mouse move every few pixels)
MIN_STROKE = 10  # skeleton pieces shorter than this (pixels) are spurs, not strokes
MAX_STROKES = 6
FABRIC_VERSION = "7.4.0"
FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "fixtures" / "mnist_test_500.npz"

# Every field fabric.js writes for a freehand path, as recorded from Chromium (values but the
# geometry are the same for every stroke of one pen).
_PATH_FIELDS = {
    "lockMovementX": False, "lockMovementY": False, "lockRotation": False, "lockScalingX": False,
    "lockScalingY": False, "lockSkewingX": False, "lockSkewingY": False, "lockScalingFlip": False,
    "type": "Path", "version": FABRIC_VERSION, "originX": "center", "originY": "center",
    "fill": None, "strokeDashArray": None, "strokeLineCap": "round", "strokeDashOffset": 0,
    "strokeLineJoin": "round", "strokeUniform": False, "strokeMiterLimit": 10, "scaleX": 1,
    "scaleY": 1, "angle": 0, "flipX": False, "flipY": False, "opacity": 1, "shadow": None,
    "visible": True, "backgroundColor": "", "fillRule": "nonzero", "paintFirst": "fill",
    "globalCompositeOperation": "source-over", "skewX": 0, "skewY": 0,
}
_NEIGHBOURS = [(-1, 0), (0, 1), (1, 0), (0, -1), (-1, 1), (1, 1), (1, -1), (-1, -1)]


def strokes_of(digit: np.ndarray) -> list[list[tuple[float, float]]]:
    """The pen strokes that draw a 28x28 MNIST digit (white on black) on the canvas: lists of
    (x, y) canvas pixels, the longest MAX_STROKES skeleton traces, top first."""
    ink = Image.fromarray(digit.astype(np.uint8)).resize((DIGIT_SIZE, DIGIT_SIZE), Image.Resampling.BICUBIC)
    core = skeleton(np.asarray(ink) > INK_LEVEL)
    dx, dy = (CANVAS_WIDTH - DIGIT_SIZE) / 2, (CANVAS_HEIGHT - DIGIT_SIZE) / 2
    traces = sorted(_traces(core), key=len, reverse=True)[:MAX_STROKES]
    traces.sort(key=lambda t: min(y for y, _ in t))
    strokes = []
    for trace in traces:
        points = trace[::STEP] if (len(trace) - 1) % STEP == 0 else trace[::STEP] + [trace[-1]]
        strokes.append([(float(x) + dx, float(y) + dy) for y, x in points])
    return strokes


def _traces(core: np.ndarray) -> list[list[tuple[int, int]]]:
    """Walk a one-pixel skeleton into paths: from an end (or any pixel of a loop), on to the
    neighbour that turns least, until none is left; each path is joined to a pixel already
    drawn where it stops next to one, so the pen leaves no gap at a junction."""
    left = {(int(y), int(x)) for y, x in zip(*np.nonzero(core))}
    drawn: set[tuple[int, int]] = set()

    def around(p, pool):
        return [(p[0] + dy, p[1] + dx) for dy, dx in _NEIGHBOURS if (p[0] + dy, p[1] + dx) in pool]

    traces = []
    while left:
        ends = [p for p in left if len(around(p, left)) <= 1]
        start = min(ends or left)
        path, heading = [start], (0, 0)
        left.discard(start)
        while nexts := around(path[-1], left):
            step = max(nexts, key=lambda q: (q[0] - path[-1][0]) * heading[0] + (q[1] - path[-1][1]) * heading[1])
            heading = (step[0] - path[-1][0], step[1] - path[-1][1])
            path.append(step)
            left.discard(step)
        for end in (0, -1):
            joins = around(path[end], drawn)
            if joins:
                path.insert(len(path) if end == -1 else 0, joins[0])
        drawn.update(path)
        if len(path) >= MIN_STROKE:
            traces.append(path)
    return traces


def fabric_path(points: list[tuple[float, float]], pen: int = PEN, ink: str = INK) -> dict:
    """One freehand stroke as fabric.js's PencilBrush records it: a quadratic curve through the
    midpoints of the mouse positions."""
    if len(points) == 1:
        points = points * 2
    path = [["M", *points[0]]]
    for (x0, y0), (x1, y1) in zip(points, points[1:]):
        path.append(["Q", x0, y0, (x0 + x1) / 2, (y0 + y1) / 2])
    path.append(["L", *points[-1]])
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    geometry = {
        "left": (min(xs) + max(xs)) / 2, "top": (min(ys) + max(ys)) / 2,
        "width": max(xs) - min(xs), "height": max(ys) - min(ys),
        "stroke": ink, "strokeWidth": pen, "path": path,
    }
    return {**_PATH_FIELDS, **geometry}


def render(strokes: list[list[tuple[float, float]]], pen: int = PEN, ink: str = INK, paper: str = PAPER) -> Image.Image:
    """The canvas after `strokes`: round-capped lines `pen` pixels wide, RGBA, drawn at twice
    the size and halved for smooth edges, as the browser anti-aliases."""
    scale = 2
    image = Image.new("RGBA", (CANVAS_WIDTH * scale, CANVAS_HEIGHT * scale), paper)
    draw = ImageDraw.Draw(image)
    r = pen * scale / 2
    for stroke in strokes:
        points = [(x * scale, y * scale) for x, y in stroke]
        if len(points) > 1:
            draw.line(points, fill=ink, width=pen * scale)
        for x, y in points:
            draw.ellipse([x - r, y - r, x + r, y + r], fill=ink)
    return image.resize((CANVAS_WIDTH, CANVAS_HEIGHT), Image.Resampling.LANCZOS)


def data_url(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@dataclass(frozen=True)
class Drawing:
    """One digit as drawn on the canvas: its label, its strokes, and the canvas component's
    report (JSON text) after each stroke."""

    label: int
    strokes: list[list[tuple[float, float]]]
    reports: list[str]

    @classmethod
    def of(cls, digit: np.ndarray, label: int) -> Drawing:
        return cls.from_strokes(strokes_of(digit), label)

    @classmethod
    def from_strokes(cls, strokes: list[list[tuple[float, float]]], label: int) -> Drawing:
        reports, objects = [], []
        for i, stroke in enumerate(strokes):
            objects.append(fabric_path(stroke))
            raw = {"version": FABRIC_VERSION, "objects": list(objects), "background": PAPER}
            reports.append(json.dumps({"drawing": {"raw": raw, "data": data_url(render(strokes[: i + 1]))}}, separators=(",", ":")))
        return cls(label, strokes, reports)

    def png(self) -> bytes:
        """The finished drawing as a PNG file (what a visitor uploads)."""
        buffer = io.BytesIO()
        render(self.strokes).convert("RGB").save(buffer, format="PNG")
        return buffer.getvalue()


def overdrawn(drawings: list[Drawing], strokes: int) -> Drawing:
    """One drawing of `strokes` strokes, the digits' strokes one over the other (someone who
    keeps drawing without Clear: Undo's whole history is kept)."""
    pool = [s for d in drawings for s in d.strokes]
    return Drawing.from_strokes((pool * (strokes // max(1, len(pool)) + 1))[:strokes], label=-1)


def mnist_drawings(n: int, start: int = 0) -> list[Drawing]:
    """The first `n` MNIST test digits of the committed fixture (from `start`), as drawings."""
    with np.load(FIXTURE) as data:
        digits, labels = data["x"][start : start + n], data["y"][start : start + n]
    return [Drawing.of(d, int(y)) for d, y in zip(digits, labels)]
