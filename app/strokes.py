"""Where the canvas's strokes say each digit is, so that digits whose strokes touch can be told apart.

    >>> masks = stroke_masks(ink, json_data["objects"])   # StrokeMasks: where each digit is, or None
    >>> digit_groups(ink, masks)                          # each digit's ink, touching or not
    >>> strokes_in(group, masks)                          # its ink under each stroke, in drawing order

The canvas (streamlit-drawable-canvas, fabric.js) reports each stroke as a path object:
`{"type": "path", "left": .., "top": .., "strokeWidth": 20, "path": [["M", x, y], ["Q", x1, y1,
x2, y2], ..., ["L", x, y]]}`, the commands in canvas pixels, in the order they were drawn.
People write a number digit by digit: a stroke belongs to the digit being written when it lies
over that digit's columns (the stem of a 9, the bar of a 5, the foot of a 1), starts a new digit
when it lies to the right, and goes back to an earlier digit when it lies over that one's.
Pillow and NumPy only.
"""

from __future__ import annotations

import math

import numpy as np
from PIL import Image, ImageDraw

from app.preprocess import Ink
from app.segment import SOLID, Group, inked

STROKE_COVERAGE = 0.9  # the strokes must cover this much of the ink, else they are not this picture's
MOST_PAINTED = 4  # the digits' masks may cover the picture this many times over (memory, time)


class StrokeMasks:
    """Where the canvas's strokes say each digit is, in the ink crop's pixels: `len()` digits,
    each with the box its strokes cover (`boxes`, x0, y0, x1, y1, a pixel to spare), that box
    in whole pixels of the crop (`clips`) and, once `paint()`ed, the mask its strokes paint over
    it (`masks`; they overlap where strokes cross)."""

    def __init__(self, shape: tuple[int, int], local: list[tuple[np.ndarray, float]], owner: list[int]) -> None:
        self.local, self.owner = local, owner
        self.boxes, self.clips, self.masks = [], [], []
        h, w = shape
        for k in range(max(owner) + 1):
            spans = [_box(xy, _nib(width) + 2) for (xy, width), o in zip(local, owner) if o == k]
            box = tuple(f(b[i] for b in spans) for i, f in enumerate((min, min, max, max)))
            x0, y0 = min(w, max(0, int(box[0]))), min(h, max(0, int(box[1])))
            self.boxes.append(box)
            self.clips.append((x0, y0, max(x0, min(w, math.ceil(box[2]))), max(y0, min(h, math.ceil(box[3])))))

    def __len__(self) -> int:
        return len(self.boxes)

    def area(self) -> int:
        """The pixels of the digits' boxes, counted once per digit."""
        return sum((x1 - x0) * (y1 - y0) for x0, y0, x1, y1 in self.clips)

    def paint(self) -> None:
        """Each digit's strokes painted over its box (`masks`, boolean)."""
        images = [Image.new("L", (x1 - x0, y1 - y0)) for x0, y0, x1, y1 in self.clips]
        draws = [ImageDraw.Draw(image) for image in images]
        for (xy, width), k in zip(self.local, self.owner):
            _paint(draws[k], xy - self.clips[k][:2], _nib(width))
        self.masks = [np.asarray(image) > 0 for image in images]

    def over(self, box: tuple[int, int, int, int]) -> list[int]:
        """The digits whose strokes' boxes meet `box` (x0, y0, x1, y1, in the crop's pixels)."""
        return [k for k, b in enumerate(self.boxes) if b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3]]


