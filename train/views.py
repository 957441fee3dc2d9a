"""What training reads, normalised by the app's own preprocessing and cached in `.cache/`.

    >>> views = cached_views(x_train, config, data_hash, cache)   # (1 + copies, N, 28, 28) uint8
    >>> x_test = normalised_test(mnist, cache)                     # (10000, 28, 28) uint8

A cache key is derived from everything a result depends on: the data's hash, the run's
augmentation settings, and the source of every project module the augmentation imports,
found by reading their imports, so no edit to that code can leave a stale cache in use.
"""

from __future__ import annotations

import ast
import hashlib
import json
from dataclasses import asdict
from pathlib import Path

import numpy as np

from app.contract import IMAGE_SIZE, PROJECT_ROOT
from app.files import atomic_write
from train.augment import training_views
from train.config import TrainConfig

PROJECT_PACKAGES = ("app", "train")


def source_closure(module: str) -> list[Path]:
    """The project's source files that `module` imports, directly or through others, itself included."""
    seen: dict[str, Path] = {}
    todo = [module]
    while todo:
        name = todo.pop()
        path = PROJECT_ROOT / (name.replace(".", "/") + ".py")
        if name in seen or not path.is_file():
            continue
        seen[name] = path
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            todo += [n for n in names if n.split(".")[0] in PROJECT_PACKAGES]
    return sorted(seen.values())


def code_key(module: str, *parts: object) -> str:
    """A short hash of `module`'s source closure and `parts`."""
    digest = hashlib.sha256()
    for path in source_closure(module):
        digest.update(str(path.relative_to(PROJECT_ROOT)).encode() + b"\0" + path.read_bytes())
    digest.update(json.dumps(parts, sort_keys=True, default=str).encode())
    return digest.hexdigest()[:16]


def cached_views(x_train: np.ndarray, config: TrainConfig, data_hash: str, cache_dir: Path) -> np.ndarray:
    """The normalised training digits and `config.copies` augmented copies of each, cached."""
    key = code_key("train.augment", data_hash, config.seed, config.copies, len(x_train), config.quick, asdict(config.augmentation))
    shape = (1 + config.copies, len(x_train), IMAGE_SIZE, IMAGE_SIZE)
    path = Path(cache_dir) / f"views-{key}.npy"
    views = _load(path, shape)
    if views is not None:
        print(f"using cached training views {path.name}")
        return views
    views = training_views(x_train, config.copies, config.seed, aug=config.augmentation)
    if not config.quick:
        atomic_write(path, lambda tmp: np.save(tmp, views), suffix=".npy")
    return views


def normalised_test(x_test: np.ndarray, data_hash: str, cache_dir: Path) -> np.ndarray:
    """The MNIST test digits as the model sees them (uint8), cached; train, export and bench share it."""
    path = Path(cache_dir) / f"test-{code_key('train.augment', data_hash, len(x_test))}.npy"
    x = _load(path, (len(x_test), IMAGE_SIZE, IMAGE_SIZE))
    if x is None:
        x = training_views(x_test, 0, seed=0)[0]  # copy 0 is the plain normalised digit, made in parallel
        atomic_write(path, lambda tmp: np.save(tmp, x), suffix=".npy")
    return x


def _load(path: Path, shape: tuple) -> np.ndarray | None:
    if not path.exists():
        return None
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError):
        return None
    return array if array.shape == shape and array.dtype == np.uint8 else None
