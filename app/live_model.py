"""The model the page serves, swapped for a new one when the file on disk changes.

    >>> live = LiveModel("models/digit_cnn.onnx")
    >>> recognizer, problem = live.current()     # (Recognizer, None) once a good file is there
    >>> available_models("models")               # {"fp32": ..., "int8": ...}, those that exist

`make export` (or copying a new file into models/) takes effect on the page's next prediction,
without restarting it. A new file is loaded and checked before it is used, so a broken or
half-written one never replaces a working model: the old one keeps serving and `problem` says
why. When nothing has changed, `current()` costs one os.stat (a few microseconds).
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

from app.contract import MODEL_FILES, MODELS_DIR, PROJECT_ROOT, project_path
from app.recognizer import ModelError, Recognizer


class LiveModel:
    """The model at `path`, reloaded when the file changes on disk; a broken or half-written new file never replaces a working model."""

    def __init__(self, path: str | Path) -> None:
        self._path = project_path(path)  # as Recognizer.load takes it
        self._lock = threading.Lock()
        self._seen: object = ()  # the file's stamp at the last attempt; () = never tried
        # (recognizer, problem) replaced as one tuple, so readers never see half of an update.
        self._state: tuple[Recognizer | None, str | None] = (None, None)

    @property
    def path(self) -> Path:
        return self._path

    def current(self) -> tuple[Recognizer | None, str | None]:
        """(recognizer, problem). Cheap (one os.stat) when nothing changed. When the file's
        (mtime_ns, size, inode) differs from the last attempt, try Recognizer.load: on success it
        becomes current and problem is None; on failure the previous recognizer stays current
        and problem says why. Before any successful load: (None, how to make a model).
        Thread-safe (one lock around reloads)."""
        if self._stamp() == self._seen:
            return self._state
        with self._lock:
            stamp = self._stamp()  # again: another thread may have reloaded while this one waited
            if stamp != self._seen:
                self._state = self._attempt(stamp)
                self._seen = stamp
            return self._state

    def _stamp(self) -> tuple[int, int, int] | None:
        try:
            info = os.stat(self._path)
        except OSError:
            return None
        return (info.st_mtime_ns, info.st_size, info.st_ino)

    def _attempt(self, stamp: tuple[int, int, int] | None) -> tuple[Recognizer | None, str | None]:
        """The new (recognizer, problem) after trying the file as it is now."""
        serving, _ = self._state
        try:
            loaded = Recognizer.load(self._path)
        except ModelError as exc:
            if serving is None:
                return None, str(exc)
            if stamp is None:
                return serving, f"{self._shown()} was removed; still serving {_version(serving)}."
            reason = str(exc).rstrip(".")
            return serving, f"{self._shown()} changed but cannot be used ({reason}); still serving {_version(serving)}."
        if serving is not None and serving.card["sha256"] == loaded.card["sha256"]:
            return serving, None  # touched or copied again, same bytes: keep the object callers hold
        return loaded, None

    def _shown(self) -> str:
        try:
            return str(self._path.relative_to(PROJECT_ROOT))
        except ValueError:
            return str(self._path)


def available_models(models_dir: str | Path = MODELS_DIR) -> dict[str, Path]:
    """{"fp32": .../digit_cnn.onnx, "int8": .../digit_cnn.int8.onnx}, only those that exist."""
    models_dir = project_path(models_dir)
    return {precision: models_dir / name for precision, name in MODEL_FILES.items() if (models_dir / name).is_file()}


def _version(recognizer: Recognizer) -> str:
    version = recognizer.card.get("version")
    if version and version != "unknown":
        return f"version {version}"
    return f"the previous model (sha256 {recognizer.card['sha256'][:12]})"

