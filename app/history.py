"""The canvas's strokes as the page has seen them, so Undo can go back one stroke at a time.

    >>> history = StrokeHistory()
    >>> history.record(strokes_json, png)                      # after every canvas report
    >>> png, strokes = history.current()                       # what to read now
    >>> start = history.undo()                                 # the drawing to remake the canvas from

The canvas component reports its picture and its strokes (fabric.js JSON) after each stroke.
A canvas remade by Undo shows the earlier strokes but reports nothing until the next stroke,
so until then the page reads the picture kept here. A canvas also goes on returning its last
report on every rerun: a report already seen is not recorded again (it would undo a recolouring). The page keeps
the canvas's checked PNG bytes (app/canvas_input.py), a few KB a stroke, never a decoded picture.
"""

from __future__ import annotations

import numpy as np

UNDO_DEPTH = 20  # strokes Undo can take back


def stroke_count(drawing: dict | None) -> int:
    """How many strokes a canvas drawing (its `json_data`) has."""
    return len((drawing or {}).get("objects") or [])


class StrokeHistory:
    """One kept report (drawing, picture) per stroke count, newest last: the current one and the
    `depth` before it, so that `depth` Undos each take back exactly one stroke."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        assert depth >= 1, f"an undo history needs room for at least one report, got {depth}"
        self.depth = depth
        self._reports: list[tuple[dict, bytes | np.ndarray]] = []
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
        kept = [r for r in self._reports if stroke_count(r[0]) < count][-self.depth :]
        self._reports = kept + [(drawing or {}, image)]

    def current(self) -> tuple[bytes | np.ndarray | None, int]:
        """The picture to read and its number of strokes; (None, 0) for an empty canvas."""
        if not self._reports:
            return None, 0
        drawing, image = self._reports[-1]
        return image, stroke_count(drawing)

    def can_undo(self) -> bool:
        """True when Undo would take back exactly the last stroke: the drawing before it is kept
        (or the canvas has a single stroke, and before it was nothing)."""
        if len(self._reports) >= 2:
            return True
        return len(self._reports) == 1 and stroke_count(self._reports[0][0]) == 1

    def undo(self) -> dict | None:
        """Forget the last report; the drawing before it (to start a new canvas from), or None."""
        self._reports = self._reports[:-1]
        self._seen = None
        return self._reports[-1][0] if self._reports else None

    def redrawn(self, drawing, picture=None) -> None:
        """Pass every kept report through `drawing` (its JSON) and `picture` (its image): the
        strokes recoloured or rescaled for a remade canvas, so Undo brings them back that way."""
        self._reports = [(drawing(d), i if picture is None else picture(i)) for d, i in self._reports]

    def latest(self) -> dict | None:
        """The newest kept drawing (its JSON), or None."""
        return self._reports[-1][0] if self._reports else None

    def clear(self) -> None:
        self._reports = []
        self._seen = None

    def __len__(self) -> int:
        return len(self._reports)
