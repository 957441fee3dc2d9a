"""The canvas's strokes as the page has seen them, so Undo can go back one stroke at a time.

    >>> history = StrokeHistory()
    >>> history.record(canvas.json_data, canvas.image_data)   # after every canvas report
    >>> image, strokes = history.current()                     # what to read now
    >>> start = history.undo()                                 # the drawing to remake the canvas from

The canvas component reports its picture and its strokes (fabric.js JSON) after each stroke.
A canvas remade by Undo shows the earlier strokes but reports nothing until the next stroke,
so until then the page reads the picture kept here.
"""

from __future__ import annotations

import numpy as np

UNDO_DEPTH = 20  # strokes Undo can take back


def stroke_count(drawing: dict | None) -> int:
    """How many strokes a canvas drawing (its `json_data`) has."""
    return len((drawing or {}).get("objects") or [])


class StrokeHistory:
    """One kept report (drawing, picture) per stroke count, newest last, at most `depth` of them."""

    def __init__(self, depth: int = UNDO_DEPTH) -> None:
        assert depth >= 1, f"an undo history needs room for at least one report, got {depth}"
        self.depth = depth
        self._reports: list[tuple[dict, np.ndarray]] = []

    def record(self, drawing: dict | None, image: np.ndarray | None) -> None:
        """Keep a canvas report; reports with as many strokes or more than it are replaced by it
        (the canvas was redrawn from an earlier point)."""
        if image is None:
            return
        count = stroke_count(drawing)
        kept = [r for r in self._reports if stroke_count(r[0]) < count][-(self.depth - 1) :]
        self._reports = kept + [(drawing or {}, image)]

    def current(self) -> tuple[np.ndarray | None, int]:
        """The picture to read and its number of strokes; (None, 0) for an empty canvas."""
        if not self._reports:
            return None, 0
        drawing, image = self._reports[-1]
        return image, stroke_count(drawing)

    def undo(self) -> dict | None:
        """Forget the last report; the drawing before it (to start a new canvas from), or None."""
        self._reports = self._reports[:-1]
        return self._reports[-1][0] if self._reports else None

    def clear(self) -> None:
        self._reports = []

    def __len__(self) -> int:
        return len(self._reports)
