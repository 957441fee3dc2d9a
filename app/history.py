"""The canvas's strokes as the page has seen them, so Undo can go back one stroke at a time.

    >>> history = StrokeHistory()
    >>> history.record(strokes_json, picture)                  # after every canvas report
    >>> picture, strokes = history.current()                   # what to read now
    >>> start = history.undo()                                 # the drawing to remake the canvas from

The canvas component reports its picture and its strokes (fabric.js JSON) after each stroke.
A canvas remade by Undo shows the earlier strokes but reports nothing until the next stroke,
so until then the page reads the picture kept here. A canvas also goes on returning its last
report on every rerun: a report already seen is not recorded again (it would undo a recolouring).
The picture is what the page reads (decoded pixels, or PNG bytes). Every session keeps its own
history, so the reports before the newest are kept compressed (zlib of the pixels, which are
mostly one colour, and of the strokes' JSON): a session's memory stays small however long its Undo.
"""

from __future__ import annotations

import json
import zlib

import numpy as np

UNDO_DEPTH = 20  # strokes Undo can take back


def stroke_count(drawing: dict | None) -> int:
    """How many strokes a canvas drawing (its `json_data`) has."""
    return len((drawing or {}).get("objects") or [])


class _Report:
    """One canvas report (drawing JSON, picture) as it came, or, once `pack`ed, compressed."""

    __slots__ = ("strokes", "_drawing", "_picture", "_packed")

    def __init__(self, drawing: dict, picture: bytes | np.ndarray) -> None:
        self.strokes = stroke_count(drawing)
        self._drawing, self._picture, self._packed = drawing, picture, None

    def pack(self) -> None:
        if self._packed is None:
            drawing = zlib.compress(json.dumps(self._drawing).encode(), 1)
            if isinstance(self._picture, bytes):  # already a compressed picture (PNG)
                self._packed = (None, None, self._picture, drawing)
            else:
                picture = np.ascontiguousarray(self._picture)
                self._packed = (picture.shape, picture.dtype.str, zlib.compress(picture.tobytes(), 1), drawing)
            self._drawing = self._picture = None

    def drawing(self) -> dict:
        if self._packed is None:
            return self._drawing
        return json.loads(zlib.decompress(self._packed[3]))

    def picture(self) -> bytes | np.ndarray:
        if self._packed is None:
            return self._picture
        shape, dtype, pixels, _ = self._packed
        if shape is None:
            return pixels
        return np.frombuffer(zlib.decompress(pixels), dtype=dtype).reshape(shape)


class StrokeHistory:
    """One kept report (drawing, picture) per stroke count, newest last: the current one and the
    `depth` before it, so that `depth` Undos each take back exactly one stroke."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        assert depth >= 1, f"an undo history needs room for at least one report, got {depth}"
        self.depth = depth
        self._reports: list[_Report] = []  # all but the newest compressed
        self._seen: dict | None = None  # the canvas's last report, as recorded

    def record(self, drawing: dict | None, image: bytes | np.ndarray | None) -> None:
        """Keep a canvas report; reports with as many strokes or more than it are replaced by it
        (the canvas was redrawn from an earlier point). A report without strokes empties it."""
        if image is None or (self._seen is not None and drawing == self._seen):
            return
        self._seen = drawing
        count = stroke_count(drawing)
        if count == 0:
            self._reports = []
            return
        kept = [r for r in self._reports if r.strokes < count][-self.depth :]
        for report in kept:
            report.pack()
        self._reports = kept + [_Report(drawing or {}, image)]

    def current(self) -> tuple[bytes | np.ndarray | None, int]:
        """The picture to read and its number of strokes; (None, 0) for an empty canvas."""
        if not self._reports:
            return None, 0
        newest = self._reports[-1]
        return newest.picture(), newest.strokes

    def can_undo(self) -> bool:
        """True when Undo would take back exactly the last stroke: the drawing before it is kept
        (or the canvas has a single stroke, and before it was nothing)."""
        if len(self._reports) >= 2:
            return True
        return len(self._reports) == 1 and self._reports[0].strokes == 1

    def undo(self) -> dict | None:
        """Forget the last report; the drawing before it (to start a new canvas from), or None."""
        self._reports = self._reports[:-1]
        self._seen = None
        return self.latest()

    def redrawn(self, drawing, picture=None) -> None:
        """Pass every kept report through `drawing` (its JSON) and `picture` (its image): the
        strokes recoloured or rescaled for a remade canvas, so Undo brings them back that way."""
        reports = [_Report(drawing(r.drawing()), r.picture() if picture is None else picture(r.picture())) for r in self._reports]
        for report in reports[:-1]:
            report.pack()
        self._reports = reports

    def latest(self) -> dict | None:
        """The newest kept drawing (its JSON), or None."""
        return self._reports[-1].drawing() if self._reports else None

    def clear(self) -> None:
        self._reports = []
        self._seen = None

    def __len__(self) -> int:
        return len(self._reports)
