"""Reading a whole number: the digits found (`app.segment`), touching ones cut apart where the
model reads the pieces best, each digit read as `Recognizer.predict` reads one.

    >>> reading = recognizer.read_number(canvas_rgba, strokes=json_data["objects"])
    >>> reading.number, reading.status               # "2026", ok   ("20?6", uncertain; None, empty)
    >>> [(d.prediction.digit, d.box) for d in reading.digits]     # box: x0, y0, x1, y1 in the picture

A picture with one digit gives exactly what `predict` gives, and so do strokes drawn as one
digit (`app.strokes.stroke_digits`), however wide. With the canvas's strokes, each digit they
were drawn as is its ink (`app.strokes.digit_groups`), touching or not; from pixels alone, the
digits are the connected pieces of ink (`app.segment.ink_groups`). Neighbours are joined when
they read far better as one digit; a piece that may be several touching digits (wider than a
digit, or one the model is not sure of) is cut along paths through the least ink near the
minima of its column profile (from pixels, where the model doubts the piece, also along
slanted lines, as where a leaning 1 meets its neighbour; with strokes, where one run of
strokes ends). Each time, every way of doing it is scored by the model's confidence in each
resulting digit, with a cost per digit and a penalty for digits too wide or too narrow, and
the best way wins (dynamic programming; a way is read only when it could win).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from PIL import Image

from app.preprocess import centre_digit, find_ink
from app.reading import Status
from app.recognizer import Prediction, judge
from app.segment import SPECK, Group, between, cut_seams, ink_groups, join, nearest_in_columns, whole
from app.strokes import digit_groups, stroke_masks, strokes_in

if TYPE_CHECKING:
    from app.recognizer import Recognizer

DIGIT_COST = math.log(0.5)  # each extra digit must make the reading this much likelier
TOO_WIDE = 1.3  # a piece wider than this many line heights is penalised, the more the wider
WIDE = 1.3  # a piece wider than this many line heights may be several digits, even when the model is sure
TWO_WIDE = 0.6  # an unsure piece narrower than this many line heights is not tried as several digits
NARROW = 0.3  # a piece narrower than this (in line heights) must read as a 1
SHAPE_PENALTY = 4.0
LOW_PIECE = 0.6  # a cut piece lower than this fraction of its group is a fragment, not a digit
MAX_CUTS = 12  # candidate cut columns tried in one group (at each slant)
CUT_MARGIN = 0.12  # ... at least this many line heights from its ends and from each other
SHEARS = (-0.3, 0.0, 0.3)  # from pixels, a doubted piece is also cut along lines this slanted (columns per row): a leaning 1
SLANT_SURE = 0.9  # ... and a piece so cut is a digit only when the model reads it this sure (a grid's halves read as 6 and 9)
SAME_SEAM = 0.5  # seams closer than this many CUT_MARGINs on average (over their rows) are one
WIDE_DOUBT = 0.9  # in that slanted search, a piece wider than this many line heights that the model doubts is likelier two digits...
WIDE_DOUBT_COST = 0.5  # ... and pays this (a pair read as one digit at 0.55 beats two sure digits otherwise)
MAX_JOIN = 3  # at most this many neighbouring groups are tried as one digit
JOIN_GAP = 0.25  # ... and only when the gap between them is under this many line heights
STROKE_JOIN_COST = math.log(0.45)  # strokes the canvas says are different digits: joined only when one digit reads better than two, by a margin
JOIN_COST = math.log(0.3)  # apart is what they look like: joining must make the reading this much likelier


@dataclass(frozen=True)
class Digit:
    """One digit of a number: what the model made of it, and its box (x0, y0, x1, y1) in the
    picture's pixel coordinates (x1, y1 exclusive)."""

    prediction: Prediction
    box: tuple[int, int, int, int]


@dataclass(frozen=True)
class NumberReading:
    """What was read: `number` ("2026"; an uncertain digit shows as "?", as in "20?6"; None when
    empty), `status` (ok when every digit is ok, uncertain, empty; error only from callers that
    could not open the picture, with `message` saying why), and the digits, left to right;
    `whole` when all the ink was read as one digit, exactly as `Recognizer.predict` reads it."""

    number: str | None
    status: Status
    digits: tuple[Digit, ...]
    message: str | None = None
    whole: bool = False

    @property
    def unsure(self) -> tuple[int, ...]:
        """Positions (0-based) of the digits that are not ok."""
        return tuple(i for i, d in enumerate(self.digits) if d.prediction.status != "ok")


