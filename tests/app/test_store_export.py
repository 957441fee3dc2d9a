"""The ZIP export: a valid store, written to a temporary file and read back in pieces, so a
large store never sits in memory (measured as served by `python -m bench.zip_download`)."""

import json
import os
import zipfile

import numpy as np
import pytest

from app.dataset import DrawingStore, Limits
from app.store_export import write_zip
from app.store_index import line

MIB = 1024 * 1024
FILES = 100  # of 1 MiB each: a 100 MiB store


@pytest.fixture(scope="module")
def big_store(tmp_path_factory):
    """A store of 100 MiB: 100 drawings' files of 1 MiB each (random bytes: the ZIP stores
    them as they are), indexed as the store indexes them."""
    root = tmp_path_factory.mktemp("big-store")
    rng = np.random.default_rng(0)
    lines = []
    for i in range(FILES):
        file = f"{i % 10}/20261125T0930{i:02d}.000000Z-{i:012x}.png"
        (root / file).parent.mkdir(exist_ok=True)
        (root / file).write_bytes(rng.bytes(MIB))
        lines.append(line({"file": file, "label": i % 10, "time": f"2026-11-25T09:30:{i % 60:02d}.000000Z",
                           "status": "approved" if i % 2 else "pending", "bytes": MIB}))
    (root / "index.jsonl").write_bytes(b"".join(lines))
    return DrawingStore(root)


def test_zip_of_a_100_mib_store_is_complete(big_store, tmp_path):
    # How much memory this takes on the server: python -m bench.zip_download.
    received = tmp_path / "received.zip"
    with open(received, "wb") as out:
        for chunk in big_store.zip_chunks():
            out.write(chunk)
    with zipfile.ZipFile(received) as archive:
        assert archive.testzip() is None
        assert len(archive.namelist()) == FILES + 1
        assert archive.read(big_store.examples()[7].file) == big_store.examples()[7].path.read_bytes()
    assert os.path.getsize(received) > 100 * MIB
    # The temporary ZIP beside the store is gone.
    assert [p.name for p in big_store.root.iterdir() if p.name.startswith(".")] == []


def test_zip_chunks_temp_file_removed_when_reader_stops(big_store):
    chunks = big_store.zip_chunks()
    next(chunks)
    chunks.close()  # the browser went away mid-download
    assert [p.name for p in big_store.root.iterdir() if p.name.startswith(".")] == []


def test_write_zip_approved_only(big_store, tmp_path):
    count = write_zip(big_store, tmp_path / "approved.zip", status="approved")
    assert count == FILES // 2
    with zipfile.ZipFile(tmp_path / "approved.zip") as archive:
        records = [json.loads(x) for x in archive.read("index.jsonl").splitlines()]
    assert len(records) == FILES // 2 and {r["status"] for r in records} == {"approved"}
    assert [p.name for p in tmp_path.iterdir()] == ["approved.zip"]  # no temp file left


def test_unpacked_export_is_a_store(tmp_path):
    store = DrawingStore(tmp_path / "store", Limits(save_interval=0.0))
    saved = [store.save(np.full((28, 28), i, np.uint8), i, session="visitor-a") for i in range(3)]
    store.approve([saved[0].file])
    write_zip(store, tmp_path / "all.zip")
    with zipfile.ZipFile(tmp_path / "all.zip") as archive:
        archive.extractall(tmp_path / "unpacked")
    copy = DrawingStore(tmp_path / "unpacked")
    assert [(e.file, e.status, e.session) for e in copy.examples()] == [
        (e.file, s, "visitor-a") for e, s in zip(saved, ["approved", "pending", "pending"])
    ]
