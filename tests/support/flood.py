"""Connected pieces of a mask found the plain way, pixel by pixel: what the fast code is checked against."""

from __future__ import annotations

import numpy as np

FOUR = [(1, 0), (-1, 0), (0, 1), (0, -1)]
EIGHT = FOUR + [(1, 1), (1, -1), (-1, 1), (-1, -1)]


def flood_labels(mask: np.ndarray, diagonal: bool = True) -> np.ndarray:
    """A label per pixel of True (1..n, 0 elsewhere), 8-connected if `diagonal` else 4, the
    pieces numbered in the order of their first pixel (row by row)."""
    labels = np.zeros(mask.shape, int)
    count = 0
    for start in zip(*np.nonzero(mask)):
        if labels[start]:
            continue
        count += 1
        todo = [start]
        labels[start] = count
        while todo:
            y, x = todo.pop()
            for q in ((y + dy, x + dx) for dy, dx in (EIGHT if diagonal else FOUR)):
                if 0 <= q[0] < mask.shape[0] and 0 <= q[1] < mask.shape[1] and mask[q] and not labels[q]:
                    labels[q] = count
                    todo.append(q)
    return labels