EMPTY_NUMBER = NumberReading(None, Status.EMPTY, ())


def read_number(recognizer: Recognizer, image: Image.Image | np.ndarray, strokes=None, slanted: bool = True) -> NumberReading:
    """The number in `image` (as `Recognizer.predict` takes it); `strokes` are the canvas's
    fabric.js objects (`json_data["objects"]`, or `json_data` itself), in the picture's pixels.
    Without strokes, a piece the model doubts is also cut along slanted paths, unless not
    `slanted`. Raises ValueError for pictures `predict` refuses and for strokes that are not a list."""
    ink = find_ink(image)
    if ink is None:
        return EMPTY_NUMBER
    masks = stroke_masks(ink, strokes) if strokes is not None else None
    if masks is not None and len(masks) == 1:  # the strokes were drawn as one digit: read as one
        p, x = _read_whole(recognizer, ink)
        if x is None:
            return EMPTY_NUMBER
        group, prediction = whole(ink), judge(p, x)
        if _suspect(prediction, group, group.height):  # unless the model doubts it: digits written touching?
            runs = strokes_in(group, masks)
            if len(runs) > 1:  # the one way of one piece is the whole, read as `predict` reads it
                way, _ = _split_strokes(recognizer, group, group.height, p, x, runs)
                return _reading(tuple(Digit(judge(q, y), ink.box(*box)) for q, y, box in way), whole=len(way) == 1)
        return _reading((Digit(prediction, ink.box(*group.box)),), whole=True)
    if masks is not None:  # the strokes say which ink is which digit, even where digits touch
        groups = digit_groups(ink, masks)
        line = _line_height([y1 - y0 for _, y0, _, y1 in _overlapping(groups)])  # a digit drawn as two stands as tall as one
        groups = _specks_joined(groups, line)
        # Strokes drawn as different digits: apart, unless the model reads them far better as one.
        joined = _best_joins(recognizer, groups, line, STROKE_JOIN_COST, MAX_JOIN, widest=None)
        whole_x = None
    else:
        groups = ink_groups(ink)
        line = _line_height([g.height for g in groups])
        joined = _best_joins(recognizer, groups, line, JOIN_COST, MAX_JOIN)
        # All the ink in one group (`whole`), read as `predict` reads it: its model input, if so.
        whole_x = joined[0][2] if len(groups) == 1 and groups[0].pixels is ink.pixels and joined else None
    pieces = []
    for piece, p, px in joined:
        if _suspect(prediction := judge(p, px), piece, line):
            doubted = slanted and masks is None and prediction.status != Status.OK  # slanted cuts only where the model doubts the whole
            ways = [_split(recognizer, piece, line, p, px, SHEARS if doubted else (0.0,))]
            runs = strokes_in(piece, masks) if masks is not None else []
            if len(runs) > 1:  # or cut where one digit's strokes end and the next's begin
                ways.append(_split_strokes(recognizer, piece, line, p, px, runs))
            pieces.extend(max(ways, key=lambda way: way[1])[0])
        else:
            pieces.append((p, px, piece.box))
    read_whole = whole_x is not None and len(pieces) == 1 and pieces[0][1] is whole_x  # neither joined nor cut
    return _reading(tuple(Digit(judge(p, x), ink.box(*box)) for p, x, box in pieces), whole=read_whole)


def _reading(digits: tuple[Digit, ...], whole: bool = False) -> NumberReading:
    if not digits:
        return EMPTY_NUMBER
    number = "".join(str(d.prediction.digit) if d.prediction.status == "ok" else "?" for d in digits)
    status = Status.OK if all(d.prediction.status == Status.OK for d in digits) else Status.UNCERTAIN
    return NumberReading(number, status, digits, whole=whole)


def _read_whole(recognizer: Recognizer, ink) -> tuple[np.ndarray | None, np.ndarray | None]:
    """All the ink read as one digit, as `Recognizer.predict` reads it: (probabilities, model input)."""
    x = centre_digit(ink.pixels)
    return (recognizer.probabilities(x[None])[0], x) if x is not None else (None, None)


