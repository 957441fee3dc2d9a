"""The drawing store as a ZIP (the PNGs plus an index.jsonl of just those, itself a store),
written to a file a piece at a time, so that memory stays flat whatever the store's size.

    >>> write_zip(store, "drawings.zip", status="approved")     # the command line's export
    >>> with zip_file(store, "approved") as f: send(f)          # the page's download (app/zip_download.py)
    >>> for chunk in zip_chunks(store): response.write(chunk)    # the same, in pieces
"""

from __future__ import annotations

import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from app import store_index as index
from app.store_example import record_of

EXPORT_PREFIX = ".export-"  # temporary ZIPs beside the store; `check --repair` sweeps stale ones


def write_zip(store, destination: str | os.PathLike, status: str | None = None) -> int:
    """Write the ZIP of `store`'s live examples (of one status, when given) to `destination`
    atomically; the number of drawings in it."""
    destination = Path(destination)
    fd, temp = tempfile.mkstemp(prefix=".zip-", suffix=".tmp", dir=destination.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            count = _write(store, f, status)
        os.replace(temp, destination)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return count


def zip_file(store, status: str | None = None) -> BinaryIO:
    """The ZIP in a temporary file beside the store, open and at its start. The file has no
    name (or loses it at once), so closing it, or the process ending, frees the disk."""
    store.root.mkdir(parents=True, exist_ok=True)
    f = tempfile.TemporaryFile(prefix=EXPORT_PREFIX, dir=store.root)
    try:
        _write(store, f, status)
        f.seek(0)
    except BaseException:
        f.close()
        raise
    return f


def zip_chunks(store, status: str | None = None, chunk_size: int = 1 << 16) -> Iterator[bytes]:
    """The ZIP in pieces of `chunk_size` bytes, from `zip_file`, which is closed (and so
    removed) once the pieces are read or the reader stops."""
    with zip_file(store, status) as f:
        while chunk := f.read(chunk_size):
            yield chunk


def _write(store, f, status: str | None) -> int:
    """Write the ZIP into the open binary file `f`; the number of drawings in it."""
    kept = []
    with zipfile.ZipFile(f, "w") as archive:
        # PNGs are already compressed: stored, copied a block at a time.
        for example in store.examples(status=status):
            try:
                source = open(example.path, "rb")
            except FileNotFoundError:
                continue  # deleted by someone else since examples() looked
            info = zipfile.ZipInfo(example.file, _date(example.time))
            with source, archive.open(info, "w") as out:
                shutil.copyfileobj(source, out, 1 << 16)
            kept.append(example)
        info = zipfile.ZipInfo(index.INDEX_NAME, _date(index.now_iso()))
        info.compress_type = zipfile.ZIP_DEFLATED
        with archive.open(info, "w", force_zip64=True) as lines:
            for example in kept:
                lines.write(index.line(record_of(example)))
    return len(kept)


def _date(time: str) -> tuple[int, int, int, int, int, int]:
    moment = index.parse_time(time)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
