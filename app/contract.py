"""The model's contract and the project's locations, written once for every stage.

Training builds to it, export writes it into the ONNX metadata and checks it, the app validates
a file against it on load. Nothing here imports more than the standard library and NumPy.

    >>> from app.contract import INPUT_NAME, IMAGE_SIZE, model_paths
    >>> model_paths()["fp32"]           # $DIGITS_MODEL, or models/digit_cnn.onnx
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import numpy as np

PROJECT_ROOT = Path(__file__).resolve().parent.parent
MODELS_DIR = PROJECT_ROOT / "models"
MODEL_FILES = {"fp32": "digit_cnn.onnx", "int8": "digit_cnn.int8.onnx"}
KERAS_MODEL = MODELS_DIR / "digit_cnn.keras"
DEFAULT_MODEL = MODELS_DIR / MODEL_FILES["fp32"]

# Environment variables the stages read.
MODEL_ENV = "DIGITS_MODEL"  # path of the fp32 model; the int8 one is looked for beside it
DATA_ENV = "DIGITS_DATA_DIR"  # users' labelled drawings
CACHE_ENV = "DIGITS_CACHE_DIR"  # downloaded and derived training data
QUOTA_ENV = "DIGITS_STORE_QUOTA_MB"  # the most the drawing store may hold, in MiB
SESSION_SAVES_ENV = "DIGITS_SESSION_SAVES"  # the most drawings one browser session may save
SAVE_INTERVAL_ENV = "DIGITS_SAVE_INTERVAL"  # seconds one browser session waits between saves
OPERATOR_TOKEN_ENV = "DIGITS_OPERATOR_TOKEN"  # the operator's sign-in token, when not using OIDC
DEFAULT_DATA_DIR = PROJECT_ROOT / "data" / "drawings"
DEFAULT_CACHE_DIR = PROJECT_ROOT / ".cache"

# The ONNX graph: one input, one output, named at conversion.
INPUT_NAME = "image"
OUTPUT_NAME = "probabilities"
IMAGE_SIZE = 28  # side of the model's input, as in MNIST
DIGIT_BOX = 20  # the digit's bounding box is scaled to fit this square, as in MNIST
NUM_CLASSES = 10
CLASS_LABELS = [str(d) for d in range(NUM_CLASSES)]
INPUT_SHAPE = (IMAGE_SIZE, IMAGE_SIZE, 1)  # one picture, channels last; the batch axis is free
PIXEL_MAX = 255.0  # uint8 ink is divided by this into the model's 0..1

INPUT_DESCRIPTION = f"{INPUT_NAME}: float32 [N, {IMAGE_SIZE}, {IMAGE_SIZE}, 1], 0..1, white digit on black"
OUTPUT_DESCRIPTION = f"{OUTPUT_NAME}: float32 [N, {NUM_CLASSES}], softmax over the digits 0-9"
PREPROCESSING_CONTRACT = (
    f"{IMAGE_SIZE}x{IMAGE_SIZE} float32 in 0..1, white digit on black; ink found against the background "
    f"(either polarity, alpha-aware), contrast-normalised, bounding box scaled into {DIGIT_BOX}x{DIGIT_BOX} keeping "
    f"aspect ratio, centred by centre of mass in the {IMAGE_SIZE}x{IMAGE_SIZE} field (as MNIST)"
)
MAKE_MODEL = "`make train && make export` (or restore the committed model with `git checkout models/`)"


def as_model_batch(images: np.ndarray) -> np.ndarray:
    """uint8 or float (N, 28, 28) pictures as the model's float32 [N, 28, 28, 1] input."""
    images = np.asarray(images)
    batch = np.ascontiguousarray(images, dtype=np.float32).reshape(-1, *INPUT_SHAPE)
    return batch / np.float32(PIXEL_MAX) if images.dtype == np.uint8 else batch


def project_path(path: str | os.PathLike) -> Path:
    """`path` with `~` expanded; a relative path that does not exist from here is taken from the
    project root (so `models/digit_cnn.onnx` works from any directory)."""
    path = Path(path).expanduser()
    if not path.is_absolute():
        return path.resolve() if path.exists() else PROJECT_ROOT / path
    return path


def model_paths(environ: Mapping[str, str] | None = None) -> dict[str, Path]:
    """{"fp32": path, "int8": path}: fp32 from $DIGITS_MODEL (default models/digit_cnn.onnx),
    always present even when the file is missing; int8 only when digit_cnn.int8.onnx exists
    beside it."""
    environ = os.environ if environ is None else environ
    fp32 = project_path(environ.get(MODEL_ENV) or DEFAULT_MODEL)
    paths = {"fp32": fp32}
    int8 = fp32.parent / MODEL_FILES["int8"]
    if int8.is_file():
        paths["int8"] = int8
    return paths


def data_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where users' labelled drawings are kept: $DIGITS_DATA_DIR, or data/drawings."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(DATA_ENV) or DEFAULT_DATA_DIR)


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """Where training data is cached: $DIGITS_CACHE_DIR, or .cache in the project."""
    environ = os.environ if environ is None else environ
    return Path(environ.get(CACHE_ENV) or DEFAULT_CACHE_DIR)