def _best_joins(
    recognizer: Recognizer, groups: list[Group], line: float, join_cost: float, most: int, widest: float | None = TOO_WIDE
) -> list[tuple[Group, np.ndarray, np.ndarray]]:
    """Neighbouring groups that read better as one digit (the halves of a 0 drawn in two
    strokes, a broken stroke) joined: [(segment, probabilities, model input)], left to right.
    Every run of up to `most` close neighbours (together at most `widest` line heights wide) may
    be read as one digit, each join costing `join_cost`, and the best reading of the row wins.
    The groups are read first, in one model call; then, in another, the joins that could beat
    their groups read apart."""
    runs = {}
    for i in range(len(groups)):
        for j in range(i + 1, min(len(groups), i + most) + 1):
            if j > i + 1:
                a, b = groups[j - 2], groups[j - 1]
                if b.box[0] - a.box[2] > JOIN_GAP * line:
                    break
            segment = join(groups[i:j])
            if j > i + 1 and widest is not None and segment.width > widest * line:
                break
            runs[(i, j)] = segment
    inputs, probabilities, scores = {}, {}, {}

    def read(keys: list) -> None:
        found = {k: x for k in keys if (x := centre_digit(runs[k].pixels)) is not None}
        if found:
            inputs.update(found)
            probabilities.update(zip(found, recognizer.probabilities(np.stack(list(found.values())))))
            scores.update({k: _score(probabilities[k], runs[k].width, line, runs[k].height) + join_cost * (k[1] - k[0] - 1) for k in found})

    read([k for k in runs if k[1] == k[0] + 1])
    # A join scores at most DIGIT_COST plus its join costs and the penalty its shape earns
    # whatever it reads as (the model sure): one that cannot beat its groups read apart is not
    # read at all (a hair's breadth kept for the sums' rounding).
    read([
        k for k in runs
        if k[1] > k[0] + 1
        and DIGIT_COST + join_cost * (k[1] - k[0] - 1) + _shape(runs[k].width, line, runs[k].height) + 1e-9 >= _apart(scores, *k)
    ])
    if not scores:
        return []
    chosen = _best_path(len(groups), scores, skip=True)
    return [(runs[k], probabilities[k], inputs[k]) for k in chosen]


def _apart(scores: dict[tuple[int, int], float], i: int, j: int) -> float:
    """The score of groups i..j-1 read one by one (-inf if one of them has no reading)."""
    return sum(scores.get((k, k + 1), -math.inf) for k in range(i, j))


def _best_path(n: int, scores: dict[tuple[int, int], float], skip: bool = False) -> list[tuple[int, int]]:
    """The spans (i, j) covering 0..n with the highest total score (dynamic programming);
    with `skip`, a node no span reaches (a group with no ink to read) is passed over."""
    best: list[tuple[float, list]] = [(0.0, [])] + [(-math.inf, [])] * n
    for j in range(1, n + 1):
        if skip and best[j - 1][0] > best[j][0] and all((i, j) not in scores for i in range(j)):
            best[j] = best[j - 1]  # nothing ends here (a piece with no ink to read)
        for i in range(j):
            if (i, j) in scores and best[i][0] > -math.inf and best[i][0] + scores[(i, j)] > best[j][0]:
                best[j] = (best[i][0] + scores[(i, j)], best[i][1] + [(i, j)])
    return best[n][1]


def _score(probabilities: np.ndarray, width: int, line: float, height: int | None = None) -> float:
    """How good one piece is as one digit: the log of the model's confidence, less a penalty
    for a piece too wide for one digit, too low for one (a fragment of a stroke), or too narrow
    for anything but a 1 (in line heights), plus DIGIT_COST."""
    digit = int(np.argmax(probabilities))
    wide = width / line
    shape = _shape(width, line, height)
    if wide < NARROW and digit != 1:
        shape -= SHAPE_PENALTY * (NARROW - wide) / NARROW
    return math.log(max(float(probabilities[digit]), 1e-6)) + shape + DIGIT_COST


def _shape(width: int, line: float, height: int | None) -> float:
    """The penalty of `_score` that a piece earns whatever digit it reads as: too wide for one
    digit, or too low for one (a fragment of a stroke)."""
    shape = -SHAPE_PENALTY * max(0.0, width / line - TOO_WIDE)
    if height is not None and height < LOW_PIECE * line:
        shape -= SHAPE_PENALTY * (LOW_PIECE - height / line) / LOW_PIECE
    return shape


