"""The store of users' labelled drawings, so corrected predictions can be trained on.

Each drawing is kept losslessly as `<label>/<timestamp>-<id>.png` under `DIGITS_DATA_DIR`
(default `data/drawings/` in the project root), and described by one line of the append-only
`index.jsonl`: `file`, `label`, `predicted`, `confidence`, `model_version` and `time`. Deleting
removes the PNG and appends `{"deleted": file, "time": ...}`; nothing is ever rewritten.
A drawing that is not a digit has the label NOT_A_DIGIT (10), in the folder `not-a-digit/`.

    >>> store = DrawingStore()
    >>> example = store.save(canvas_rgba, label=7, predicted=1, confidence=0.62)
    >>> store.counts()[7], store.recent(1) == [example]
    >>> images, labels = load_labelled()          # for training: PIL images, uint8 labels

Safe under concurrency: the PNG goes to a temp file renamed into place, and only then is its
index line appended with one `os.write` under `fcntl.flock`, so several threads and processes
can save at once without losing or tearing a record (8 threads x 2 processes x 200 saves in the
tests). A PNG without an index line (a crash between the steps) is ignored.
"""

from __future__ import annotations

import fcntl
import io
import json
import math
import os
import re
import uuid
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from app.contract import data_dir
from app.files import atomic_write

INDEX_NAME = "index.jsonl"
MAX_SIDE = 2000  # larger pictures are refused: a canvas is a few hundred pixels
MAX_PIXELS = 4_000_000
NOT_A_DIGIT = 10  # the label of a drawing that is no digit at all; training's target: all ten alike
LABELS = (*range(10), NOT_A_DIGIT)
NOT_A_DIGIT_FOLDER = "not-a-digit"

# Modes PNG stores as they are; anything else is converted to RGBA first.
_PNG_MODES = {"1", "L", "LA", "I;16", "P", "RGB", "RGBA"}
# The only shape `file` may have, in the index and in delete(): `<label folder>/<timestamp>-<id>.png`.
_FILE_PATTERN = re.compile(r"(?:[0-9]|not-a-digit)/[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-[0-9a-f]{12}\.png")


@dataclass(frozen=True)
class Example:
    """One saved drawing as recorded in the index; `path` is where its PNG lives."""

    file: str  # relative, forward slashes: "7/20261125T093012.123456Z-ab12cd34ef56.png"
    label: int
    predicted: int | None
    confidence: float | None
    model_version: str | None
    time: str  # ISO 8601 UTC, e.g. "2026-11-25T09:30:12.123456Z"
    root: Path = field(repr=False)

    @property
    def path(self) -> Path:
        return self.root / self.file


