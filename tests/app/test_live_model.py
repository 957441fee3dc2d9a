"""The page's model follows the file on disk, and a bad new file never takes a working one down."""

import os
import shutil
import threading
import time
from pathlib import Path

import numpy as np
import pytest

from app.live_model import LiveModel, available_models
from app.recognizer import Recognizer

FIXTURES = Path(__file__).resolve().parent / "fixtures"
V1, V2 = FIXTURES / "tiny_valid.onnx", FIXTURES / "tiny_valid_v2.onnx"


def replace_atomically(source: Path, target: Path) -> None:
    """How `make export` should write: a temporary file, then one rename."""
    temporary = target.with_name(target.name + ".tmp")
    shutil.copyfile(source, temporary)
    os.replace(temporary, target)
    bump_mtime(target)


def overwrite(data: bytes, target: Path) -> None:
    """How a careless copy writes: the same file truncated and rewritten in place."""
    with open(target, "r+b") as f:
        f.truncate(0)
        f.write(data)
    bump_mtime(target)


def bump_mtime(target: Path) -> None:
    """Some file systems keep coarse times; make sure the change is visible in mtime."""
    stat = target.stat()
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns + 2_000_000_000))


@pytest.fixture
def model_file(tmp_path):
    path = tmp_path / "digit_cnn.onnx"
    shutil.copyfile(V1, path)
    return path


def test_loads_once_and_reuses(model_file):
    live = LiveModel(model_file)
    first, problem = live.current()
    assert isinstance(first, Recognizer) and problem is None
    assert first.card["version"] == "tiny-1"
    assert all(live.current()[0] is first for _ in range(5))
    assert live.path == model_file


def test_unchanged_file_costs_no_reload(model_file, monkeypatch):
    live = LiveModel(model_file)
    live.current()
    monkeypatch.setattr(Recognizer, "load", lambda *a, **k: pytest.fail("reloaded an unchanged file"))
    for _ in range(100):
        live.current()


@pytest.mark.parametrize("write", ["atomic replace", "plain overwrite"])
def test_picks_up_a_new_file(model_file, write):
    live = LiveModel(model_file)
    old, _ = live.current()
    if write == "atomic replace":
        replace_atomically(V2, model_file)
    else:
        overwrite(V2.read_bytes(), model_file)
    new, problem = live.current()
    assert problem is None
    assert new is not old
    assert new.card["version"] == "tiny-2"


def test_same_bytes_again_keep_the_same_recognizer(model_file):
    live = LiveModel(model_file)
    old, _ = live.current()
    replace_atomically(V1, model_file)
    assert live.current() == (old, None)


@pytest.mark.parametrize("junk", [b"", b"not an onnx model at all", None], ids=["empty", "garbage", "half-written"])
def test_broken_new_file_keeps_the_old_one_serving(model_file, junk):
    live = LiveModel(model_file)
    old, _ = live.current()
    data = V2.read_bytes()
    overwrite(data[: len(data) // 2] if junk is None else junk, model_file)
    serving, problem = live.current()
    assert serving is old
    assert "changed but cannot be used" in problem
    assert "still serving version tiny-1" in problem
    # Still the same answer and the same problem on the next call, without retrying.
    assert live.current() == (old, problem)
    assert serving.predict(np.eye(28, dtype=np.uint8) * 255).status in ("ok", "uncertain")


def test_wrong_contract_new_file_keeps_the_old_one_serving(model_file):
    live = LiveModel(model_file)
    old, _ = live.current()
    replace_atomically(FIXTURES / "wrong_output.onnx", model_file)
    serving, problem = live.current()
    assert serving is old
    assert "does not fit the app" in problem and "still serving version tiny-1" in problem


def test_good_file_after_a_broken_one_is_picked_up(model_file):
    live = LiveModel(model_file)
    live.current()
    overwrite(b"garbage", model_file)
    assert live.current()[1] is not None
    replace_atomically(V2, model_file)
    recognizer, problem = live.current()
    assert problem is None
    assert recognizer.card["version"] == "tiny-2"


def test_missing_at_start_says_how_to_make_a_model(tmp_path):
    live = LiveModel(tmp_path / "digit_cnn.onnx")
    recognizer, problem = live.current()
    assert recognizer is None
    assert "No model file" in problem and "make train" in problem and "make export" in problem


def test_broken_at_start_says_how_to_make_a_model(tmp_path):
    path = tmp_path / "digit_cnn.onnx"
    path.write_bytes(b"garbage")
    recognizer, problem = LiveModel(path).current()
    assert recognizer is None
    assert "not a usable ONNX model" in problem and "make train" in problem


def test_appears_after_start(tmp_path):
    path = tmp_path / "digit_cnn.onnx"
    live = LiveModel(path)
    assert live.current()[0] is None
    shutil.copyfile(V1, path)
    recognizer, problem = live.current()
    assert recognizer is not None and problem is None


def test_deleted_after_loading_keeps_serving(model_file):
    live = LiveModel(model_file)
    old, _ = live.current()
    model_file.unlink()
    serving, problem = live.current()
    assert serving is old
    assert "was removed" in problem and "still serving version tiny-1" in problem
    shutil.copyfile(V2, model_file)
    assert live.current()[0].card["version"] == "tiny-2"


def test_relative_path_is_taken_from_the_project_root(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    live = LiveModel("tests/app/fixtures/tiny_valid.onnx")
    assert live.path == V1
    assert live.current()[0] is not None


def test_threads_never_see_no_model_while_it_is_replaced(model_file):
    live = LiveModel(model_file)
    live.current()
    failures, versions = [], set()
    stop = threading.Event()

    def serve():
        while not stop.is_set():
            try:
                recognizer, _ = live.current()
                if recognizer is None:
                    failures.append("got no recognizer")
                else:
                    versions.add(recognizer.card["version"])
            except Exception as exc:  # any exception is the failure under test
                failures.append(repr(exc))

    threads = [threading.Thread(target=serve) for _ in range(8)]
    for thread in threads:
        thread.start()
    try:
        for i in range(12):
            source = V2 if i % 2 == 0 else V1
            if i % 3 == 0:
                overwrite(source.read_bytes()[:100], model_file)  # caught half-written
                time.sleep(0.005)
            if i % 2 == 0:
                replace_atomically(source, model_file)
            else:
                overwrite(source.read_bytes(), model_file)
            time.sleep(0.005)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    assert failures == []
    assert live.current()[0].card["version"] == "tiny-1"
    assert versions <= {"tiny-1", "tiny-2"}


def test_available_models(tmp_path):
    assert available_models(tmp_path) == {}
    shutil.copyfile(V1, tmp_path / "digit_cnn.onnx")
    assert available_models(tmp_path) == {"fp32": tmp_path / "digit_cnn.onnx"}
    shutil.copyfile(V1, tmp_path / "digit_cnn.int8.onnx")
    assert available_models(tmp_path) == {"fp32": tmp_path / "digit_cnn.onnx", "int8": tmp_path / "digit_cnn.int8.onnx"}


def test_available_models_ignores_folders_and_other_files(tmp_path):
    (tmp_path / "digit_cnn.onnx").mkdir()
    (tmp_path / "other.onnx").write_bytes(b"x")
    assert available_models(tmp_path) == {}
