"""Where the digits of a written number are: the ink split into pieces the way people write.

    >>> ink = find_ink(canvas)                                  # app.preprocess
    >>> groups = stroke_groups(ink, json_data["objects"]) or ink_groups(ink)
    >>> [g.box for g in groups]                                 # left to right, in ink pixels

With the canvas's strokes, the strokes of one digit stay together even when they do not touch
(the two strokes of a 4, the bar of a 5 or a crossed 7, the foot of a 1), and strokes of
different digits stay apart even when they touch. Without strokes (an upload) the same is done
with the connected pieces of ink. A piece that may hold several touching digits is split later
by `app.numbers`, at the columns `cut_columns` proposes. Pillow and NumPy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from app.preprocess import Ink

SOLID = 0.35  # ink above this is part of a stroke when pieces are found
SAME_DIGIT_OVERLAP = 0.5  # pieces whose columns overlap this much of the narrower one are one digit
FLAT = 0.4  # a piece lower than this fraction of the line's height is a bar or a foot
FLAT_OVERLAP = 0.15  # ... and joins the digit whose columns overlap this much of it, the most
SPECK = 0.3  # a piece lower and narrower than this fraction of the line's height joins its neighbour
STROKE_COVERAGE = 0.9  # the strokes must cover this much of the ink, else they are not this picture's


@dataclass(frozen=True)
class Group:
    """One digit's ink, or several touching ones: `pixels` (the ink crop with other groups'
    ink removed, cropped to this group) and `box` (x0, y0, x1, y1) in the ink crop's pixels."""

    pixels: np.ndarray
    box: tuple[int, int, int, int]

    @property
    def width(self) -> int:
        return self.box[2] - self.box[0]

    @property
    def height(self) -> int:
        return self.box[3] - self.box[1]


def ink_groups(ink: Ink) -> list[Group]:
    """The digits of a picture from its connected pieces of ink, left to right."""
    labels, count = components(ink.pixels > SOLID)
    if count <= 1:
        return [whole(ink)]
    return _assemble(ink, _spread(labels, ink.pixels > 0), count)