def _suspect(prediction: Prediction, piece: Group, line: float) -> bool:
    """A digit that may be several: wider than a digit, or not ok and wide enough for two."""
    return piece.width > WIDE * line or (prediction.status != "ok" and piece.width > TWO_WIDE * line)


def _split(
    recognizer: Recognizer, group: Group, line: float, whole_p: np.ndarray, whole_x: np.ndarray, shears: tuple[float, ...] = (0.0,)
) -> tuple[list, float]:
    """The group as one or more digits, whichever way of cutting it along its seams (paths
    through the least ink, upright and at each of the `shears`) the model reads best:
    [(probabilities, model input, box in the ink crop)], left to right, and the score of that
    way. A piece between two seams is cut out only when the best way could pass through it."""
    least = max(2, int(round(CUT_MARGIN * line)))
    h, w = group.pixels.shape
    inner: list[tuple[np.ndarray, bool]] = []
    for shear in sorted(shears, key=abs):  # upright first: a slant that finds the same path adds nothing
        for seam in cut_seams(group.pixels, least, MAX_CUTS, shear):
            if all(np.abs(seam - kept).mean() >= SAME_SEAM * least for kept, _ in inner):
                inner.append((seam, shear != 0))
    inner.sort(key=lambda found: float(found[0].mean()))
    seams = [np.zeros(h, np.int64), *(s for s, _ in inner), np.full(h, w, np.int64)]
    slant = [False, *(t for _, t in inner), False]
    last = len(seams) - 1

    def cut(left: np.ndarray, right: np.ndarray):
        found = between(group.pixels, left, right)
        return (found.box, found.pixels) if found is not None and found.height >= LOW_PIECE * group.height else None

    spans = {}
    for i in range(last):
        for j in range(i + 1, last + 1):
            if (i, j) == (0, last) or (seams[j] < seams[i]).any() or (seams[j] - seams[i]).mean() > 1.5 * TOO_WIDE * line:
                continue  # the whole, seams that cross, or wider than any digit
            spans[(i, j)] = (lambda left=seams[i], right=seams[j]: cut(left, right), slant[i] or slant[j])
    return _best_cut(recognizer, last, spans, whole_p, whole_x, group, line, WIDE_DOUBT_COST if any(shears) else 0.0)


def _split_strokes(recognizer: Recognizer, group: Group, line: float, whole_p: np.ndarray, whole_x: np.ndarray, strokes: list[np.ndarray]) -> tuple[list, float]:
    """The group as one or more digits, each a run of strokes drawn one after another (people
    write a number digit by digit), whichever way the model reads best: as `_split`, from the
    group's ink under each of its strokes (two or more), in the order drawn
    (`app.strokes.strokes_in`)."""
    h, w = group.pixels.shape
    last = len(strokes)
    spans = {}
    for i in range(last):
        under = np.zeros((h, w), bool)
        for j in range(i + 1, last + 1):
            under |= strokes[j - 1]
            if (i, j) == (0, last):
                continue
            rows, cols = np.flatnonzero(under.any(axis=1)), np.flatnonzero(under.any(axis=0))
            if rows.size == 0 or rows[-1] + 1 - rows[0] < LOW_PIECE * group.height or cols[-1] + 1 - cols[0] > 1.5 * TOO_WIDE * line:
                continue
            y0, y1, x0, x1 = int(rows[0]), int(rows[-1]) + 1, int(cols[0]), int(cols[-1]) + 1
            piece = ((x0, y0, x1, y1), np.where(under, group.pixels, 0.0)[y0:y1, x0:x1].astype(np.float32))
            spans[(i, j)] = (lambda piece=piece: piece, False)
    return _best_cut(recognizer, last, spans, whole_p, whole_x, group, line)


