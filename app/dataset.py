"""The store of visitors' labelled drawings, so corrected predictions can be trained on.

Each drawing is kept as `<label>/<timestamp>-<id>.png` under `DIGITS_DATA_DIR` (default
`data/drawings/` in the project root), at most `SAVE_SIDE` pixels on a side (training sees 28),
and described by one line of the append-only `index.jsonl` (app/store_index.py). A new save is
"pending" until the operator approves it; training reads approved drawings only. A drawing
that is not a digit has the label NOT_A_DIGIT (10), in the folder `not-a-digit/`. A whole
number is kept in `numbers/` with its string (`number`), and each of its digits, cut from it,
under its digit's folder naming it (`part_of`): one save, taken back or approved together;
training reads the digits, not the number. Each save names the browser session that made it,
so a visitor can list and take back their own.

    >>> store = DrawingStore()
    >>> example = store.save(canvas_rgba, label=7, predicted=1, confidence=0.62, session="s-1")
    >>> store.examples(session="s-1") == [example]; store.approve([example.file])
    >>> whole, *digits = store.save_number(canvas_rgba, "2046", "20?6", [(crop, 2, 2, 0.99), ...])
    >>> images, labels = load_labelled()          # for training: approved, deduplicated

    $ python -m app.dataset review|approve|export|check   # the operator's commands (app/store_cli.py)

Limits (app/store_limits.py): a quota for the store, and per session a most number of saves
and one save a second. Safe under concurrency: a save holds the index's flock from the limit
check to its line, the PNG goes to a temp file renamed into place, and a PNG whose line could
not be written is removed again (8 threads x 2 processes x 200 saves in the tests).
"""

from __future__ import annotations

import os
import threading
import uuid
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
from PIL import Image

from app import store_index as index
from app.contract import data_dir
from app.files import atomic_write
from app.store_example import Example, IndexState, record_of
from app.store_index import FILE_PATTERN, INDEX_NAME, LABELS, NOT_A_DIGIT, NOT_A_DIGIT_FOLDER, SESSION_PATTERN, label_folder
from app.store_limits import Limits, SaveRefused
from app.store_picture import MAX_PIXELS, MAX_SIDE, SAVE_SIDE, confidence_value, digit, label_value, png_bytes

__all__ = [
    "DrawingStore", "Example", "Limits", "SaveRefused", "load_labelled", "label_folder", "label_name",
    "INDEX_NAME", "LABELS", "MAX_PIXELS", "MAX_SIDE", "NOT_A_DIGIT", "NOT_A_DIGIT_FOLDER", "SAVE_SIDE",
]


# One parsed index per store folder per process, read on from where it was left.
_states: dict[Path, IndexState] = {}
_states_lock = threading.Lock()


