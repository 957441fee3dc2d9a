"""The font part of the training data: digits and not-digits from the pinned fonts, cached.

Families are split, never glyphs: every VALIDATION_EVERY-th package of the lock file is kept
out of training and measures the model on digits and letters it has not seen (the figures in
report.json, and the data the app's thresholds may be tuned on). The drawings are cached in
`.cache/` under a key made of the lock file, the source of the code that draws them
(`train.views.code_key`), the seed and the counts.

    >>> pools = font_pools(cache_dir, seed=1)   # FontPools: digits, labels, letters, validation
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from app.files import atomic_write
from train.fonts import LOCK, lock_hash, read_lock, training_fonts
from train.glyphs import font_digits, font_not_digits
from train.views import code_key

DIGIT_VIEWS = 12  # drawings of each digit of each training font file
LETTER_VIEWS = 2  # drawings of each letter and sign
VALIDATION_EVERY = 10  # every 10th family of the lock file is validation, not training


@dataclass(frozen=True)
class FontPools:
    x: np.ndarray  # uint8 (N, 28, 28) digits
    y: np.ndarray  # uint8 (N,)
    form: np.ndarray  # (N,) "font" or the letterform's name
    letters: np.ndarray  # uint8 (M, 28, 28) not-digits
    val_x: np.ndarray
    val_y: np.ndarray
    val_letters: np.ndarray
    key: str  # the cache key: lock file, drawing code, seed, counts
    families: int
    val_families: int


def validation_families(lock: Path = LOCK) -> set[str]:
    return {pin.family for i, pin in enumerate(read_lock(lock)) if i % VALIDATION_EVERY == VALIDATION_EVERY - 1}


def font_pools(cache_dir: Path, seed: int, quick: bool = False, lock: Path = LOCK) -> FontPools:
    """Training and validation drawings from the fonts (fetched and checked by train.fonts);
    `quick` uses a few fonts and views, for tests."""
    files = training_fonts(cache_dir, lock)
    held = validation_families(lock)
    train_files = [f.path for f in files if f.family not in held]
    val_files = [f.path for f in files if f.family in held]
    digit_views, letter_views = DIGIT_VIEWS, LETTER_VIEWS
    if quick:
        train_files, val_files, digit_views, letter_views = train_files[:4], val_files[:2], 3, 1
    key = code_key("train.font_data", lock_hash(lock), seed, digit_views, letter_views, quick)
    path = Path(cache_dir) / f"fontviews-{key}.npz"
    if path.exists():
        try:
            with np.load(path, allow_pickle=False) as z:
                print(f"using cached font drawings {path.name}")
                return FontPools(*(z[k] for k in ("x", "y", "form", "letters", "val_x", "val_y", "val_letters")), key,
                                 len({f.family for f in files}) - len(held), len(held))
        except (OSError, ValueError, KeyError):
            pass
    print(f"drawing digits and letters from {len(train_files)} font files (+{len(val_files)} for validation)...", flush=True)
    x, y, form = font_digits(train_files, digit_views, seed)
    letters = font_not_digits(train_files, letter_views, seed)
    val_x, val_y, _ = font_digits(val_files, 2, seed + 1)
    val_letters = font_not_digits(val_files, 1, seed + 1)
    arrays = dict(x=x, y=y, form=form, letters=letters, val_x=val_x, val_y=val_y, val_letters=val_letters)
    if not quick:
        atomic_write(path, lambda tmp: np.savez(tmp, **arrays), suffix=".npz")
    return FontPools(**arrays, key=key, families=len({f.family for f in files}) - len(held), val_families=len(held))


def letterform_share(form: np.ndarray, y: np.ndarray) -> dict[str, float]:
    """Each procedural letterform's share of the drawings of its digit."""
    from train.letterforms import FORMS, LABELS

    return {name: float(np.mean(form[y == LABELS[name]] == name)) for name in FORMS}