def stroke_groups(ink: Ink, strokes) -> list[Group] | None:
    """The digits of a canvas drawing from its strokes (fabric.js objects, as the canvas's
    `json_data["objects"]` has them), left to right; None when there are no usable strokes or
    they do not match the picture (then use `ink_groups`)."""
    paths = [p for p in (_stroke_points(s) for s in _objects(strokes)) if p is not None]
    if not paths:
        return None
    # Stroke points in the ink crop's pixels, and each stroke's columns.
    local = []
    for points, width in paths:
        xy = (points - (ink.left, ink.top)) / (ink.scale_x, ink.scale_y)
        local.append((xy, max(1.0, width / ink.scale_x)))
    boxes = [(xy[:, 0].min() - w / 2, xy[:, 1].min() - w / 2, xy[:, 0].max() + w / 2, xy[:, 1].max() + w / 2) for xy, w in local]
    owner = _merge(boxes, [(b[2] - b[0]) * (b[3] - b[1]) for b in boxes])
    # Paint each stroke with its group's number; the ink takes the number painted under it.
    h, w = ink.pixels.shape
    painted = Image.new("L", (w, h))
    draw = ImageDraw.Draw(painted)
    for (xy, width), group in zip(local, owner):
        nib = int(math.ceil(width)) + 2  # a little wider: the anti-aliased edge is ink too
        points = [tuple(p) for p in xy.tolist()]
        if len(points) > 1:
            draw.line(points, fill=group + 1, width=nib, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse([x - nib / 2, y - nib / 2, x + nib / 2, y + nib / 2], fill=group + 1)
    labels = np.asarray(painted.filter(ImageFilter.MaxFilter(3)), dtype=np.int32)
    labels = np.where(labels > 0, labels, np.asarray(painted.filter(ImageFilter.MaxFilter(7)), dtype=np.int32))
    solid = ink.pixels > SOLID
    if np.count_nonzero(labels[solid]) < STROKE_COVERAGE * np.count_nonzero(solid):
        return None
    labels = np.where(ink.pixels > 0, labels, 0)
    count = int(labels.max())
    if count <= 1:
        return [whole(ink)]
    return _assemble(ink, labels, count, already_grouped=True)


def whole(ink: Ink) -> Group:
    h, w = ink.pixels.shape
    return Group(ink.pixels, (0, 0, w, h))


def cut_columns(pixels: np.ndarray, least: int, most: int = 6) -> list[int]:
    """Columns where a group of touching digits could be cut: the `most` deepest minima of its
    ink's column profile, each at least `least` columns from the ends and from each other."""
    profile = (pixels > SOLID).sum(axis=0).astype(np.float32)
    w = profile.size
    if w < 2 * least + 1:
        return []
    smooth = np.convolve(np.pad(profile, 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    inside = np.arange(least, w - least)
    left, right = smooth[inside - 1], smooth[inside + 1]
    minima = inside[(smooth[inside] <= left) & (smooth[inside] <= right)]
    chosen: list[int] = []
    for c in minima[np.argsort(smooth[minima], kind="stable")]:
        if all(abs(int(c) - k) >= least for k in chosen):
            chosen.append(int(c))
        if len(chosen) == most:
            break
    return sorted(chosen)


def crop(pixels: np.ndarray, x0: int, x1: int) -> tuple[np.ndarray, tuple[int, int, int, int]] | None:
    """Columns x0..x1 of `pixels` cropped to their ink, with the crop's box; None if no ink."""
    part = pixels[:, x0:x1]
    rows = np.flatnonzero(part.max(axis=1) > 0)
    cols = np.flatnonzero(part.max(axis=0) > 0)
    if rows.size == 0:
        return None
    y0, y1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return part[y0:y1, c0:c1], (x0 + c0, y0, x0 + c1, y1)


def components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected pieces of a boolean mask: a label per pixel (0 = background, 1..n) and n.
    Runs of each row are joined to the runs they touch in the row above (union-find)."""
    h, w = mask.shape
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # one past each run's last pixel; same order as starts
    n = rows.size
    if n == 0:
        return np.zeros((h, w), np.int32), 0
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    # Runs of row y touch runs of row y+1 that start before they end (+1 for diagonals) and end after they start.
    key_start = rows.astype(np.int64) * (w + 2) + starts
    key_end = rows.astype(np.int64) * (w + 2) + ends
    above = rows - 1
    lo = np.searchsorted(key_end, above.astype(np.int64) * (w + 2) + starts, side="left")
    hi = np.searchsorted(key_start, above.astype(np.int64) * (w + 2) + ends, side="right")
    for j in np.flatnonzero(hi > lo).tolist():
        rj = root(j)
        for i in range(int(lo[j]), int(hi[j])):
            ri = root(i)
            if ri != rj:
                parent[ri] = rj
    roots = np.array([root(i) for i in range(n)])
    _, run_label = np.unique(roots, return_inverse=True)
    labels = np.zeros((h, w + 1), np.int32)
    # Paint each run with its label: +label at its start, -label at its end, summed along the row.
    np.add.at(labels, (rows, starts), run_label + 1)
    np.add.at(labels, (rows, ends), -(run_label + 1))
    return np.cumsum(labels, axis=1)[:, :w], int(run_label.max()) + 1


def _assemble(ink: Ink, labels: np.ndarray, count: int, already_grouped: bool = False) -> list[Group]:
    """Groups from labelled pieces: pieces merged into digits (unless `already_grouped`), each
    digit's pixels cut out, left to right."""
    index = np.arange(1, count + 1)
    present = labels > 0
    ys, xs = np.nonzero(present)
    lab = labels[ys, xs] - 1
    x0 = np.full(count, np.iinfo(np.int32).max)
    y0 = x0.copy()
    x1 = np.full(count, -1)
    y1 = x1.copy()
    np.minimum.at(x0, lab, xs)
    np.minimum.at(y0, lab, ys)
    np.maximum.at(x1, lab, xs + 1)
    np.maximum.at(y1, lab, ys + 1)
    mass = np.bincount(lab, weights=ink.pixels[ys, xs], minlength=count)
    used = x1 > 0
    boxes = [(int(a), int(b), int(c), int(d)) for a, b, c, d in zip(x0, y0, x1, y1)]
    if already_grouped:
        owner = np.arange(count)
    else:
        owner = np.array(_merge(boxes, mass.tolist()))
    owner = np.where(used, owner, -1)
    if np.unique(owner[owner >= 0]).size <= 1:
        return [whole(ink)]  # one digit: all its ink, exactly as for a single digit
    groups = []
    for g in np.unique(owner[owner >= 0]):
        members = index[owner == g]
        pixels = np.where(np.isin(labels, members), ink.pixels, 0.0).astype(np.float32)
        gx0, gy0 = int(x0[owner == g].min()), int(y0[owner == g].min())
        gx1, gy1 = int(x1[owner == g].max()), int(y1[owner == g].max())
        groups.append(Group(pixels[gy0:gy1, gx0:gx1], (gx0, gy0, gx1, gy1)))
    return sorted(groups, key=lambda g: (g.box[0] + g.box[2]) / 2)


def _spread(labels: np.ndarray, faint: np.ndarray, steps: int = 2) -> np.ndarray:
    """Labels grown into the faint ink around them (the anti-aliased edges of the strokes)."""
    for _ in range(steps):
        grown = labels.copy()
        grown[1:] = np.maximum(grown[1:], labels[:-1])
        grown[:-1] = np.maximum(grown[:-1], labels[1:])
        wide = grown.copy()
        wide[:, 1:] = np.maximum(wide[:, 1:], grown[:, :-1])
        wide[:, :-1] = np.maximum(wide[:, :-1], grown[:, 1:])
        labels = np.where((labels == 0) & faint, wide, labels)
    return labels


def _merge(boxes: list[tuple], mass: list[float]) -> list[int]:
    """Which digit each piece belongs to (0..k-1, left to right). Pieces whose columns overlap
    by SAME_DIGIT_OVERLAP of the narrower are one digit; a flat piece (the bar of a 5 or a 7,
    the foot of a 1) joins the digit it overlaps most; a speck joins the nearest digit."""
    n = len(boxes)
    owner = list(range(n))

    def root(i: int) -> int:
        while owner[i] != i:
            i = owner[i]
        return i

    heights = sorted((b[3] - b[1] for b, m in zip(boxes, mass) if m > 0), reverse=True)
    line = float(np.median(heights[: max(1, (len(heights) + 1) // 2)])) if heights else 1.0
    box = {i: list(b) for i, b in enumerate(boxes)}

    def join(a: int, b: int) -> None:
        owner[b] = a
        box[a] = [min(box[a][0], box[b][0]), min(box[a][1], box[b][1]), max(box[a][2], box[b][2]), max(box[a][3], box[b][3])]
        del box[b]

    def overlap(a: int, b: int) -> float:
        return min(box[a][2], box[b][2]) - max(box[a][0], box[b][0])

    def flat(r: int) -> bool:
        return box[r][3] - box[r][1] < FLAT * line

    def width(r: int) -> float:
        return max(box[r][2] - box[r][0], 1)

    changed = True
    while changed:
        changed = False
        upright = sorted((r for r in box if not flat(r)), key=lambda r: box[r][0])
        for a, b in zip(upright, upright[1:]):
            if overlap(a, b) >= SAME_DIGIT_OVERLAP * min(width(a), width(b)):
                join(a, b)
                changed = True
                break
    upright = [r for r in box if not flat(r)]
    for r in [r for r in box if flat(r)]:
        best = max(upright, key=lambda k: overlap(k, r), default=None)
        if best is not None and overlap(best, r) >= FLAT_OVERLAP * width(r):
            join(best, r)
    # Specks: a dot or a fragment joins the digit whose columns are nearest.
    big = [r for r in box if box[r][3] - box[r][1] >= SPECK * line or width(r) >= SPECK * line]
    for r in [r for r in box if r not in big]:
        if big:
            centre = (box[r][0] + box[r][2]) / 2
            join(min(big, key=lambda k: max(box[k][0] - centre, centre - box[k][2], 0)), r)
    order = {r: k for k, r in enumerate(sorted(box, key=lambda r: (box[r][0] + box[r][2]) / 2))}
    return [order[root(i)] for i in range(n)]


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
    points = []
    for command in stroke["path"]:
        if not isinstance(command, (list, tuple)) or len(command) < 3:
            continue
        values = command[1:]
        try:
            values = [float(v) for v in values]
        except (TypeError, ValueError):
            return None
        points.extend(zip(values[0::2], values[1::2]))
    if not points:
        return None
    xy = np.array(points, dtype=np.float64)
    if not np.all(np.isfinite(xy)):
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