class DrawingStore:
    """Labelled drawings in one folder; safe to share between threads and processes."""

    def __init__(self, root: str | os.PathLike | None = None) -> None:
        if root is None:
            root = data_dir()
        self.root = Path(root)
        self.index_path = self.root / INDEX_NAME

    def save(
        self,
        image: Image.Image | np.ndarray,
        label: int,
        predicted: int | None = None,
        confidence: float | None = None,
        model_version: str | None = None,
    ) -> Example:
        """Store `image` (PIL image or uint8 HxW/HxWx3/HxWx4 array) as a drawing of `label`."""
        label = _label(label)
        predicted = None if predicted is None else _digit(predicted, "predicted digits")
        confidence = _confidence(confidence)
        if model_version is not None and not isinstance(model_version, str):
            raise ValueError(f"model_version must be a string or None, got {model_version!r}")
        image = _to_image(image)

        now = datetime.now(UTC)
        name = f"{now:%Y%m%dT%H%M%S.%f}Z-{uuid.uuid4().hex[:12]}.png"
        file = f"{label_folder(label)}/{name}"
        folder = self.root / label_folder(label)
        folder.mkdir(parents=True, exist_ok=True)
        _write_png(image, folder / name)

        example = Example(
            file=file,
            label=label,
            predicted=predicted,
            confidence=confidence,
            model_version=model_version,
            time=_iso(now),
            root=self.root,
        )
        self._append(_record(example))
        return example

    def examples(self) -> list[Example]:
        """Live examples in save order: deleted ones and those whose PNG is missing are left out."""
        live: dict[str, Example] = {}
        for entry in self._read_index():
            if "deleted" in entry:
                live.pop(entry["deleted"], None)
            else:
                example = self._example(entry)
                if example is not None:
                    live[example.file] = example
        return [example for example in live.values() if example.path.is_file()]

    def counts(self) -> dict[int, int]:
        """Number of live examples for each label: the ten digits and NOT_A_DIGIT (zeros included)."""
        counts = dict.fromkeys(LABELS, 0)
        for example in self.examples():
            counts[example.label] += 1
        return counts

    def recent(self, n: int) -> list[Example]:
        """The `n` most recently saved live examples, newest first."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        return self.examples()[::-1][:n]

    def delete(self, file: str | Example) -> bool:
        """Remove an example's PNG and record the deletion; False if it was already gone.

        `file` is an Example or its relative path as in `Example.file`; anything that is not an
        example's path inside the store raises ValueError.
        """
        if isinstance(file, Example):
            file = file.file
        file = self._checked_file(file)
        try:
            os.remove(self.root / file)
        except FileNotFoundError:
            return False
        self._append({"deleted": file, "time": _iso(datetime.now(UTC))})
        return True

    def zip_bytes(self) -> bytes:
        """A ZIP of every live PNG plus an index.jsonl of just those, itself a valid store."""
        buffer = io.BytesIO()
        lines = []
        with zipfile.ZipFile(buffer, "w") as archive:
            for example in self.examples():
                try:
                    data = example.path.read_bytes()
                except FileNotFoundError:
                    continue  # deleted by someone else since examples() looked
                # PNGs are already compressed; storing them is faster and no bigger.
                archive.writestr(example.file, data, compress_type=zipfile.ZIP_STORED)
                lines.append(_line(_record(example)))
            archive.writestr(INDEX_NAME, b"".join(lines), compress_type=zipfile.ZIP_DEFLATED)
        return buffer.getvalue()

    def _append(self, record: dict) -> None:
        """Append one index line: a single write on an O_APPEND fd, under an exclusive flock."""
        line = _line(record)
        self.root.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.index_path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            # A torn last line (a writer died mid-write) must not swallow this record too.
            size = os.fstat(fd).st_size
            if size and os.pread(fd, 1, size - 1) != b"\n":
                line = b"\n" + line
            written = os.write(fd, line)
            assert written == len(line), f"short write to {self.index_path}: {written}/{len(line)}"
        finally:
            os.close(fd)  # closing releases the lock

    def _read_index(self) -> list[dict]:
        """Complete, parseable index lines as dicts; a torn or garbled line is skipped."""
        try:
            with open(self.index_path, "rb") as f:
                fcntl.flock(f, fcntl.LOCK_SH)
                data = f.read()
        except FileNotFoundError:
            return []
        entries = []
        # The last piece has no newline: either empty or a line still (or never) being written.
        for raw in data.split(b"\n")[:-1]:
            try:
                entry = json.loads(raw)
            except ValueError:
                continue
            if isinstance(entry, dict):
                entries.append(entry)
        return entries

    def _example(self, entry: dict) -> Example | None:
        """The Example an index entry describes, or None if the entry is not well-formed."""
        file, label = entry.get("file"), entry.get("label")
        predicted, confidence = entry.get("predicted"), entry.get("confidence")
        model_version, time = entry.get("model_version"), entry.get("time")
        well_formed = (
            isinstance(file, str)
            and _FILE_PATTERN.fullmatch(file) is not None
            and type(label) is int
            and label in LABELS
            and file.split("/")[0] == label_folder(label)
            and (predicted is None or (type(predicted) is int and 0 <= predicted <= 9))
            and (confidence is None or type(confidence) in (int, float))
            and (model_version is None or isinstance(model_version, str))
            and isinstance(time, str)
        )
        if not well_formed:
            return None
        confidence = None if confidence is None else float(confidence)
        return Example(file, label, predicted, confidence, model_version, time, self.root)

    def _checked_file(self, file: object) -> str:
        """`file` as a relative example path inside the store, or ValueError."""
        if not isinstance(file, (str, os.PathLike)):
            raise ValueError(f"expected an example's relative path, got {file!r}")
        text = os.fspath(file)
        relative = text.replace("\\", "/")
        inside = not os.path.isabs(text) and ".." not in relative.split("/")
        if not inside:
            raise ValueError(f"{text!r} is outside the drawing store {str(self.root)!r}")
        if _FILE_PATTERN.fullmatch(relative) is None:
            raise ValueError(
                f"{text!r} is not an example's path (expected like '7/<timestamp>-<id>.png')"
            )
        return relative


def load_labelled(
    root: str | os.PathLike | None = None,
) -> tuple[list[Image.Image], np.ndarray]:
    """All live drawings of the store at `root` as loaded PIL images and their uint8 labels
    (0-9, or NOT_A_DIGIT)."""
    images, labels = [], []
    for example in DrawingStore(root).examples():
        try:
            with Image.open(example.path) as image:
                image.load()
        except FileNotFoundError:
            continue  # deleted since the index was read
        images.append(image)
        labels.append(example.label)
    return images, np.array(labels, dtype=np.uint8)


def label_folder(label: int) -> str:
    """The folder a label's drawings are kept in: "7", or "not-a-digit"."""
    return NOT_A_DIGIT_FOLDER if label == NOT_A_DIGIT else str(label)