def stroke_masks(ink: Ink, strokes) -> StrokeMasks | None:
    """Where the canvas's strokes (fabric.js objects, as the canvas's `json_data["objects"]` has
    them) say each digit is, the strokes grouped by the order and the columns they were drawn in
    (`stroke_digits`). None when there are no usable strokes, when they do not match the picture
    (they cover less than STROKE_COVERAGE of its ink) or when their digits' boxes overlap so
    much that painting them would take MOST_PAINTED times the picture (read from pixels then)."""
    paths = [p for p in (_stroke_points(s) for s in _objects(strokes)) if p is not None]
    if not paths or len(paths) > 250:
        return None
    local = []  # each stroke's points in the ink crop's pixels, and its width there
    for points, width in paths:
        xy = (points - (ink.left, ink.top)) / ink.scale
        local.append((xy, max(1.0, width / ink.scale)))
    h, w = ink.pixels.shape
    masks = StrokeMasks((h, w), local, stroke_digits([_box(xy, width) for xy, width in local]))
    if masks.area() > MOST_PAINTED * h * w:
        return None
    masks.paint()
    covered = np.zeros((h, w), bool)
    for (x0, y0, x1, y1), mask in zip(masks.clips, masks.masks):
        covered[y0:y1, x0:x1] |= mask
    solid = ink.pixels > SOLID
    if np.count_nonzero(covered & solid) < STROKE_COVERAGE * np.count_nonzero(solid):
        return None
    return masks


def _nib(width: float) -> int:
    return int(math.ceil(width)) + 4  # a little wider than the pen: the anti-aliased edge is ink too


def _paint(draw: ImageDraw.ImageDraw, xy: np.ndarray, nib: int) -> None:
    """One stroke drawn with a round pen `nib` pixels wide: a line through its points (about
    half a nib apart) and a disc at every point (round ends and joints)."""
    points = _sparse(xy, nib / 2)
    if len(points) > 1:
        draw.line(points.ravel().tolist(), fill=255, width=nib)
    for disc in np.hstack([points - nib / 2, points + nib / 2]).tolist():
        draw.ellipse(disc, fill=255)


def digits_drawn(strokes) -> int:
    """How many digits the canvas's strokes were drawn as (`stroke_digits`); 0 when there are
    no usable strokes. Raises ValueError for strokes that are not a list, as `stroke_masks`."""
    boxes = [_box(*found) for found in (_stroke_points(s) for s in _objects(strokes)) if found is not None]
    return len(set(stroke_digits(boxes)))


def stroke_digits(boxes: list[tuple[float, float, float, float]]) -> list[int]:
    """Which digit each stroke belongs to (0..k-1, left to right), from the strokes' boxes in
    the order they were drawn: a stroke centred over the columns of the digit being written, or
    overlapping them and not right of them (a 5's body drawn after its bar), is part of it; one
    centred over an earlier digit's columns goes back to that one, and any other starts a new
    digit (people write left to right). It errs towards apart: `app.numbers` joins again the
    strokes the model reads better as one digit (a 0 drawn in two halves)."""
    spans: list[list[float]] = []  # each digit's columns so far: [x0, x1]
    owner, current = [], -1
    for x0, _, x1, _ in boxes:
        centre = (x0 + x1) / 2
        over = [k for k, (a, b) in enumerate(spans) if a <= centre <= b]
        if current >= 0 and x0 <= spans[current][1] and x1 >= spans[current][0] and centre <= spans[current][1]:
            over = [current]  # overlapping the digit being written and not right of it: part of it
        if current in over or not over:
            k = current if current in over else len(spans)
        else:
            k = min(over, key=lambda j: abs(centre - (spans[j][0] + spans[j][1]) / 2))
        if k == len(spans):
            spans.append([x0, x1])
        spans[k] = [min(spans[k][0], x0), max(spans[k][1], x1)]
        owner.append(k)
        current = k
    order = {k: rank for rank, k in enumerate(sorted(range(len(spans)), key=lambda j: sum(spans[j])))}
    return [order[k] for k in owner]


def digit_groups(ink: Ink, masks: StrokeMasks) -> list[Group]:
    """Each digit the strokes were drawn as (`stroke_masks`), as a group of ink, left to right:
    the ink in the box its strokes cover or, where another digit's strokes reach into that box,
    only the ink under its own strokes."""
    out = []
    for box, (x0, y0, x1, y1), mask in zip(masks.boxes, masks.clips, masks.masks):
        if x1 <= x0 or y1 <= y0:
            continue
        pixels = ink.pixels[y0:y1, x0:x1]
        if len(masks.over(box)) > 1:
            pixels = np.where(mask, pixels, 0.0)
        if (group := inked(pixels, x0, y0)) is not None:
            out.append(group)
    return sorted(out, key=lambda g: (g.box[0] + g.box[2]) / 2)


