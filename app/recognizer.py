"""The one place that runs the model: a picture in, a digit, how sure, and whether to trust it.

    >>> recognizer = Recognizer.load()                 # models/digit_cnn.onnx, checked on load
    >>> p = recognizer.predict(canvas_rgba)            # PIL image or uint8 array, any size
    >>> p.digit, p.confidence, p.status                # 7, 0.998, "ok"  ("uncertain", "empty")
    >>> recognizer.card["version"], recognizer.card["accuracy"]
    >>> recognizer.read_number(canvas_rgba, strokes).number   # "2026" (app/numbers.py)

The contract (input `image` float32 [N, 28, 28, 1], output `probabilities` [N, 10]) is checked
when the file is loaded, so a wrong or broken file fails at once with a `ModelError` that says
what to do, never later in the middle of a prediction. One onnxruntime session per file, one
thread per call (the page serves many people; each call should be short, not parallel), safe to
share between threads.
"""

from __future__ import annotations

import hashlib
import json
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import onnxruntime as ort
from PIL import Image

from app.contract import DEFAULT_MODEL, IMAGE_SIZE, INPUT_NAME, MAKE_MODEL, NUM_CLASSES, OUTPUT_NAME, as_model_batch, project_path
from app.preprocess import to_model_input
from app.reading import Status

if TYPE_CHECKING:
    from app.numbers import NumberReading

# "ok" needs both: the top digit this probable, and this far ahead of the runner-up. The model
# was taught to spread its probabilities over all ten digits for things that are not a digit
# (train/augment.py not_digits; letters and signs, train/glyphs.py), so a low top probability
# means "not a digit" as well as "hard to read". Tuned on the validation fonts, families kept
# out of training (train/font_data.py), never on the held-out fonts that bench/heldout.py
# measures: the lowest pair that leaves at most 1 letter or sign in 20 "ok".
CONFIDENCE_THRESHOLD = 0.80
MARGIN_THRESHOLD = 0.50
# A model input this full of ink is a blot or a scribble, however sure the model is: MNIST
# digits cover at most about a third of the 28x28 field.
MAX_INK_FRACTION = 0.40
EVIDENCE_KEPT = 512  # occlusion maps kept per model (3 KB each), the most recently read


class ModelError(ValueError):
    """The model file is missing, unreadable or breaks the contract; the message says how to fix it."""


@dataclass(frozen=True)
class Prediction:
    """What the model made of one picture.

    `status` is "ok" (trust `digit`), "uncertain" (`digit` is only the best guess) or "empty"
    (no ink: `digit`, `confidence`, `probabilities` and `model_input` are None).
    """

    digit: int | None
    confidence: float | None
    probabilities: tuple[float, ...] | None
    status: Status
    model_input: np.ndarray | None = field(default=None, compare=False, repr=False)

    @property
    def top2(self) -> tuple[tuple[int, float], ...]:
        """The two likeliest digits with their probabilities, best first; () when empty."""
        if self.probabilities is None:
            return ()
        order = sorted(range(len(self.probabilities)), key=lambda d: -self.probabilities[d])
        return tuple((d, self.probabilities[d]) for d in order[:2])


EMPTY = Prediction(digit=None, confidence=None, probabilities=None, status=Status.EMPTY)


