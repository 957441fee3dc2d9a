"""The drawing store's append-only index (`index.jsonl`): reading it safely, appending to it.

Three kinds of line, each checked field by field before it counts:

    {"file": "7/2026...Z-ab12cd34ef56.png", "label": 7, "predicted": 1, "confidence": 0.62,
     "model_version": "v3", "time": "2026-11-25T09:30:12.123456Z", "session": "s-1a2b",
     "status": "pending", "bytes": 2311}                        # a saved drawing
    {"file": "numbers/2026...png", "number": "2046", "predicted": "20?6", ...}   # a whole number
    {"file": "4/2026...png", "label": 4, ..., "part_of": "numbers/2026...png"}  # one of its digits
    {"approved": "7/2026...png", "time": "..."}                  # the operator approved it
    {"deleted": "7/2026...png", "time": "..."}                   # it was taken back or deleted

A line that is not one of these (torn, not JSON, NaN, a wrong type, out of range) is skipped,
and logged once per process; it never stops a listing, an export or training.

    >>> with locked(path, exclusive=True) as fd:
    ...     entries = parse(read_all(fd), path)
    ...     append(fd, line(record))
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import math
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

INDEX_NAME = "index.jsonl"
STATUSES = ("pending", "approved")
MAX_LINE_BYTES = 4096  # a record is about 250 bytes; a longer line is not ours
MAX_VERSION_CHARS = 200
NOT_A_DIGIT = 10  # the label of a drawing that is no digit at all; training's target: all ten alike
LABELS = (*range(10), NOT_A_DIGIT)
NOT_A_DIGIT_FOLDER = "not-a-digit"
NUMBERS_FOLDER = "numbers"  # whole numbers, each with its string; their digits go to the digits' folders
MAX_NUMBER_DIGITS = 12
NUMBER_PATTERN = re.compile(rf"[0-9]{{1,{MAX_NUMBER_DIGITS}}}")
READ_NUMBER_PATTERN = re.compile(rf"[0-9?]{{1,{MAX_NUMBER_DIGITS}}}")  # as read: "?" for a digit it was not sure of
# The only shape `file` may have: `<label folder>/<timestamp>-<id>.png`.
FILE_PATTERN = re.compile(r"(?:[0-9]|not-a-digit|numbers)/[0-9]{8}T[0-9]{6}\.[0-9]{6}Z-[0-9a-f]{12}\.png")
SESSION_PATTERN = re.compile(r"[A-Za-z0-9_-]{1,64}")
TIME_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"

log = logging.getLogger("digits.store")
_warned: set[tuple[str, int, int]] = set()  # (index, line number, hash of the line) already logged


@contextlib.contextmanager
def locked(path: Path, exclusive: bool) -> Iterator[int]:
    """An fd of the index at `path` (created if missing when exclusive) under flock."""
    if exclusive:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_RDWR | os.O_APPEND | os.O_CREAT, 0o644)
    else:
        fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX if exclusive else fcntl.LOCK_SH)
        yield fd
    finally:
        os.close(fd)  # closing releases the lock


def read_all(fd: int) -> bytes:
    size = os.fstat(fd).st_size
    chunks, offset = [], 0
    while offset < size:
        chunk = os.pread(fd, min(size - offset, 1 << 20), offset)
        if not chunk:
            break
        chunks.append(chunk)
        offset += len(chunk)
    return b"".join(chunks)


def parse(data: bytes, path: Path, first_line: int = 1) -> list[dict]:
    """The valid entries in index bytes (complete lines from line number `first_line` on); each
    bad line is logged once per process and skipped."""
    entries = []
    for number, raw, entry, problem in lines(data, first_line):
        if problem is None:
            entries.append(entry)
        else:
            key = (str(path), number, hash(raw))
            if key not in _warned:
                _warned.add(key)
                log.warning("%s line %d skipped: %s", path, number, problem)
    return entries


def lines(data: bytes, first_line: int = 1) -> Iterator[tuple[int, bytes, dict | None, str | None]]:
    """(line number, raw line, entry or None, problem or None) for each non-blank complete line.
    The last piece has no newline: either empty or a line still (or never) being written."""
    for number, raw in enumerate(data.split(b"\n")[:-1], start=first_line):
        if raw.strip():
            yield (number, raw, *check_line(raw))


def check_line(raw: bytes) -> tuple[dict | None, str | None]:
    """(entry, None) for a valid line, (None, what is wrong) otherwise."""
    if len(raw) > MAX_LINE_BYTES:
        return None, f"{len(raw)} bytes, more than a record ever takes"
    try:
        entry = json.loads(raw, parse_constant=_no_constant)
    except ValueError as exc:
        return None, f"not JSON ({exc})"
    if not isinstance(entry, dict):
        return None, f"not a JSON object ({type(entry).__name__})"
    for marker in ("deleted", "approved"):
        if marker in entry:
            ok = set(entry) == {marker, "time"} and _is_file(entry[marker]) and _is_time(entry["time"])
            return (entry, None) if ok else (None, f"a malformed {marker!r} line")
    problem = _save_problem(entry)
    return (None, problem) if problem else (entry, None)


def _save_problem(entry: dict) -> str | None:
    """What is wrong with a save line, or None."""
    file = entry.get("file")
    if not _is_file(file):
        return f"'file' is not a drawing's path: {file!r:.80}"
    problem = _number_problem(entry) if file.split("/")[0] == NUMBERS_FOLDER else _digit_problem(entry)
    if problem:
        return problem
    confidence = entry.get("confidence")
    if confidence is not None and not (
        type(confidence) in (int, float) and math.isfinite(confidence) and 0 <= confidence <= 1
    ):
        return f"'confidence' is not a number from 0 to 1: {confidence!r:.20}"
    version = entry.get("model_version")
    if version is not None and not (isinstance(version, str) and len(version) <= MAX_VERSION_CHARS):
        return "'model_version' is not a short string"
    if not _is_time(entry.get("time")):
        return f"'time' is not a UTC time: {entry.get('time')!r:.40}"
    session = entry.get("session")
    if session is not None and not (isinstance(session, str) and SESSION_PATTERN.fullmatch(session)):
        return "'session' is not a session id"
    if entry.get("status", "pending") not in STATUSES:
        return f"'status' is not one of {STATUSES}"
    size = entry.get("bytes")
    if size is not None and (type(size) is not int or size < 0):
        return f"'bytes' is not a size: {size!r:.20}"
    return None


def _number_problem(entry: dict) -> str | None:
    """What is wrong with the fields of a whole number's save line, or None."""
    number, predicted = entry.get("number"), entry.get("predicted")
    if not (isinstance(number, str) and NUMBER_PATTERN.fullmatch(number)):
        return f"'number' is not 1-{MAX_NUMBER_DIGITS} digits: {number!r:.20}"
    if entry.get("label") is not None or entry.get("part_of") is not None:
        return "a whole number has no 'label' or 'part_of'"
    if predicted is not None and not (isinstance(predicted, str) and READ_NUMBER_PATTERN.fullmatch(predicted)):
        return f"'predicted' is not a number as read: {predicted!r:.20}"
    return None