class DrawingStore:
    """Labelled drawings in one folder; safe to share between threads and processes."""

    def __init__(self, root: str | os.PathLike | None = None, limits: Limits | None = None) -> None:
        self.root = Path(data_dir() if root is None else root)
        self.index_path = self.root / INDEX_NAME
        self.limits = Limits.from_env() if limits is None else limits

    def save(
        self,
        image: Image.Image | np.ndarray,
        label: int,
        predicted: int | None = None,
        confidence: float | None = None,
        model_version: str | None = None,
        session: str | None = None,
    ) -> Example:
        """Store `image` (PIL image or uint8 HxW/HxWx3/HxWx4 array) as a drawing of `label`.

        Raises ValueError for bad arguments and SaveRefused (a ValueError) when the limits do
        not allow it; in either case nothing is written."""
        label = label_value(label)
        predicted = None if predicted is None else digit(predicted, "predicted digits")
        confidence = confidence_value(confidence)
        model_version, session = _checked_origin(model_version, session)
        png = png_bytes(image)
        fields = dict(label=label, predicted=predicted, confidence=confidence)
        return self._commit([(label_folder(label), png, fields)], model_version, session)[0]

    def save_number(
        self,
        image: Image.Image | np.ndarray,
        number: str,
        predicted: str | None = None,
        digits: list[tuple] = (),
        model_version: str | None = None,
        session: str | None = None,
    ) -> list[Example]:
        """Store a whole number's `image` with its string `number` ("2046"; `predicted` as it was
        read, "20?6"), and each of `digits`, (picture, label, predicted digit, confidence), as a
        digit of it: one save, under one lock, the limits applied to all its files (every file
        counts against the quota and the visit's saves; the one-a-second rate counts the save).
        Returns [the number, its digits...]; ValueError (SaveRefused) and nothing written, as `save`."""
        from app.store_number import number_files

        model_version, session = _checked_origin(model_version, session)
        return self._commit(number_files(image, number, predicted, digits), model_version, session, whole=True)

    def _commit(self, files: list[tuple[str, bytes, dict]], model_version, session, whole: bool = False) -> list[Example]:
        """Write (folder, PNG, fields) files and their index lines as one save: under the index's
        lock from the limit check to the lines, which go in one write; with `whole`, the files
        after the first are parts of the first. A file whose line was not written is removed."""
        with index.locked(self.index_path, exclusive=True) as fd:
            state = self._state(fd)
            now = datetime.now(UTC)
            last = state.last.get(session) if session is not None else None
            saves = None if session is None else state.saves.get(session, 0) + len(files) - 1
            self.limits.check(
                used=state.used(os.fstat(fd).st_size),
                adding=sum(len(png) + 400 for _, png, _ in files),  # the PNGs and their index lines
                session_saves=saves,
                last_save=None if last is None else index.parse_time(last),
                now=now,
            )
            examples = []
            for folder, png, fields in files:
                name = f"{now:%Y%m%dT%H%M%S.%f}Z-{uuid.uuid4().hex[:12]}.png"
                part_of = examples[0].file if whole and examples else None
                examples.append(Example(
                    f"{folder}/{name}", fields.get("label"), fields.get("predicted"), fields.get("confidence"),
                    model_version, index.iso(now), self.root, session, "pending", len(png), fields.get("number"), part_of,
                ))
            try:
                for (folder, png, _), example in zip(files, examples):
                    (self.root / folder).mkdir(parents=True, exist_ok=True)
                    _write_file(png, example.path)
                index.append(fd, [record_of(example) for example in examples])
            except BaseException:
                for example in examples:
                    example.path.unlink(missing_ok=True)  # no PNG without its line
                raise
        return examples

    def examples(self, session: str | None = None, status: str | None = None, parts: bool = True) -> list[Example]:
        """Live examples in save order (deleted ones and those whose PNG is missing left out);
        only one session's, or only those with one status, when asked; without `parts`, a whole
        number stands for its digits (they are not listed)."""
        state = self._read()
        found = [
            example
            for example in state.live.values()
            if (session is None or example.session == session) and (status is None or example.status == status)
            and (parts or example.part_of is None)
        ]
        return [example for example in found if example.path.is_file()]

    def counts(self, status: str | None = None) -> dict[int, int]:
        """Number of live examples for each label: the ten digits and NOT_A_DIGIT (zeros included);
        a whole number's digits count, the whole number does not."""
        counts = dict.fromkeys(LABELS, 0)
        for example in self.examples(status=status):
            if example.number is None:
                counts[example.label] += 1
        return counts

    def recent(self, n: int, session: str | None = None, parts: bool = True) -> list[Example]:
        """The `n` most recently saved live examples (of one session, when given), newest first."""
        if isinstance(n, bool) or not isinstance(n, int) or n < 0:
            raise ValueError(f"n must be a non-negative integer, got {n!r}")
        return self.examples(session=session, parts=parts)[::-1][:n]

    def used_bytes(self) -> int:
        """What the store counts against its quota: the live PNGs and the index."""
        state = self._read()
        try:
            size = self.index_path.stat().st_size
        except FileNotFoundError:
            size = 0
        return state.used(size)

    def delete(self, file: str | Example, session: str | None = None) -> bool:
        """Remove an example's PNG and record the deletion; False if it was already gone.

        `file` is an Example or its relative path as in `Example.file`; anything that is not an
        example's path inside the store raises ValueError. With `session`, only that session's
        own drawings can be deleted (a visitor taking theirs back): another's raises ValueError.
        A whole number goes with its digits.
        """
        if isinstance(file, Example):
            file = file.file
        file = self._checked_file(file)
        with index.locked(self.index_path, exclusive=True) as fd:
            example = self._state(fd).live.get(file)
            if session is not None and (example is None or example.session != session):
                if example is None:
                    return False
                raise ValueError("that drawing was saved by another visitor; only they or the operator can delete it")
            try:
                os.remove(self.root / file)
            except FileNotFoundError:
                return False
            gone = [file] + [e.file for e in self._state(fd).live.values() if e.part_of == file]
            for part in gone[1:]:
                (self.root / part).unlink(missing_ok=True)
            index.append(fd, [{"deleted": f, "time": index.now_iso()} for f in gone])
        return True

    def approve(self, files: list[str] | None = None) -> int:
        """Approve pending examples for training (the given files, a whole number with its
        digits, or every pending one); the number of drawings approved."""
        with index.locked(self.index_path, exclusive=True) as fd:
            state = self._state(fd)
            wanted = None if files is None else {self._checked_file(f) for f in files}
            pending = [
                e.file for e in state.live.values()
                if e.status == "pending" and (wanted is None or e.file in wanted or e.part_of in wanted)
            ]
            if pending:
                index.append(fd, [{"approved": file, "time": index.now_iso()} for file in pending])
        return len(pending)

    def zip_chunks(self, status: str | None = None, chunk_size: int = 1 << 16):
        """A ZIP of the live PNGs (of one status, when given) plus their index.jsonl, itself a
        valid store, in chunks: written to a temporary file beside the store and read back, so
        memory stays flat whatever the store's size. The file goes when the chunks are done."""
        from app.store_export import zip_chunks

        return zip_chunks(self, status, chunk_size)

    def zip_bytes(self, status: str | None = None) -> bytes:
        """The same ZIP as one bytes object, held in memory: for small stores and tests."""
        return b"".join(self.zip_chunks(status))

    def _read(self) -> IndexState:
        try:
            with index.locked(self.index_path, exclusive=False) as fd:
                return self._state(fd)
        except FileNotFoundError:
            return IndexState(inode=-1)

    def _state(self, fd: int) -> IndexState:
        """The index's state, reading only lines appended since this process last looked."""
        stat = os.fstat(fd)
        with _states_lock:
            state = _states.get(self.index_path)
            if state is None or state.inode != stat.st_ino or stat.st_size < state.offset:
                state = _states[self.index_path] = IndexState(stat.st_ino)
            if stat.st_size > state.offset:
                data = os.pread(fd, stat.st_size - state.offset, state.offset)
                complete = data[: data.rfind(b"\n") + 1]
                for entry in index.parse(complete, self.index_path, first_line=state.lines + 1):
                    state.apply(entry, self.root)
                state.offset += len(complete)
                state.lines += complete.count(b"\n")
            return state

    def _checked_file(self, file: object) -> str:
        """`file` as a relative example path inside the store, or ValueError."""
        if not isinstance(file, (str, os.PathLike)):
            raise ValueError(f"expected an example's relative path, got {file!r}")
        text = os.fspath(file)
        relative = text.replace("\\", "/")
        inside = not os.path.isabs(text) and ".." not in relative.split("/")
        if not inside:
            raise ValueError(f"{text!r} is outside the drawing store")
        if FILE_PATTERN.fullmatch(relative) is None:
            raise ValueError(f"{text!r} is not an example's path (expected like '7/<timestamp>-<id>.png')")
        return relative


def _checked_origin(model_version: object, session: object) -> tuple[str | None, str | None]:
    """The model version (cut to its most characters) and session of a save, or ValueError."""
    if model_version is not None and not isinstance(model_version, str):
        raise ValueError(f"model_version must be a string or None, got {model_version!r}")
    if session is not None and not (isinstance(session, str) and SESSION_PATTERN.fullmatch(session)):
        raise ValueError(f"session must be 1-64 letters, digits, '-' or '_', got {session!r}")
    return (None if model_version is None else model_version[: index.MAX_VERSION_CHARS]), session


def _write_file(data: bytes, path: Path) -> None:
    """Write `path` so that it either does not exist or is complete."""
    atomic_write(path, lambda tmp: tmp.write_bytes(data))


def label_name(label: int) -> str:
    """How people read a label: "7", or "not a digit"."""
    return "not a digit" if label == NOT_A_DIGIT else str(label)


def load_labelled(*args, **kwargs):
    """The store's drawings for training (app/store_training.py): approved, deduplicated, each
    session's share capped; labels 0-9 or NOT_A_DIGIT."""
    from app.store_training import load_labelled

    return load_labelled(*args, **kwargs)


if __name__ == "__main__":
    import sys

    from app.store_cli import main

    sys.exit(main())
