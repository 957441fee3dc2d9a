"""The load benchmark's simulated visitors (bench/load.py) against a real `streamlit run` server.

A short run opens one session per visitor, gets every stroke answered with the digit drawn,
saves corrections into the drawings folder, uploads pictures, and ends by itself with exit
code 0; an unreachable server is reported as errors (exit code 1), not a hang; a tampered canvas
report (a decompression bomb) is refused with flat server memory. Figures (speed,
capacity) are in `make bench`, not here. About half a minute.
"""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys

import pytest

from app.contract import SAVE_INTERVAL_ENV
from bench import load, replica, visitor
from bench.browser import free_port
from bench.drawing import mnist_drawings
from tests.support.bomb import bomb_url

PROJECT_ROOT = replica.PROJECT_ROOT


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    data_dir = tmp_path_factory.mktemp("drawings")
    # These visitors draw a stroke every fraction of a second; the page allows one save a
    # second per session (app/store_limits.py), which visitors at a person's pace never meet.
    with replica.replica(str(data_dir), env={SAVE_INTERVAL_ENV: "0"}) as server:
        yield server, data_dir


@pytest.fixture(scope="module")
def drawings():
    return mnist_drawings(6)


def run_cli(*args: str) -> tuple[int, dict]:
    done = subprocess.run(
        [sys.executable, "-m", "bench.load", "--json", *args], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120
    )
    return done.returncode, json.loads(done.stdout)


def test_short_run_answers_every_stroke_and_exits_cleanly(server):
    code, result = run_cli("--url", server[0].url, "--users", "3", "--seconds", "10", "--interval", "0.5")
    assert code == 0, result["error_samples"]
    assert (result["sessions_opened"], result["visitors_left"], result["errors"]) == (3, 3, 0)
    assert result["strokes_answered"] > 6
    assert result["drawings_read_right"] > 0 and result["drawings_read_wrong"] == 0
    assert result["server_rss_mib"] > 0
    assert 0 < result["stroke_to_answer_ms"]["p50"] <= result["stroke_to_answer_ms"]["p95"] <= result["stroke_to_answer_ms"]["p99"]


def test_unreachable_server_is_reported_as_errors(server):
    code, result = run_cli("--url", f"http://127.0.0.1:{free_port()}", "--users", "2", "--seconds", "3")
    assert code == 1
    assert (result["sessions_opened"], result["errors"], result["strokes_answered"]) == (0, 2, 0)


def visits(url: str, drawings, monkeypatch, save: float, upload: float) -> visitor.Tally:
    """Three visitors who draw two digits each and leave; after each drawing they save it with
    probability `save`, else upload it with probability `upload`."""
    monkeypatch.setattr(visitor, "SAVE_SHARE", save)
    monkeypatch.setattr(visitor, "UPLOAD_SHARE", upload)
    tally, _ = asyncio.run(load.crowd(url, users=3, seconds=60, interval=0.2, visits=3, digits=2, drawings=drawings))
    assert tally.errors == []
    assert (tally.sessions, tally.left) == (3, 3)
    assert (tally.digits_right, tally.digits_wrong) == (6, 0)
    return tally


def test_visitors_save_corrections_into_the_drawings_folder(server, drawings, monkeypatch):
    url, data_dir = server[0].url, server[1]
    before = len(list(data_dir.glob("*/*.png")))
    tally = visits(url, drawings, monkeypatch, save=1.0, upload=0.0)
    assert tally.saves == 6
    assert len(list(data_dir.glob("*/*.png"))) - before == 6


def test_visitors_upload_pictures_and_get_them_read(server, drawings, monkeypatch):
    tally = visits(server[0].url, drawings, monkeypatch, save=0.0, upload=1.0)
    assert (tally.uploads, tally.uploads_right, tally.tab_switches) == (6, 6, 12)


@pytest.mark.parametrize("q, expected", [(0, 1), (50, 3), (95, 5), (99, 5), (100, 5)])
def test_percentile_nearest_rank(q, expected):
    assert load.percentile([5, 1, 4, 2, 3], q) == expected


def test_percentile_of_nothing():
    assert load.percentile([], 50) is None


def _peak_mib(pid: int) -> float:
    """The process's peak resident memory so far (VmHWM), MiB."""
    for line in open(f"/proc/{pid}/status"):
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def test_a_tampered_canvas_is_refused_by_the_running_server_with_flat_memory(server, drawings):
    """The attack on a running server: a canvas report whose picture is a 10000x9990 PNG. The
    page says the drawing could not be read, shows no error, keeps answering the next stroke,
    and the server's peak memory grows by less than 50 MiB."""
    from bench.protocol import Tab

    app_server, _ = server
    stroke = json.loads(drawings[0].reports[0])
    tampered = json.dumps({"drawing": {"raw": stroke["drawing"]["raw"], "data": bomb_url()}}, separators=(",", ":"))

    async def attack():
        tab = Tab(app_server.url)
        await tab.open()
        await tab.rerun({visitor.canvas_key(tab): {"json_value": drawings[0].reports[0]}}, fragment=visitor.canvas_key(tab))
        before = _peak_mib(app_server.process.pid)  # with the page, the model and a reading in memory
        key = visitor.canvas_key(tab)
        refused = await tab.rerun({key: {"json_value": tampered}}, fragment=key)
        growth = _peak_mib(app_server.process.pid) - before
        honest = await tab.rerun({visitor.canvas_key(tab): {"json_value": drawings[1].reports[0]}}, fragment=visitor.canvas_key(tab))
        await tab.close()
        return growth, refused, honest

    growth, refused, honest = asyncio.run(attack())
    assert growth < 50
    texts = [getattr(element, "body", "") for _, element, _ in refused.elements]
    assert any("could not be read" in text for text in texts) and not refused.problems()
    assert honest.html("digit-result") is not None and not honest.problems()
