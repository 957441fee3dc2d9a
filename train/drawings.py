"""Users' labelled drawings (the page's saves) as training and held-out examples.

    >>> (x, y), held_out = users_drawings(Path("data/drawings"), seed=1, holdout=0.2)
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from app.dataset import load_labelled
from train.augment import normalise
from train.data import DataError


def users_drawings(folder: Path | None, seed: int, holdout: float):
    """Users' drawings, normalised, split into (train, held-out) pairs of (uint8 images, labels)."""
    if folder is None:
        return None, None
    # Approved drawings only, exact duplicates dropped, no one session's share above a cap.
    images, labels = load_labelled(folder)
    if len(labels) == 0:
        raise DataError(
            f"--extra-data {folder}: no approved labelled drawings found "
            f"(review them with `python -m app.dataset --data-dir {folder} review`, then approve)"
        )
    x = normalise(images)
    keep = x.reshape(len(x), -1).max(axis=1) > 0  # drawings with no ink teach nothing
    x, y = x[keep], np.asarray(labels, dtype=np.uint8)[keep]
    order = np.random.default_rng(seed).permutation(len(y))
    n_test = int(round(holdout * len(y))) if len(y) >= 5 else 0
    test, train = order[:n_test], order[n_test:]
    print(f"users' drawings: {len(train)} for training, {len(test)} held out")
    return (x[train], y[train]), ((x[test], y[test]) if n_test else None)
