"""Where the canvas's strokes say each digit is, so that digits whose strokes touch can be told apart.

    >>> masks = stroke_masks(ink, json_data["objects"])   # StrokeMasks: where each digit is, or None
    >>> parts(group, masks)                               # a group of touching digits, divided
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
from app.segment import SOLID, Group

STROKE_COVERAGE = 0.9  # the strokes must cover this much of the ink, else they are not this picture's


class StrokeMasks:
    """Where the canvas's strokes say each digit is, in the ink crop's pixels: `len()` digits,
    each with the box its strokes cover (`boxes`, x0, y0, x1, y1); `masks()` paints one boolean
    mask of the crop per digit (k, h, w), on first use only (masks overlap where strokes cross)."""

    def __init__(self, shape: tuple[int, int], local: list[tuple[np.ndarray, float]], owner: list[int]) -> None:
        self.shape, self.local, self.owner = shape, local, owner
        self.boxes = []
        for k in range(max(owner) + 1):
            mine = [_box(xy, _nib(width) + 2) for (xy, width), o in zip(local, owner) if o == k]  # a pixel to spare
            self.boxes.append(tuple(f(b[i] for b in mine) for i, f in enumerate((min, min, max, max))))
        self._masks: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.boxes)

    def over(self, box: tuple[int, int, int, int]) -> list[int]:
        """The digits whose strokes' boxes meet `box` (x0, y0, x1, y1, in the crop's pixels)."""
        return [k for k, b in enumerate(self.boxes) if b[0] < box[2] and box[0] < b[2] and b[1] < box[3] and box[1] < b[3]]

    def masks(self) -> np.ndarray:
        if self._masks is None:
            h, w = self.shape
            painted = [Image.new("L", (w, h)) for _ in self.boxes]
            for (xy, width), k in zip(self.local, self.owner):
                _paint(ImageDraw.Draw(painted[k]), xy, _nib(width), joints=True)
            self._masks = np.stack([np.asarray(p) > 0 for p in painted])
        return self._masks


def stroke_masks(ink: Ink, strokes) -> StrokeMasks | None:
    """Where the canvas's strokes (fabric.js objects, as the canvas's `json_data["objects"]` has
    them) say each digit is, the strokes grouped by the order and the columns they were drawn in
    (`stroke_digits`). None when there are no usable strokes or they do not match the picture
    (they cover less than STROKE_COVERAGE of its ink)."""
    paths = [p for p in (_stroke_points(s) for s in _objects(strokes)) if p is not None]
    if not paths or len(paths) > 250:
        return None
    local = []  # each stroke's points in the ink crop's pixels, and its width there
    for points, width in paths:
        xy = (points - (ink.left, ink.top)) / ink.scale
        local.append((xy, max(1.0, width / ink.scale)))
    h, w = ink.pixels.shape
    covered = Image.new("L", (w, h))
    draw = ImageDraw.Draw(covered)
    for xy, width in local:  # every stroke in one picture, with plain joints: enough to compare
        _paint(draw, xy, _nib(width), joints=False)
    solid = ink.pixels > SOLID
    if np.count_nonzero((np.asarray(covered) > 0) & solid) < STROKE_COVERAGE * np.count_nonzero(solid):
        return None
    return StrokeMasks((h, w), local, stroke_digits([_box(xy, width) for xy, width in local]))


def _nib(width: float) -> int:
    return int(math.ceil(width)) + 4  # a little wider than the pen: the anti-aliased edge is ink too


def _paint(draw: ImageDraw.ImageDraw, xy: np.ndarray, nib: int, joints: bool) -> None:
    """One stroke drawn with a round pen `nib` pixels wide: a line through its points (about
    half a nib apart), a disc at each end and, with `joints`, at every point (round joints)."""
    points = [tuple(p) for p in _sparse(xy, nib / 2).tolist()]
    if len(points) > 1:
        draw.line(points, fill=255, width=nib)
    for x, y in points if joints else (points[0], points[-1]):
        draw.ellipse([x - nib / 2, y - nib / 2, x + nib / 2, y + nib / 2], fill=255)


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


def parts(group: Group, masks: StrokeMasks) -> list[Group]:
    """The group's ink under each of the digits' `masks` (from `stroke_masks`) that holds a
    share of it, left to right; [] when the masks see one digit in it, or leave much of it
    uncovered. The masks are painted only for a group that two digits' strokes reach."""
    if len(masks.over(group.box)) < 2:
        return []
    x0, y0, x1, y1 = group.box
    inked = group.pixels > 0
    mine = masks.masks()[:, y0:y1, x0:x1] & inked
    total = float(group.pixels.sum())
    found = [k for k in range(len(masks)) if float(group.pixels[mine[k]].sum()) >= 0.05 * total]
    if len(found) < 2 or float(group.pixels[inked & ~mine.any(axis=0)].sum()) > 0.2 * total:
        return []
    out = []
    for k in found:
        pixels = np.where(mine[k], group.pixels, 0.0).astype(np.float32)
        rows = np.flatnonzero(pixels.any(axis=1))
        cols = np.flatnonzero(pixels.any(axis=0))
        r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
        out.append(Group(pixels[r0:r1, c0:c1], (x0 + c0, y0 + r0, x0 + c1, y0 + r1)))
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
        _paint(ImageDraw.Draw(painted), xy - (x0, y0), _nib(width), joints=True)
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
    values = []
    for command in stroke["path"]:
        if isinstance(command, (list, tuple)) and len(command) >= 3:
            values.extend(command[1 : 1 + 2 * ((len(command) - 1) // 2)])  # (x, y) pairs
    try:
        xy = np.array(values, dtype=np.float64).reshape(-1, 2)
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
