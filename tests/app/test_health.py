"""The readiness probe: `python -m app.health` fails when no model loads or the drawings folder
cannot be written, and passes otherwise."""

import subprocess
import sys
from pathlib import Path

import pytest

from app.contract import DEFAULT_MODEL, PROJECT_ROOT

FIXTURES = Path(__file__).resolve().parent / "fixtures"


def probe(tmp_path, model, data):
    env = {"PATH": "/usr/bin:/bin", "DIGITS_MODEL": str(model), "DIGITS_DATA_DIR": str(data)}
    return subprocess.run(
        [sys.executable, "-m", "app.health"], cwd=PROJECT_ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason="no exported model (make export)")
def test_ready(tmp_path):
    done = probe(tmp_path, DEFAULT_MODEL, tmp_path / "data")
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("ready: model ") and f"{tmp_path / 'data'} writable" in done.stdout
    assert list((tmp_path / "data").iterdir()) == []  # the probe's test file is gone


@pytest.mark.parametrize(
    ("model", "message"),
    [
        ("missing.onnx", "no model loads from"),
        (FIXTURES / "wrong_output.onnx", "no model loads from"),
        ("not-onnx", "no model loads from"),
    ],
)
def test_not_ready_without_a_model(tmp_path, model, message):
    if model == "not-onnx":
        model = tmp_path / "half-written.onnx"
        model.write_bytes(b"\x08\x07 half a file")
    elif isinstance(model, str):
        model = tmp_path / model
    done = probe(tmp_path, model, tmp_path / "data")
    assert done.returncode == 1
    assert done.stderr.startswith("not ready: ") and message in done.stderr


@pytest.mark.skipif(not DEFAULT_MODEL.is_file(), reason="no exported model (make export)")
def test_not_ready_when_the_drawings_folder_cannot_be_written(tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    done = probe(tmp_path, DEFAULT_MODEL, blocker / "drawings")
    assert done.returncode == 1
    assert f"the drawings folder {blocker / 'drawings'} is not writable" in done.stderr