def _digit_problem(entry: dict) -> str | None:
    """What is wrong with the fields of a digit's save line, or None."""
    file, label = entry["file"], entry.get("label")
    if type(label) is not int or label not in LABELS or file.split("/")[0] != label_folder(label):
        return f"'label' is not the label of its folder: {label!r:.20}"
    predicted = entry.get("predicted")
    if predicted is not None and (type(predicted) is not int or not 0 <= predicted <= 9):
        return f"'predicted' is not a digit: {predicted!r:.20}"
    if entry.get("number") is not None:
        return "a digit has no 'number'"
    part_of = entry.get("part_of")
    if part_of is not None and not (_is_file(part_of) and part_of.split("/")[0] == NUMBERS_FOLDER):
        return f"'part_of' is not a whole number's path: {part_of!r:.80}"
    return None


def label_folder(label: int) -> str:
    """The folder a label's drawings are kept in: "7", or "not-a-digit"."""
    return NOT_A_DIGIT_FOLDER if label == NOT_A_DIGIT else str(label)


def _is_file(value: object) -> bool:
    return isinstance(value, str) and FILE_PATTERN.fullmatch(value) is not None


def _is_time(value: object) -> bool:
    return isinstance(value, str) and parse_time(value) is not None


def parse_time(value: str) -> datetime | None:
    try:
        return datetime.strptime(value, TIME_FORMAT).replace(tzinfo=UTC)
    except ValueError:
        return None


def _no_constant(name: str):
    raise ValueError(f"{name} is not a number a record may hold")


def append(fd: int, record: dict | list[dict]) -> None:
    """Append one line (or the lines of several records) with a single write on an O_APPEND fd
    that the caller holds locked."""
    data = b"".join(line(r) for r in (record if isinstance(record, list) else [record]))
    # A torn last line (a writer died mid-write) must not swallow this record too.
    size = os.fstat(fd).st_size
    if size and os.pread(fd, 1, size - 1) != b"\n":
        data = b"\n" + data
    written = os.write(fd, data)
    assert written == len(data), f"short write to the index: {written}/{len(data)}"


def line(record: dict) -> bytes:
    return (json.dumps(record, allow_nan=False) + "\n").encode("utf-8")


def iso(moment: datetime) -> str:
    return moment.strftime(TIME_FORMAT)


def now_iso() -> str:
    return iso(datetime.now(UTC))
