"""The container image, built and run: `bash deploy/image.sh` (= `make image`) must pass.

Builds `digit-recognizer` with podman (the first run on a machine also builds the stand-in base
image, a few minutes), runs it, and checks what the script reports: Streamlit healthy, digits
recognised by the CLI inside the container, no TensorFlow, not root, app layers within 600 MB, and
the Deployment asking for at least the memory the server was seen to use. Skipped, with the
reason, where podman is missing or does not work.
"""

import json
import os
import shutil
import signal
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TIMEOUT = 40 * 60  # seconds: base image + pip install on a fresh 2-core machine
MAX_APP_LAYERS = 600_000_000  # bytes: the image minus its base (the target)
PODMAN_CONF = '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n'


def podman_problem() -> str | None:
    """Why podman cannot build here, or None when it can (the settings deploy/image.sh uses)."""
    if shutil.which("podman") is None:
        return "podman is not installed: no container engine to build the image with (apt-get install podman runc debootstrap)"
    conf = ROOT / ".cache" / "podman" / "containers.conf"
    conf.parent.mkdir(parents=True, exist_ok=True)
    conf.write_text(PODMAN_CONF)
    try:
        info = subprocess.run(
            ["podman", "--runtime", "runc", "--cgroup-manager=cgroupfs", "info"],
            env={**os.environ, "CONTAINERS_CONF": str(conf)},
            capture_output=True,
            text=True,
            timeout=60,
        )
    except subprocess.TimeoutExpired:
        return "podman is installed but `podman info` did not answer within 60 s"
    if info.returncode != 0:
        return f"podman is installed but does not work here: {info.stderr.strip()[-300:]}"
    return None


PODMAN_PROBLEM = podman_problem()
pytestmark = pytest.mark.skipif(PODMAN_PROBLEM is not None, reason=str(PODMAN_PROBLEM))


def run_script(env: dict) -> subprocess.CompletedProcess:
    """deploy/image.sh in its own process group, so a timeout stops podman too, not only bash."""
    process = subprocess.Popen(
        ["bash", str(ROOT / "deploy" / "image.sh")],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    try:
        out, err = process.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # TERM first: the script's trap removes its container; then nothing is left running.
        os.killpg(process.pid, signal.SIGTERM)
        try:
            out, err = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            out, err = process.communicate()
        pytest.fail(f"deploy/image.sh did not finish within {TIMEOUT} s:\n{out[-3000:]}\n{err[-3000:]}")
    return subprocess.CompletedProcess(process.args, process.returncode, out, err)


@pytest.fixture(scope="module")
def smoke(tmp_path_factory):
    """The JSON report of one full run of deploy/image.sh."""
    report = tmp_path_factory.mktemp("image") / "report.json"
    run = run_script({**os.environ, "SMOKE_REPORT": str(report)})
    assert run.returncode == 0, f"deploy/image.sh failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert "image.sh: OK" in run.stdout
    return json.loads(report.read_text())


def test_streamlit_answers_health(smoke):
    assert smoke["health"] == "ok"


def test_cli_recognises_digits_in_the_container(smoke):
    accuracy = smoke["accuracy"]
    assert accuracy["digits"] >= 2
    assert accuracy["accuracy"] >= 0.9, accuracy["wrong"]
    drawn = [p for p in smoke["predictions"] if "/drawn-" in p["file"]]
    assert [p["digit"] for p in drawn] == [1, 0]


def test_prediction_lines_are_complete(smoke):
    for line in smoke["predictions"]:
        assert {"file", "digit", "confidence", "probabilities", "status", "message"} <= set(line)
        assert len(line["probabilities"]) == 10
        assert abs(sum(line["probabilities"]) - 1) < 1e-3


def test_tensorflow_is_not_in_the_image(smoke):
    assert "No module named 'tensorflow'" in smoke["tensorflow_import"]


def test_build_fails_when_tensorflow_is_importable(smoke):
    assert smoke["guard"].startswith("the app image must not contain ['tensorflow']")


def test_app_does_not_run_as_root(smoke):
    assert smoke["uid"] != 0


def test_app_layers_within_600_mb(smoke):
    sizes = smoke["sizes"]
    assert sizes["app"] == sizes["image"] - sizes["base"]
    assert 0 < sizes["app"] <= MAX_APP_LAYERS, f"app layers {sizes['app'] / 1e6:.0f} MB"


def mebibytes(quantity: str) -> float:
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "K": 1e3, "M": 1e6, "G": 1e9}
    for unit, factor in units.items():
        if quantity.endswith(unit):
            return float(quantity[: -len(unit)]) * factor / 2**20
    return float(quantity) / 2**20


def test_page_reads_a_drawn_one(smoke):
    if smoke["page"] is None:
        pytest.skip("the page could not be driven here (no Playwright or Chromium)")
    assert (smoke["page"]["status"], smoke["page"]["digit"]) == ("ok", "1")


def test_deployment_requests_the_memory_the_server_uses(smoke):
    if smoke["first_prediction_rss_bytes"] is None:
        pytest.skip("the page could not be driven here (no Playwright or Chromium): memory not measured")
    with open(ROOT / "deploy" / "k8s.yaml") as f:
        (deployment,) = [d for d in yaml.safe_load_all(f) if d and d["kind"] == "Deployment"]
    (container,) = deployment["spec"]["template"]["spec"]["containers"]
    resources = container["resources"]
    used = smoke["first_prediction_rss_bytes"] / 2**20
    peak = smoke["peak_rss_bytes"] / 2**20
    assert mebibytes(resources["requests"]["memory"]) >= used
    assert mebibytes(resources["limits"]["memory"]) >= 1.5 * peak