def _best_cut(
    recognizer: Recognizer, last: int, spans: dict, whole_p: np.ndarray, whole_x: np.ndarray, group: Group, line: float, doubt: float = 0.0
) -> tuple[list, float]:
    """The best way of covering 0..last with the candidate pieces or the whole group (0, last),
    read as `whole_p` from `whole_x`: its pieces as [(probabilities, model input, box in the ink
    crop)], and its score. `spans` gives each candidate span a function that cuts its piece out
    ((box in the group, its ink), or None when there is no digit there) and whether a slanted
    line cut it (then it must read SLANT_SURE, or it is no digit); a piece wider than WIDE_DOUBT
    line heights that the model doubts (the whole too) pays `doubt`. Pieces are cut out and read
    only when the best way could go through them: each counts at first at the most any piece
    could score (the model sure of it), once cut out at the most its shape allows; the pieces
    of the best way so counted are cut out, and when all of them are, read (one model call),
    and so on until the best way is all read: the way reading every piece would choose, for a
    fraction of the work."""
    h, w = group.pixels.shape

    def score(p: np.ndarray, x: np.ndarray, box: tuple[int, int, int, int]) -> float:
        width, height = box[2] - box[0], box[3] - box[1]
        doubted = doubt and width > WIDE_DOUBT * line and judge(p, x).status != Status.OK
        return _score(p, width, line, height) - (doubt if doubted else 0.0)

    boxes = {(0, last): (0, 0, w, h)}
    probabilities, inputs = {(0, last): whole_p}, {(0, last): whole_x}
    scores = {(0, last): score(whole_p, whole_x, boxes[(0, last)])}
    most, ink = {k: DIGIT_COST for k in spans}, {}
    while True:
        chosen = _best_path(last, {**most, **scores})
        uncut = [k for k in chosen if k not in scores and k not in ink]
        for k in uncut:
            if (piece := spans[k][0]()) is None:
                del most[k]
                scores[k] = -math.inf
                continue
            boxes[k], ink[k] = piece
            x0, y0, x1, y1 = piece[0]
            most[k] = DIGIT_COST + _shape(x1 - x0, line, y1 - y0)
        if uncut:
            continue
        unread = [k for k in chosen if k not in scores]
        if not unread:
            break
        for k in unread:
            del most[k]
            if (x := centre_digit(ink[k])) is None:
                scores[k] = -math.inf
            else:
                inputs[k] = x
        read = [k for k in unread if k in inputs]
        if read:
            probabilities.update(zip(read, recognizer.probabilities(np.stack([inputs[k] for k in read]))))
        for k in read:
            sure = not spans[k][1] or probabilities[k].max() >= SLANT_SURE  # a slanted cut is a bolder claim
            scores[k] = score(probabilities[k], inputs[k], boxes[k]) if sure else -math.inf
    gx, gy = group.box[:2]
    out = []
    for key in chosen:
        x0, y0, x1, y1 = boxes[key]
        out.append((probabilities[key], inputs[key], (gx + x0, gy + y0, gx + x1, gy + y1)))
    return sorted(out, key=lambda piece: piece[2][0] + piece[2][2]), sum(scores[k] for k in chosen)


def _line_height(heights: list[int]) -> float:
    """The height of the writing: the median of the taller half of the pieces' heights."""
    heights = sorted(heights, reverse=True)
    return float(max(1.0, np.median(heights[: max(1, (len(heights) + 1) // 2)])))


def _overlapping(groups: list[Group]) -> list[tuple[int, int, int, int]]:
    """The groups' boxes, those that overlap (and those that overlap them) as one box."""
    boxes: list[tuple[int, int, int, int]] = []
    for x0, y0, x1, y1 in (g.box for g in groups):
        while meets := [b for b in boxes if b[0] < x1 and x0 < b[2] and b[1] < y1 and y0 < b[3]]:
            for b in meets:
                boxes.remove(b)
                x0, y0, x1, y1 = min(x0, b[0]), min(y0, b[1]), max(x1, b[2]), max(y1, b[3])
        boxes.append((x0, y0, x1, y1))
    return boxes


def _specks_joined(groups: list[Group], line: float) -> list[Group]:
    """Each speck (a group lower and narrower than SPECK line heights: a dot, a flick of the
    pen) joined to the group nearest to it in columns, as `app.segment.merge` does from pixels."""
    big = [i for i, g in enumerate(groups) if max(g.width, g.height) >= SPECK * line]
    if not big or len(big) == len(groups):
        return groups
    members, boxes = {i: [groups[i]] for i in big}, {i: groups[i].box for i in big}
    for i, g in enumerate(groups):
        if i not in members:
            members[nearest_in_columns(boxes, g.box)].append(g)
    return sorted((join(m) for m in members.values()), key=lambda g: (g.box[0] + g.box[2]) / 2)