def label_name(label: int) -> str:
    """How people read a label: "7", or "not a digit"."""
    return "not a digit" if label == NOT_A_DIGIT else str(label)


def _label(value: object) -> int:
    """A label: a digit 0..9, or NOT_A_DIGIT."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool) and value == NOT_A_DIGIT:
        return NOT_A_DIGIT
    try:
        return _digit(value, "labels")
    except ValueError:
        raise ValueError(
            f"labels must be an integer 0-9 or NOT_A_DIGIT ({NOT_A_DIGIT}), got {value!r} ({type(value).__name__})"
        ) from None


def _digit(value: object, what: str) -> int:
    """`value` as an int 0..9; bools, strings, floats and other numbers are refused."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        if 0 <= value <= 9:
            return int(value)
    raise ValueError(f"{what} must be an integer 0-9, got {value!r} ({type(value).__name__})")


def _confidence(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, (int, float, np.integer, np.floating)) and not isinstance(value, bool):
        if math.isfinite(value) and 0.0 <= value <= 1.0:
            return float(value)
    raise ValueError(f"confidence must be a number from 0 to 1 or None, got {value!r}")


def _to_image(image: Image.Image | np.ndarray) -> Image.Image:
    """A PIL image PNG can store losslessly, after the size checks."""
    if isinstance(image, np.ndarray):
        if image.dtype != np.uint8:
            raise ValueError(f"expected a uint8 array, got dtype {image.dtype}")
        if not (image.ndim == 2 or (image.ndim == 3 and image.shape[2] in (3, 4))):
            raise ValueError(f"expected an array shaped HxW, HxWx3 or HxWx4, got {image.shape}")
        _check_size(image.shape[1], image.shape[0])
        mode = {2: "L", 3: "RGB", 4: "RGBA"}[image.shape[2] if image.ndim == 3 else 2]
        return Image.fromarray(np.ascontiguousarray(image), mode)
    if not isinstance(image, Image.Image):
        raise ValueError(f"expected a PIL image or a NumPy array, got {type(image).__name__}")
    _check_size(image.width, image.height)
    return image if image.mode in _PNG_MODES else image.convert("RGBA")


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ValueError(f"image has no pixels ({width}x{height})")
    if width > MAX_SIDE or height > MAX_SIDE or width * height > MAX_PIXELS:
        raise ValueError(
            f"image is {width}x{height} pixels; the most accepted is {MAX_SIDE} on a side "
            f"and {MAX_PIXELS:,} in all"
        )


def _write_png(image: Image.Image, path: Path) -> None:
    """Write `path` so that it either does not exist or is complete."""
    atomic_write(path, lambda tmp: image.save(tmp, format="PNG"))


def _record(example: Example) -> dict:
    return {
        "file": example.file,
        "label": example.label,
        "predicted": example.predicted,
        "confidence": example.confidence,
        "model_version": example.model_version,
        "time": example.time,
    }


def _line(record: dict) -> bytes:
    return (json.dumps(record, allow_nan=False) + "\n").encode("utf-8")


def _iso(moment: datetime) -> str:
    return f"{moment:%Y-%m-%dT%H:%M:%S.%f}Z"
