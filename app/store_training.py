"""The drawing store as training data: approved drawings only, exact duplicates dropped, and
no one browser session's share of them above a cap, so that no stranger can steer a model.

    >>> images, labels = load_labelled("data/drawings")     # PIL images, uint8 labels
"""

from __future__ import annotations

import hashlib
import os

import numpy as np
from PIL import Image

from app.dataset import DrawingStore
from app.store_limits import Limits

SESSION_SHARE = 0.25  # no session gives more than this share of the drawings...
SESSION_FLOOR = 20  # ...or than this many, whichever is more


def load_labelled(
    root: str | os.PathLike | None = None,
    approved_only: bool = True,
    session_share: float = SESSION_SHARE,
    session_floor: int = SESSION_FLOOR,
) -> tuple[list[Image.Image], np.ndarray]:
    """The store's drawings for training, as loaded PIL images and their uint8 labels.

    Digits only: the digits cut from a saved number count, the number's whole picture does not.
    Approved ones only (unless `approved_only` is False); a picture whose pixels repeat an
    earlier one's is dropped; and no browser session gives more than `session_share` of them
    or `session_floor`, whichever is more (its first ones are kept). Drawings saved without a
    session (the command line's, the operator's own) are not capped."""
    status = "approved" if approved_only else None
    images, labels, sessions, seen = [], [], [], set()
    for example in DrawingStore(root, Limits()).examples(status=status):
        if example.number is not None:
            continue  # a whole number is no digit example; the digits cut from it are
        try:
            with Image.open(example.path) as image:
                image.load()
        except (FileNotFoundError, OSError, ValueError):
            continue  # deleted since the index was read, or damaged
        key = hashlib.sha256(f"{image.mode} {image.size}".encode() + image.tobytes()).digest()
        if key in seen:
            continue
        seen.add(key)
        images.append(image)
        labels.append(example.label)
        sessions.append(example.session)
    cap = max(session_floor, int(session_share * len(images)))
    taken: dict[str | None, int] = {}
    keep = []
    for i, session in enumerate(sessions):
        taken[session] = taken.get(session, 0) + 1
        if session is None or taken[session] <= cap:
            keep.append(i)
    return [images[i] for i in keep], np.array([labels[i] for i in keep], dtype=np.uint8)