class Recognizer:
    """A loaded, checked model. Create with `Recognizer.load(path)`; share freely between threads."""

    def __init__(self, session: ort.InferenceSession, path: Path, metadata: dict[str, str], card: dict) -> None:
        self.session = session
        self.path = path
        self.metadata = metadata
        self.card = card
        # Occlusion maps of the pictures read last: a page reruns with the same drawing (a tab
        # switched, a correction chosen, an upload) far more often than it gets a new one.
        self._evidence: OrderedDict[bytes, np.ndarray] = OrderedDict()
        self._evidence_lock = threading.Lock()

    @classmethod
    def load(cls, path: str | Path | None = None) -> Recognizer:
        """Load and check the ONNX model at `path` (default models/digit_cnn.onnx; relative
        paths are taken from the project root, not the current directory)."""
        path = DEFAULT_MODEL if path is None else project_path(path)
        try:
            data = path.read_bytes()
        except FileNotFoundError:
            raise ModelError(f"No model file at {path}. Make one with {MAKE_MODEL}.") from None
        except IsADirectoryError:
            raise ModelError(f"{path} is a folder, not a model file. Make one with {MAKE_MODEL}.") from None
        except OSError as exc:
            raise ModelError(f"Cannot read the model file {path} ({exc.strerror or exc}).") from None

        options = ort.SessionOptions()
        options.intra_op_num_threads = 1  # one request, one core: latency without contention
        options.inter_op_num_threads = 1
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # onnxruntime's own warnings are not for the page's users
        try:
            session = ort.InferenceSession(data, sess_options=options, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own types for invalid protobufs, ops, graphs
            reason = str(exc).strip().splitlines()[0][:200] if str(exc).strip() else type(exc).__name__
            raise ModelError(
                f"{path} is not a usable ONNX model ({reason}). Re-make it with {MAKE_MODEL}."
            ) from None
        _check_contract(session, path)

        metadata = dict(session.get_modelmeta().custom_metadata_map)
        card = _card(path, data, metadata)
        return cls(session, path, metadata, card)

    def predict(self, image: Image.Image | np.ndarray) -> Prediction:
        """The prediction for one picture (PIL image of any mode, or uint8 HxW/HxWx3/HxWx4).

        Raises ValueError for arrays of another shape or type.
        """
        model_input = to_model_input(image)
        if model_input is None:
            return EMPTY
        return judge(self.probabilities(model_input[None])[0], model_input)

    def predict_batch(self, images: list) -> list[Prediction]:
        """Predictions for many pictures, with one call to the model for all that have ink."""
        inputs = [to_model_input(image) for image in images]
        inked = [x for x in inputs if x is not None]
        if not inked:
            return [EMPTY] * len(inputs)
        probabilities = iter(self.probabilities(np.stack(inked)))
        return [EMPTY if x is None else judge(next(probabilities), x) for x in inputs]

    def read_number(self, image: Image.Image | np.ndarray, strokes=None, *, slanted: bool = True) -> NumberReading:
        """The number written in one picture, digit by digit (`app.numbers.NumberReading`); `strokes`
        are the canvas's stroke objects (`json_data["objects"]`) when there are any. One digit
        reads exactly as `predict` reads it. `slanted=False` cuts touching digits found from
        pixels along upright paths only: faster, for a second opinion beside the strokes'."""
        from app.numbers import read_number  # app.numbers builds on this module

        return read_number(self, image, strokes, slanted=slanted)

    def probabilities(self, model_inputs: np.ndarray) -> np.ndarray:
        """Raw model output for a stack of 28x28 model inputs: float32 [N, 10]."""
        return self.session.run([OUTPUT_NAME], {INPUT_NAME: as_model_batch(model_inputs)})[0]

    def evidence(self, prediction: Prediction, patch: int = 8, stride: int = 4) -> np.ndarray | None:
        """Why the model chose `prediction.digit`: a 28x28 map, positive where covering up the
        ink lowers the digit's probability (the ink that made it that digit), negative where
        covering it up raises it (ink that argues against). One batched model call over the
        inked patches (occlusion sensitivity); a few milliseconds. None for an empty prediction.
        The same picture read again gets the map kept from before (read-only), without the call.
        """
        if prediction.model_input is None or prediction.digit is None:
            return None
        x = prediction.model_input
        key = hashlib.blake2b(x.tobytes() + bytes([prediction.digit, patch, stride]), digest_size=16).digest()
        with self._evidence_lock:
            if (kept := self._evidence.get(key)) is not None:
                self._evidence.move_to_end(key)
                return kept
        evidence = self._occlusion(prediction, patch, stride)
        evidence.flags.writeable = False  # shared by every reader of this picture
        with self._evidence_lock:
            self._evidence[key] = evidence
            while len(self._evidence) > EVIDENCE_KEPT:
                self._evidence.popitem(last=False)
        return evidence

    def _occlusion(self, prediction: Prediction, patch: int, stride: int) -> np.ndarray:
        x = prediction.model_input
        starts = range(0, IMAGE_SIZE - patch + 1, stride)
        boxes = [(r, c) for r in starts for c in starts if x[r : r + patch, c : c + patch].max() > 0.1]
        if not boxes:
            return np.zeros_like(x)
        covered = np.repeat(x[None], len(boxes), axis=0)
        for i, (r, c) in enumerate(boxes):
            covered[i, r : r + patch, c : c + patch] = 0.0
        drops = prediction.probabilities[prediction.digit] - self.probabilities(covered)[:, prediction.digit]
        total = np.zeros_like(x)
        count = np.zeros_like(x)
        for drop, (r, c) in zip(drops, boxes):
            total[r : r + patch, c : c + patch] += drop
            count[r : r + patch, c : c + patch] += 1
        return np.where(count > 0, total / np.maximum(count, 1), 0.0).astype(np.float32) * (x > 0.05)


def judge(probabilities: np.ndarray, model_input: np.ndarray) -> Prediction:
    """Turn one row of probabilities (for `model_input`) into a Prediction with its status."""
    values = tuple(float(p) for p in probabilities)
    digit = int(np.argmax(probabilities))
    confidence = values[digit]
    runner_up = max(v for d, v in enumerate(values) if d != digit)
    ink = float(np.count_nonzero(model_input > 0.5)) / model_input.size
    sure = confidence >= CONFIDENCE_THRESHOLD and confidence - runner_up >= MARGIN_THRESHOLD and ink <= MAX_INK_FRACTION
    return Prediction(digit, confidence, values, Status.OK if sure else Status.UNCERTAIN, model_input)


def _check_contract(session: ort.InferenceSession, path: Path) -> None:
    """Raise ModelError unless the session takes `image` [N, 28, 28, 1] float32 and gives
    `probabilities` [N, 10] rows that sum to 1."""
    inputs, outputs = session.get_inputs(), session.get_outputs()
    expected = (
        f"expected input '{INPUT_NAME}' float32 [N, 28, 28, 1] and output '{OUTPUT_NAME}' float32 [N, 10]"
    )

    def fail(problem: str) -> ModelError:
        return ModelError(f"{path} does not fit the app: {problem}; {expected}. Re-make it with {MAKE_MODEL}.")

    if [i.name for i in inputs] != [INPUT_NAME]:
        raise fail(f"its inputs are {[i.name for i in inputs]}")
    if [o.name for o in outputs] != [OUTPUT_NAME]:
        raise fail(f"its outputs are {[o.name for o in outputs]}")
    image, probabilities = inputs[0], outputs[0]
    if image.type != "tensor(float)":
        raise fail(f"input '{INPUT_NAME}' is {image.type}")
    shape = list(image.shape)
    if len(shape) != 4 or shape[1:] != [IMAGE_SIZE, IMAGE_SIZE, 1]:
        raise fail(f"input '{INPUT_NAME}' has shape {shape}")
    if isinstance(shape[0], int):
        raise fail(f"its batch size is fixed at {shape[0]}, so pictures cannot be batched")
    if probabilities.type != "tensor(float)":
        raise fail(f"output '{OUTPUT_NAME}' is {probabilities.type}")
    out_shape = list(probabilities.shape)
    if len(out_shape) != 2 or out_shape[1] != NUM_CLASSES:
        raise fail(f"output '{OUTPUT_NAME}' has shape {out_shape}")
    # The declared shapes can lie; one run on two blank pictures cannot.
    try:
        result = session.run([OUTPUT_NAME], {INPUT_NAME: np.zeros((2, IMAGE_SIZE, IMAGE_SIZE, 1), np.float32)})[0]
    except Exception as exc:
        raise fail(f"it failed on a test input ({str(exc).strip()[:160]})") from None
    if result.shape != (2, NUM_CLASSES):
        raise fail(f"it returned shape {list(result.shape)} for a batch of 2")
    if not np.all(np.isfinite(result)) or not np.allclose(result.sum(axis=1), 1.0, atol=1e-3) or result.min() < 0:
        raise fail("its outputs are not probabilities (each row should be >= 0 and sum to 1)")


def _card(path: Path, data: bytes, metadata: dict[str, str]) -> dict:
    """The facts the sidebar shows, from the file itself and its ONNX metadata."""
    precision = metadata.get("precision") or ("int8" if ".int8." in path.name else "fp32")
    try:
        accuracy = float(metadata["mnist_test_accuracy"])
    except (KeyError, ValueError):
        accuracy = None
    try:
        labels = json.loads(metadata.get("class_labels", "null"))
    except ValueError:
        labels = None
    return {
        "version": metadata.get("model_version", "unknown"),
        "accuracy": accuracy,
        "size_bytes": len(data),
        "opset": metadata.get("opset"),
        "created": metadata.get("created"),
        "precision": precision,
        "class_labels": labels,
        "path": str(path),
        "sha256": hashlib.sha256(data).hexdigest(),
    }
