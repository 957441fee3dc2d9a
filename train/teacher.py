"""What a teacher says about each MNIST training view: soft targets that keep MNIST's writers
read as well as a model trained on them alone, while the student also learns fonts and letters.

    >>> probs = teacher_probabilities(views, TEACHER_MODEL, cache_dir)   # (1 + copies, N, 10) float16

The teacher is the MNIST-only model of 2026-11-25 (commit 3eff917, MNIST test 99.65 %), kept
in `models/mnist_teacher.keras` with its sha256 pinned here, so the same seed still gives the
same model. Its probabilities are computed once per set of views and cached in `.cache/`.
Learning without forgetting (Li and Hoiem, 2016): the student's MNIST targets are the label
mixed with the teacher's answer (`TrainConfig.teacher_share`).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from app.contract import MODELS_DIR, NUM_CLASSES, as_model_batch
from app.files import atomic_write

TEACHER_MODEL = MODELS_DIR / "mnist_teacher.keras"
TEACHER_SHA256 = "e0551c5e7bfbe29663213695f3edfac5bba837430da16359db75659b4e261ad5"


class TeacherError(ValueError):
    """The teacher model is missing or is not the pinned file."""


def check_teacher(path: Path, sha256: str | None = TEACHER_SHA256) -> str:
    """The teacher file's sha256, after checking it exists and (unless `sha256` is None) is the pinned one."""
    path = Path(path)
    if not path.is_file():
        raise TeacherError(f"teacher model {path} not found: it is committed in models/ (git checkout models/), or train with --no-teacher")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if sha256 is not None and digest != sha256:
        raise TeacherError(f"teacher model {path} has sha256 {digest}, expected {sha256}: restore it with git checkout models/")
    return digest


def soften(probabilities: np.ndarray, temperature: float) -> np.ndarray:
    """The teacher's answers at a `temperature` (float32): softmax(logits / T), from the
    probabilities; above 1 the runners-up it saw in a digit weigh more."""
    if temperature == 1:
        return probabilities.astype(np.float32)
    logp = np.log(np.maximum(probabilities.astype(np.float32), 1e-12)) / temperature
    p = np.exp(logp - logp.max(axis=-1, keepdims=True))
    return p / p.sum(axis=-1, keepdims=True)


def teacher_probabilities(views: np.ndarray, path: Path, cache_dir: Path, sha256: str | None = TEACHER_SHA256) -> np.ndarray:
    """The teacher's probabilities for every view, (V, N, NUM_CLASSES) float16 (as small on disk
    as the views), cached by the teacher's and the views' content."""
    digest = check_teacher(path, sha256)
    key = hashlib.sha256(digest.encode() + views.tobytes()).hexdigest()[:16]
    cache = Path(cache_dir) / f"teacher-{key}.npy"
    if cache.is_file():
        try:
            probs = np.load(cache)
            if probs.shape == (*views.shape[:2], NUM_CLASSES) and probs.dtype == np.float16:
                print(f"using cached teacher targets {cache.name}")
                return probs
        except (OSError, ValueError):
            pass  # a damaged cache file is made again
    import keras

    from train.model import answers

    print(f"the teacher {path.name} reads {views.shape[0] * views.shape[1]} views...", flush=True)
    teacher = keras.models.load_model(path)
    flat = views.reshape(-1, *views.shape[2:])
    probs = np.concatenate([
        answers(teacher, as_model_batch(flat[i : i + 10000])) for i in range(0, len(flat), 10000)
    ]).astype(np.float16).reshape(*views.shape[:2], NUM_CLASSES)
    atomic_write(cache, lambda tmp: np.save(tmp, probs), suffix=".npy")
    return probs
