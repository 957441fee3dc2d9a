"""Where the digits of a written number are: the ink split into pieces the way people write.

    >>> ink = find_ink(canvas)                                  # app.preprocess
    >>> groups = ink_groups(ink)                                # left to right, in ink pixels

Pieces of ink that belong to one digit stay together even when they do not touch (the two
strokes of a 4, the bar of a 5 or a crossed 7, the foot of a 1); `app.strokes` divides them
further where the canvas's strokes say two digits touch. A piece that may hold several touching digits is split later
by `app.numbers`, along the paths `cut_seams` proposes. Pillow and NumPy only.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from app.preprocess import Ink, block_any, block_mean

SOLID = 0.35  # ink above this is part of a stroke when pieces are found
SEG_ROWS = 128  # pieces of ink are found at a size this many rows high at most
SAME_DIGIT_OVERLAP = 0.5  # pieces whose columns overlap this much of the narrower one are one digit
PART = 0.6  # a piece lower than this fraction of the line's height is part of a digit (a bar, a foot, a loop)
PART_OVERLAP = 0.15  # ... and joins the digit whose columns overlap this much of it, the most
SPECK = 0.3  # a piece lower and narrower than this fraction of the line's height joins its neighbour
SIDE_STEP = 0.15  # what a seam pays, in pixels of ink, for each column it moves sideways


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
    """The digits of a picture from its connected pieces of ink, left to right. The pieces are
    found at a reduced size (SEG_ROWS rows at most), where a stroke's width is a pixel or two."""
    solid = ink.pixels > SOLID
    h, w = solid.shape
    f = max(1, math.ceil(h / SEG_ROWS))
    small = block_any(solid, f)
    labels, count = components(small)
    if count <= 1:
        return [whole(ink)]
    return _assemble(ink, labels, count, f)


def whole(ink: Ink) -> Group:
    h, w = ink.pixels.shape
    return Group(ink.pixels, (0, 0, w, h))


