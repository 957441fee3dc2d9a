"""Reading a whole number: the digits found (`app.segment`), touching ones cut apart where the
model reads the pieces best, each digit read as `Recognizer.predict` reads one.

    >>> reading = recognizer.read_number(canvas_rgba, strokes=json_data["objects"])
    >>> reading.number, reading.status               # "2026", "ok"   ("20?6", "uncertain"; None, "empty")
    >>> [(d.prediction.digit, d.box) for d in reading.digits]     # box: x0, y0, x1, y1 in the picture

A picture with one digit gives exactly what `predict` gives. Ink that may be several touching
digits (a piece wider than a digit, or one the model is not sure of) is cut at the minima of
its ink's column profile; every way of cutting it there is scored by the model's confidence in
each piece, with a cost per digit and a penalty for pieces too wide or too narrow to be one
digit, and the best way wins (dynamic programming over the cuts, one model call for all).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from app.preprocess import Ink, centre_digit, find_ink
from app.recognizer import Prediction, judge
from app.segment import Group, crop, cut_columns, ink_groups, stroke_groups

if TYPE_CHECKING:
    from app.recognizer import Recognizer

WIDE = 0.95  # a piece wider than this many line heights may be several digits
DIGIT_COST = math.log(0.5)  # each extra digit must make the reading this much likelier
NARROW = 0.3  # a cut piece narrower than this (in line heights) must read as a 1
TOO_WIDE = 1.15  # a piece wider than this (in line heights) is penalised the more, the wider
SHAPE_PENALTY = 3.0
LOW_PIECE = 0.45  # a cut piece lower than this fraction of its group is a fragment, not a digit
MAX_CUTS = 6


@dataclass(frozen=True)
class Digit:
    """One digit of a number: what the model made of it, and its box (x0, y0, x1, y1) in the
    picture's pixel coordinates (x1, y1 exclusive)."""

    prediction: Prediction
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class Reading:
    """What was read: `number` ("2026"; an uncertain digit shows as "?", as in "20?6"; None when
    empty), `status` ("ok" when every digit is ok, "uncertain", or "empty"), and the digits,
    left to right."""

    number: str | None
    status: str
    digits: tuple[Digit, ...]

    @property
    def unsure(self) -> tuple[int, ...]:
        """Positions (0-based) of the digits that are not ok."""
        return tuple(i for i, d in enumerate(self.digits) if d.prediction.status != "ok")


EMPTY_READING = Reading(None, "empty", ())


def read_number(recognizer: Recognizer, image: Image.Image | np.ndarray, strokes=None) -> Reading:
    """The number in `image` (as `Recognizer.predict` takes it); `strokes` are the canvas's
    fabric.js objects (`json_data["objects"]`, or `json_data` itself), in the picture's pixels.
    Raises ValueError for pictures `predict` refuses and for strokes that are not a list."""
    ink = find_ink(image)
    if ink is None:
        return EMPTY_READING
    groups = (stroke_groups(ink, strokes) if strokes is not None else None) or ink_groups(ink)
    line = _line_height(groups)
    inputs = [centre_digit(g.pixels) for g in groups]
    kept = [(g, x) for g, x in zip(groups, inputs) if x is not None]
    if not kept:
        return EMPTY_READING
    first = recognizer.probabilities(np.stack([x for _, x in kept]))
    pieces: list[tuple[np.ndarray, np.ndarray, tuple[int, int, int, int]]] = []
    for (group, x), probabilities in zip(kept, first):
        whole = judge(probabilities, x)
        if group.width > WIDE * line or whole.status != "ok":
            pieces.extend(_split(recognizer, group, line, probabilities, x))
        else:
            pieces.append((probabilities, x, group.box))
    digits = tuple(Digit(judge(p, x), _picture_box(ink, box)) for p, x, box in pieces)
    number = "".join(str(d.prediction.digit) if d.prediction.status == "ok" else "?" for d in digits)
    status = "ok" if all(d.prediction.status == "ok" for d in digits) else "uncertain"
    return Reading(number, status, digits)


def _split(recognizer: Recognizer, group: Group, line: float, whole_p: np.ndarray, whole_x: np.ndarray) -> list:
    """The group as one or more digits, whichever way of cutting it the model reads best:
    [(probabilities, model input, box in the ink crop)], left to right."""
    least = max(2, int(round(0.12 * line)))
    cuts = cut_columns(group.pixels, least, MAX_CUTS)
    if not cuts:
        return [(whole_p, whole_x, group.box)]
    nodes = [0, *cuts, group.width]
    spans = [(i, j) for i in range(len(nodes)) for j in range(i + 1, len(nodes)) if (i, j) != (0, len(nodes) - 1)]
    candidates = {}
    for i, j in spans:
        if (nodes[j] - nodes[i]) > 2 * TOO_WIDE * line:
            continue
        found = crop(group.pixels, nodes[i], nodes[j])
        if found is None or found[1][3] - found[1][1] < LOW_PIECE * group.height:
            continue
        x = centre_digit(found[0])
        if x is not None:
            candidates[(i, j)] = (found[1], x)
    if not candidates:
        return [(whole_p, whole_x, group.box)]
    keys = list(candidates)
    probabilities = dict(zip(keys, recognizer.probabilities(np.stack([candidates[k][1] for k in keys]))))
    probabilities[(0, len(nodes) - 1)] = whole_p
    candidates[(0, len(nodes) - 1)] = ((0, 0, group.width, group.height), whole_x)

    def score(key) -> float:
        p = probabilities[key]
        (x0, _, x1, _), _ = candidates[key]
        width = (x1 - x0) / line
        digit = int(np.argmax(p))
        shape = 0.0
        if width > TOO_WIDE:
            shape -= SHAPE_PENALTY * (width - TOO_WIDE)
        if width < NARROW and digit != 1:
            shape -= SHAPE_PENALTY * (NARROW - width) / NARROW
        return math.log(max(float(p[digit]), 1e-6)) + shape + DIGIT_COST

    # best[j]: the best reading of the columns before node j, and the pieces it is made of.
    best: list[tuple[float, list]] = [(0.0, [])] + [(-math.inf, [])] * (len(nodes) - 1)
    for j in range(1, len(nodes)):
        for i in range(j):
            if (i, j) in candidates and best[i][0] > -math.inf:
                total = best[i][0] + score((i, j))
                if total > best[j][0]:
                    best[j] = (total, best[i][1] + [(i, j)])
    gx, gy = group.box[:2]
    out = []
    for key in best[-1][1]:
        (x0, y0, x1, y1), x = candidates[key]
        out.append((probabilities[key], x, (gx + x0, gy + y0, gx + x1, gy + y1)))
    return out


def _line_height(groups: list[Group]) -> float:
    """The height of the writing: the median height of the taller half of the groups."""
    heights = sorted((g.height for g in groups), reverse=True)
    return float(max(1.0, np.median(heights[: max(1, (len(heights) + 1) // 2)])))


def _picture_box(ink: Ink, box: tuple[int, int, int, int]) -> tuple[int, int, int, int]:
    return ink.box(*box)
