"""The operator's store commands: python -m app.dataset review | approve | export | check."""

import os
import subprocess
import sys
import time
import zipfile

import numpy as np
import pytest

from app.contract import PROJECT_ROOT
from app.dataset import DrawingStore, Limits
from app.store_cli import check, main

ORPHAN = "3/20261125T093012.123456Z-0123456789ab.png"


def saved(tmp_path, n=3):
    store = DrawingStore(tmp_path, Limits(save_interval=0.0))
    return store, [store.save(np.full((28, 28), 40 * i, np.uint8), i, predicted=(i + 1) % 10, session="s-1") for i in range(n)]


def aged(path, seconds=3600 * 2):
    past = time.time() - seconds
    os.utime(path, (past, past))
    return path


def interrupted_save(store):
    """What a save killed after its PNG and before its index line leaves, and its temp file."""
    orphan = store.root / ORPHAN
    orphan.parent.mkdir(exist_ok=True)
    orphan.write_bytes(b"\x89PNG half a save")
    temp = store.root / "3" / ".20261125T093012-x.tmp"
    temp.write_bytes(b"partial")
    return aged(orphan), aged(temp)


def test_check_clean_store(tmp_path, capsys):
    saved(tmp_path)
    assert main(["--data-dir", str(tmp_path), "check"]) == 0
    assert "the store is consistent" in capsys.readouterr().out


def test_check_reports_then_repairs_an_interrupted_save(tmp_path, capsys):
    store, examples = saved(tmp_path)
    orphan, temp = interrupted_save(store)
    with open(store.index_path, "ab") as f:
        f.write(b'{"deleted": []}\n')
    assert main(["--data-dir", str(tmp_path), "check"]) == 1
    out = capsys.readouterr().out
    assert f"found orphan {ORPHAN}" in out and "found stale temporary file 3/.20261125T093012-x.tmp" in out
    assert "index line 4: a malformed 'deleted' line" in out
    assert orphan.exists() and temp.exists()

    assert main(["--data-dir", str(tmp_path), "check", "--repair"]) == 1  # the bad line stays
    assert f"removed orphan {ORPHAN}" in capsys.readouterr().out
    assert not orphan.exists() and not temp.exists()
    assert store.examples() == examples and all(e.path.exists() for e in examples)


def test_check_leaves_a_save_in_progress_alone(tmp_path):
    store, _ = saved(tmp_path)
    orphan, temp = interrupted_save(store)
    os.utime(orphan)  # just written: a save of an older version may still be adding its line
    report = check(store, repair=True)
    assert report.orphans == [] and report.temps == [temp]
    assert orphan.exists()


def test_review_and_approve(tmp_path, capsys):
    store, examples = saved(tmp_path)
    assert main(["--data-dir", str(tmp_path), "review"]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [f"{e.file}\t{e.label}\tread as {e.predicted}\ts-1" for e in examples]
    assert "3 pending" in out.err
    assert main(["--data-dir", str(tmp_path), "approve", examples[0].file]) == 0
    assert "approved 1 drawing" in capsys.readouterr().out
    assert main(["--data-dir", str(tmp_path), "approve", "--all"]) == 0
    assert "approved 2 drawings" in capsys.readouterr().out
    assert [e.status for e in store.examples()] == ["approved"] * 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["approve"], "approve takes drawings' files or --all"),
        (["approve", "--all", "1/x.png"], "approve takes drawings' files or --all"),
        (["approve", "../index.jsonl"], "outside the drawing store"),
    ],
)
def test_approve_fail(tmp_path, capsys, args, message):
    saved(tmp_path)
    with pytest.raises(SystemExit) as info:
        main(["--data-dir", str(tmp_path), *args])
    assert info.value.code == 2 and message in capsys.readouterr().err


def test_export_approved_by_default(tmp_path, capsys):
    store, examples = saved(tmp_path / "store")
    store.approve([examples[1].file])
    assert main(["--data-dir", str(tmp_path / "store"), "export", str(tmp_path / "out.zip")]) == 0
    assert "wrote 1 drawings" in capsys.readouterr().out
    assert sorted(zipfile.ZipFile(tmp_path / "out.zip").namelist()) == sorted([examples[1].file, "index.jsonl"])
    main(["--data-dir", str(tmp_path / "store"), "export", "--all", str(tmp_path / "all.zip")])
    assert len(zipfile.ZipFile(tmp_path / "all.zip").namelist()) == 4


def test_runs_as_module(tmp_path):
    saved(tmp_path)
    done = subprocess.run(
        [sys.executable, "-m", "app.dataset", "--data-dir", str(tmp_path), "check"],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60,
    )
    assert done.returncode == 0 and "the store is consistent" in done.stdout