def cut_seams(pixels: np.ndarray, least: int, most: int = 5, shear: float = 0.0) -> list[np.ndarray]:
    """Where a group of touching digits could be cut: paths from top to bottom (a column per
    row) through as little ink as they can, so that a cut passes between digits that lean on
    or overlap each other. One path near each of the `most` deepest minima of the ink's column
    profile (at least `least` columns from the ends and from each other), moving at most a
    column per row and no further than `least` from its minimum; left to right. With a
    `shear` (columns per row, positive leaning right as italics do), the paths follow lines
    of that slant instead of the columns, for digits whose meeting is slanted (a leaning 1)."""
    if shear:
        h, w = pixels.shape
        shift = np.round(shear * (np.arange(h) - (h - 1) / 2)).astype(np.int64)  # each row moved so the slant stands upright
        shift -= shift.min()
        upright = np.zeros((h, w + int(shift.max())), pixels.dtype)
        upright[np.arange(h)[:, None], np.arange(w)[None, :] + shift[:, None]] = pixels
        cols = np.flatnonzero(upright.max(axis=0) > 0)  # cropped to its ink, as a group is
        if cols.size == 0:
            return []
        seams = cut_seams(upright[:, cols[0] : cols[-1] + 1], least, most)
        return [np.clip(seam + cols[0] - shift, 0, w) for seam in seams]
    full_h, full_w = pixels.shape
    f = max(1, math.ceil(full_h / SEG_ROWS))  # found at a reduced size, drawn back at full size
    solid = block_mean(pixels > SOLID, f)
    least = max(1, least // f)
    h, w = solid.shape
    if w < 2 * least + 1:
        return []
    profile = np.convolve(np.pad(solid.sum(axis=0), 1, mode="edge"), [0.25, 0.5, 0.25], mode="valid")
    inside = np.arange(least, w - least)
    minima = inside[(profile[inside] <= profile[inside - 1]) & (profile[inside] <= profile[inside + 1])]
    chosen: list[int] = []
    for c in minima[np.argsort(profile[minima], kind="stable")]:
        if all(abs(int(c) - k) >= least for k in chosen):
            chosen.append(int(c))
        if len(chosen) == most:
            break
    if not chosen:
        return []
    centres = np.array(sorted(chosen))
    columns = np.arange(w)
    # One least-ink path per centre at once: cost[k, x] is the least ink on a path of seam k
    # from the top row to column x of this row; outside its band a seam may not go.
    outside = np.where(np.abs(columns[None, :] - centres[:, None]) > least, np.inf, 0.0)
    # cost[y, k, 1 + x]; the two padding columns are out of bounds for every seam.
    cost = np.full((h, len(centres), w + 2), np.inf)
    cost[:, :, 1:-1] = solid[:, None, :] + outside[None]
    best = np.empty((len(centres), w))
    for y in range(1, h):
        above = cost[y - 1]
        np.minimum(above[:, :-2] + SIDE_STEP, above[:, 1:-1], out=best)
        np.minimum(best, above[:, 2:] + SIDE_STEP, out=best)
        cost[y, :, 1:-1] += best
    # Which way each pixel's path came (-1, 0, +1 columns), the first of equals as argmin picks.
    came = (np.argmin(np.stack([cost[:-1, :, :-2] + SIDE_STEP, cost[:-1, :, 1:-1], cost[:-1, :, 2:] + SIDE_STEP]), axis=0) - 1).astype(np.int8)
    came = np.concatenate([np.zeros((1, len(centres), w), np.int8), came])
    cost = cost[-1, :, 1:-1]
    seams, k = np.empty((h, len(centres)), np.int64), np.arange(len(centres))
    x = np.argmin(cost, axis=1)
    for y in range(h - 1, -1, -1):  # every seam back up from its cheapest end at once
        seams[y] = x
        x = x + came[y, k, x]
    return [np.minimum(np.repeat(path, f)[:full_h] * f + f // 2, full_w) for path in seams.T]


def between(pixels: np.ndarray, left: np.ndarray, right: np.ndarray) -> Group | None:
    """The ink between two seams (a column per row each; `right` exclusive) as a group, its box
    in `pixels`; None if there is no ink there."""
    lo, hi = max(0, int(left.min())), min(pixels.shape[1], int(right.max()))
    if hi <= lo:
        return None
    cols = np.arange(lo, hi)  # only the columns the seams can enclose
    return inked(np.where((cols >= left[:, None]) & (cols < right[:, None]), pixels[:, lo:hi], 0.0), lo, 0)


def inked(pixels: np.ndarray, x0: int, y0: int) -> Group | None:
    """`pixels` (whose top-left corner is at x0, y0) cropped to its ink, as a group; None if
    it has none."""
    rows = np.flatnonzero(pixels.max(axis=1) > 0)
    if rows.size == 0:
        return None
    cols = np.flatnonzero(pixels.max(axis=0) > 0)
    r0, r1, c0, c1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
    return Group(pixels[r0:r1, c0:c1].astype(np.float32), (x0 + c0, y0 + r0, x0 + c1, y0 + r1))


def components(mask: np.ndarray) -> tuple[np.ndarray, int]:
    """8-connected pieces of a boolean mask: a label per pixel (0 = background, 1..n) and n,
    numbered in the order of their first pixel (row by row). Runs of each row are joined to the
    runs they touch in the row above."""
    h, w = mask.shape
    edges = np.diff(np.pad(mask, ((0, 0), (1, 1))).astype(np.int8), axis=1)
    rows, starts = np.nonzero(edges == 1)
    _, ends = np.nonzero(edges == -1)  # one past each run's last pixel; same order as starts
    n = rows.size
    if n == 0:
        return np.zeros((h, w), np.int32), 0
    # Runs of row y touch runs of row y+1 that start before they end (+1 for diagonals) and end after they start.
    key_start = rows.astype(np.int64) * (w + 2) + starts
    key_end = rows.astype(np.int64) * (w + 2) + ends
    above = rows - 1
    lo = np.searchsorted(key_end, above.astype(np.int64) * (w + 2) + starts, side="left")
    hi = np.searchsorted(key_start, above.astype(np.int64) * (w + 2) + ends, side="right")
    count = np.maximum(hi - lo, 0)
    below = np.repeat(np.arange(n), count)  # each pair of touching runs: (run above, run below)
    upper = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count) + np.repeat(lo, count)
    first = _linked(n, upper, below)
    _, run_label = np.unique(first, return_inverse=True)  # the first run of each piece, in order
    labels = np.zeros((h, w + 1), np.int32)
    # Paint each run with its label: +label at its start, -label at its end, summed along the row.
    np.add.at(labels, (rows, starts), run_label + 1)
    np.add.at(labels, (rows, ends), -(run_label + 1))
    return np.cumsum(labels, axis=1)[:, :w], int(run_label.max()) + 1


def _linked(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """For each of n nodes joined by the edges a[i]-b[i], the smallest node it is connected to:
    each tree's root hooked under the smaller root across an edge, then every path halved,
    until no edge joins two trees (a few rounds, all in NumPy)."""
    parent = np.arange(n)
    while True:
        ra, rb = parent[a], parent[b]
        low, high = np.minimum(ra, rb), np.maximum(ra, rb)
        if not (low != high).any():
            return parent
        np.minimum.at(parent, high, low)
        while True:  # point every node at its root
            jumped = parent[parent]
            if np.array_equal(jumped, parent):
                break
            parent = jumped


def _assemble(ink: Ink, small: np.ndarray, count: int, f: int) -> list[Group]:
    """Groups from the pieces labelled in `small` (the ink reduced f times): pieces merged into
    digits, each digit's pixels cut out, left to right; all the ink as one group when it is one
    digit. A piece's pixels are its label's blocks that hold ink, looked for only in its box."""
    h, w = ink.pixels.shape
    inked = ink.pixels > 0

    def among(y0: int, y1: int, x0: int, x1: int, *wanted: int) -> np.ndarray:
        """Which inked pixels of [y0, y1) x [x0, x1) lie in blocks labelled one of `wanted`."""
        chosen = np.zeros(count + 1, bool)
        chosen[list(wanted)] = True
        block = chosen[small[y0 // f : (y1 - 1) // f + 1, x0 // f : (x1 - 1) // f + 1]]
        bh, bw = block.shape
        full = np.broadcast_to(block[:, None, :, None], (bh, f, bw, f)).reshape(bh * f, bw * f)
        return full[y0 % f : y0 % f + y1 - y0, x0 % f : x0 % f + x1 - x0] & inked[y0:y1, x0:x1]

    boxes, mass, names = [], [], []
    for k in range(1, count + 1):
        piece = small == k
        rows, cols = np.flatnonzero(piece.any(axis=1)), np.flatnonzero(piece.any(axis=0))
        wy0, wy1, wx0, wx1 = rows[0] * f, min(h, (rows[-1] + 1) * f), cols[0] * f, min(w, (cols[-1] + 1) * f)
        mine = among(wy0, wy1, wx0, wx1, k)
        rows = np.flatnonzero(mine.any(axis=1))
        if rows.size == 0:
            continue
        cols = np.flatnonzero(mine.any(axis=0))
        boxes.append((int(wx0 + cols[0]), int(wy0 + rows[0]), int(wx0 + cols[-1]) + 1, int(wy0 + rows[-1]) + 1))
        mass.append(float(ink.pixels[wy0:wy1, wx0:wx1][mine].sum()))
        names.append(k)
    owner = merge(boxes, mass)
    if len(set(owner)) <= 1:
        return [whole(ink)]  # one digit: all its ink, exactly as for a single digit
    groups = []
    for g in sorted(set(owner)):
        members = [k for k, o in zip(names, owner) if o == g]
        x0, y0 = min(boxes[i][0] for i, o in enumerate(owner) if o == g), min(boxes[i][1] for i, o in enumerate(owner) if o == g)
        x1, y1 = max(boxes[i][2] for i, o in enumerate(owner) if o == g), max(boxes[i][3] for i, o in enumerate(owner) if o == g)
        pixels = np.where(among(y0, y1, x0, x1, *members), ink.pixels[y0:y1, x0:x1], 0.0).astype(np.float32)
        groups.append(Group(pixels, (x0, y0, x1, y1)))
    return sorted(groups, key=lambda g: (g.box[0] + g.box[2]) / 2)


def join(groups: list[Group]) -> Group:
    """Several groups as one."""
    if len(groups) == 1:
        return groups[0]
    x0, y0 = min(g.box[0] for g in groups), min(g.box[1] for g in groups)
    x1, y1 = max(g.box[2] for g in groups), max(g.box[3] for g in groups)
    pixels = np.zeros((y1 - y0, x1 - x0), np.float32)
    for g in groups:
        a, b, c, d = g.box
        np.maximum(pixels[b - y0 : d - y0, a - x0 : c - x0], g.pixels, out=pixels[b - y0 : d - y0, a - x0 : c - x0])
    return Group(pixels, (x0, y0, x1, y1))


def nearest_in_columns(boxes: dict, box) -> object:
    """The key of the box in `boxes` whose columns are nearest to the middle of `box`'s (any
    box whose columns hold it is at distance 0; the first such key wins ties)."""
    centre = (box[0] + box[2]) / 2
    return min(boxes, key=lambda k: max(boxes[k][0] - centre, centre - boxes[k][2], 0))


def merge(boxes: list[tuple], mass: list[float]) -> list[int]:
    """Which digit each piece belongs to (0..k-1, left to right). Pieces whose columns overlap
    by SAME_DIGIT_OVERLAP of the narrower are one digit; a piece too low to be a digit (the bar
    of a 5 or a 7, the foot of a 1, half a stroke) joins the digit it overlaps most; a speck
    joins the nearest digit."""
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
        return box[r][3] - box[r][1] < PART * line

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
        if best is not None and overlap(best, r) >= PART_OVERLAP * width(r):
            join(best, r)
    # Specks: a dot or a fragment joins the digit whose columns are nearest.
    big = [r for r in box if box[r][3] - box[r][1] >= SPECK * line or width(r) >= SPECK * line]
    for r in [r for r in box if r not in big]:
        if big:
            join(nearest_in_columns({k: box[k] for k in big}, box[r]), r)
    order = {r: k for k, r in enumerate(sorted(box, key=lambda r: (box[r][0] + box[r][2]) / 2))}
    return [order[root(i)] for i in range(n)]