def strokes_in(group: Group, masks: StrokeMasks, most: int = 12) -> list[np.ndarray]:
    """The ink of `group` under each stroke that draws a share of it, in the order they were
    drawn: boolean masks of the group's crop; [] when more than `most` strokes draw it."""
    x0, y0, x1, y1 = group.box
    inked = group.pixels > 0
    total = int(np.count_nonzero(inked))
    found = []
    for xy, width in masks.local:
        b = _box(xy, _nib(width))
        if b[0] >= x1 or b[2] <= x0 or b[1] >= y1 or b[3] <= y0:
            continue
        painted = Image.new("L", (x1 - x0, y1 - y0))
        _paint(ImageDraw.Draw(painted), xy - (x0, y0), _nib(width))
        mine = (np.asarray(painted) > 0) & inked
        if np.count_nonzero(mine) >= 0.02 * total:
            found.append(mine)
        if len(found) > most:
            return []
    return found


def _sparse(xy: np.ndarray, step: float) -> np.ndarray:
    """The stroke's points about `step` apart along it, ends kept: the pointer reports a point
    every pixel or two, and a wide nib's line needs far fewer."""
    along = np.concatenate([[0.0], np.cumsum(np.abs(np.diff(xy, axis=0)).sum(axis=1))])
    cell = np.floor(along / max(step, 1.0))
    keep = np.flatnonzero(cell[1:] > cell[:-1]) + 1  # the first point in each step, after the first
    if not keep.size or keep[-1] != len(xy) - 1:
        keep = np.append(keep, len(xy) - 1)
    return xy[np.concatenate([[0], keep])] if len(xy) > 1 else xy


def _box(xy: np.ndarray, width: float) -> tuple[float, float, float, float]:
    """The box (x0, y0, x1, y1) a stroke's ink covers: its points, widened by half the pen."""
    return xy[:, 0].min() - width / 2, xy[:, 1].min() - width / 2, xy[:, 0].max() + width / 2, xy[:, 1].max() + width / 2


def _objects(strokes) -> list:
    if strokes is None:
        return []
    if isinstance(strokes, dict):
        strokes = strokes.get("objects") or []
    if not isinstance(strokes, (list, tuple)):
        raise ValueError(f"expected the canvas's strokes as a list of objects (json_data['objects']), got {type(strokes).__name__}")
    return list(strokes)


def _stroke_points(stroke) -> tuple[np.ndarray, float] | None:
    """A fabric.js path's points in canvas pixels and its width; None if it is not a path.
    The commands (M, L, Q, C) hold canvas coordinates; an object moved after drawing has its
    `left`/`top` moved with it, so the points are shifted to agree."""
    if not isinstance(stroke, dict) or not isinstance(stroke.get("path"), list):
        return None
    try:  # each command's letter, then (x, y) pairs: a path that is not so is not a stroke
        xy = np.array([v for command in stroke["path"] for v in command[1:]], dtype=np.float64).reshape(-1, 2)
    except (TypeError, ValueError):
        return None
    if not len(xy) or not np.all(np.isfinite(xy)):
        return None
    try:
        width = float(stroke.get("strokeWidth") or 1.0)
    except (TypeError, ValueError):
        width = 1.0
    for axis, key, origin in ((0, "left", "originX"), (1, "top", "originY")):
        if isinstance(stroke.get(key), (int, float)) and stroke.get(origin, "left" if axis == 0 else "top") in ("left", "top"):
            shift = float(stroke[key]) + width / 2 - xy[:, axis].min()
            if abs(shift) > 2:  # fabric's own box differs from the points' by under a pixel
                xy[:, axis] += shift
    return xy, width
