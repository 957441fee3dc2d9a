"""Index lines are validated one by one: a bad line is skipped with one warning and never
breaks listing, export or training."""

import io
import json
import logging
import zipfile

import numpy as np
import pytest

from app.dataset import DrawingStore, load_labelled
from app.store_index import check_line

FILE = "3/20261125T093012.123456Z-0123456789ab.png"
TIME = "2026-11-25T09:30:12.123456Z"
GOOD = {"file": FILE, "label": 3, "predicted": 1, "confidence": 0.5, "model_version": "v", "time": TIME}


@pytest.mark.parametrize(
    "line",
    [
        GOOD,
        {**GOOD, "session": "s-1", "status": "approved", "bytes": 10},
        {**GOOD, "predicted": None, "confidence": None, "model_version": None},
        {**GOOD, "confidence": 1},
        {"deleted": FILE, "time": TIME},
        {"approved": FILE, "time": TIME},
    ],
)
def test_valid_line(line):
    assert check_line(json.dumps(line).encode()) == (line, None)


@pytest.mark.parametrize(
    ("raw", "problem"),
    [
        (b'{"deleted": []}', "malformed 'deleted'"),
        (b'{"deleted": "../../etc/passwd", "time": "%s"}' % TIME.encode(), "malformed 'deleted'"),
        (b'{"approved": "%s"}' % FILE.encode(), "malformed 'approved'"),
        (json.dumps({**GOOD, "confidence": float("nan")}).encode(), "not JSON"),
        (json.dumps({**GOOD, "confidence": 1.5}).encode(), "'confidence' is not a number from 0 to 1"),
        (json.dumps({**GOOD, "confidence": "0.5"}).encode(), "'confidence' is not a number"),
        (json.dumps({**GOOD, "label": 4}).encode(), "'label' is not the label of its folder"),
        (json.dumps({**GOOD, "label": True}).encode(), "'label' is not the label"),
        (json.dumps({**GOOD, "predicted": 10}).encode(), "'predicted' is not a digit"),
        (json.dumps({**GOOD, "model_version": ["v"]}).encode(), "'model_version' is not a short string"),
        (json.dumps({**GOOD, "time": "yesterday"}).encode(), "'time' is not a UTC time"),
        (json.dumps({**GOOD, "time": None}).encode(), "'time' is not a UTC time"),
        (json.dumps({**GOOD, "session": "../x"}).encode(), "'session' is not a session id"),
        (json.dumps({**GOOD, "status": "trusted"}).encode(), "'status' is not one of"),
        (json.dumps({**GOOD, "bytes": -1}).encode(), "'bytes' is not a size"),
        (json.dumps({**GOOD, "file": "3/x.png"}).encode(), "'file' is not a drawing's path"),
        (b'["not", "a record"]', "not a JSON object"),
        (b"{", "not JSON"),
        (b"\xff\xfe", "not JSON"),
        (b'{"file": "' + b"x" * 5000 + b'"}', "more than a record ever takes"),
    ],
)
def test_bad_line(raw, problem):
    entry, found = check_line(raw)
    assert entry is None and problem in found


def store_with_bad_lines(tmp_path):
    """A store with two good drawings, and between them every kind of bad line."""
    store = DrawingStore(tmp_path)
    first = store.save(np.full((28, 28), 10, np.uint8), 1)
    with open(store.index_path, "ab") as f:
        f.write(b'{"deleted": []}\n')
        f.write(json.dumps({**GOOD, "confidence": float("nan")}).encode() + b"\n")
        f.write(json.dumps({**GOOD, "time": 7}).encode() + b"\n")
        f.write(b'{"approved": 3}\n')
    second = store.save(np.full((28, 28), 20, np.uint8), 2)
    return store, first, second


def test_bad_lines_never_break_listing_zip_or_training(tmp_path, caplog):
    with caplog.at_level(logging.WARNING, logger="digits.store"):
        store, first, second = store_with_bad_lines(tmp_path)
        assert store.examples() == [first, second]
        assert store.counts()[1] == store.counts()[2] == 1
        archive = zipfile.ZipFile(io.BytesIO(store.zip_bytes()))
        assert sorted(archive.namelist()) == sorted([first.file, second.file, "index.jsonl"])
        store.approve()
        assert load_labelled(tmp_path)[1].tolist() == [1, 2]
    warnings = [r for r in caplog.records if "skipped" in r.getMessage()]
    # One warning per bad line, however often the index is read.
    assert [r.getMessage().split(" skipped")[0].rsplit(" ", 1)[-1] for r in warnings] == ["2", "3", "4", "5"]
