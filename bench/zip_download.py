"""The operator's ZIP download of a 100 MiB store, as served: how much the server's memory grows.

    $ .venv/app/bin/python -m bench.zip_download [--mib 100] [--downloads 2]   # part of `make bench`

A store of `--mib` drawings' files of 1 MiB each (random bytes: the ZIP stores PNGs as they are),
all approved, served by `streamlit run app/main.py` (bench/replica.py) with an operator token.
Chromium signs in and reads the Dataset tab's one-time link; the ZIP is then fetched with
urllib, 64 KiB at a time, and checked; clicking the used link makes the page offer the next. The server's RSS is sampled every 5 ms from just before
the request to the end of the download, and its peak (VmHWM, reset through
/proc/PID/clear_refs where the kernel allows it) is compared with the RSS just before. For
comparison, the same ZIP built in memory as `st.download_button` holds it (`zip_bytes`), in a
process of its own. Target: growth under 20 MiB for the streamed download.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import zipfile
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from app.contract import OPERATOR_TOKEN_ENV
from app.dataset import DrawingStore
from app.store_index import line
from bench.browser import CHROMIUM, CHROMIUM_ARGS
from bench.replica import APP_PYTHON, replica, rss_mib

MIB = 1 << 20
TOKEN = "operator-token-for-the-zip-benchmark"
TIMEOUT_MS = 30_000


def make_store(root: Path, files: int) -> DrawingStore:
    """`files` approved drawings of 1 MiB each, indexed as the store indexes them."""
    rng = np.random.default_rng(0)
    lines = []
    for i in range(files):
        file = f"{i % 10}/20261125T{i // 3600:02d}{i // 60 % 60:02d}{i % 60:02d}.000000Z-{i:012x}.png"
        (root / file).parent.mkdir(parents=True, exist_ok=True)
        (root / file).write_bytes(rng.bytes(MIB))
        lines.append(line({"file": file, "label": i % 10, "time": "2026-11-25T09:30:00.000000Z",
                           "status": "pending", "bytes": MIB, "session": "bench-visitor"}))
        lines.append(line({"approved": file, "time": "2026-11-25T09:31:00.000000Z"}))
    (root / "index.jsonl").write_bytes(b"".join(lines))
    return DrawingStore(root)


@contextmanager
def operator_page(url: str):
    """Chromium signed in as the operator, on the Dataset tab; yields its ZIP link (a locator)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page()
            page.set_default_timeout(TIMEOUT_MS)
            page.goto(url)
            page.locator("canvas.upper-canvas").wait_for()
            page.get_by_text("Operator", exact=True).click()
            page.get_by_label("Operator token").fill(TOKEN)
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.get_by_role("tab", name="Dataset", exact=True).click()
            yield page.get_by_role("link", name="Download approved (ZIP)")
        finally:
            browser.close()


def renew(link, used: str) -> None:
    """Click the used link, as the operator would for a second download: its tab says the link
    is gone, and the page offers a new one."""
    from playwright.sync_api import expect

    with link.page.context.expect_page() as tab:
        link.click()
    tab.value.close()
    expect(link).not_to_have_attribute("href", used)


def clear_peak(pid: int) -> bool:
    """Reset the process's VmHWM to its current RSS (Linux 4.0+, as root or the same user)."""
    try:
        Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_mib(pid: int) -> float:
    for text in Path(f"/proc/{pid}/status").read_text().splitlines():
        if text.startswith("VmHWM:"):
            return int(text.split()[1]) / 1024
    raise RuntimeError(f"no VmHWM for process {pid}")


def measured_download(pid: int, url: str, destination: Path) -> dict:
    """Fetch `url` into `destination` while sampling the server's RSS."""
    samples, done = [], threading.Event()

    def sample():
        while not done.is_set():
            samples.append(rss_mib(pid))
            time.sleep(0.005)

    before = rss_mib(pid)
    hwm = clear_peak(pid)
    sampler = threading.Thread(target=sample)
    sampler.start()
    started = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=120) as answer, open(destination, "wb") as out:
            status = answer.status
            while chunk := answer.read(1 << 16):
                out.write(chunk)
    finally:
        done.set()
        sampler.join()
    seconds = time.monotonic() - started
    peak = max([*samples, peak_mib(pid)] if hwm else samples)
    return {"status": status, "bytes": destination.stat().st_size, "seconds": round(seconds, 2),
            "rss_before_mib": round(before, 1), "rss_peak_mib": round(peak, 1),
            "growth_mib": round(peak - before, 1), "peak_from": "VmHWM and samples" if hwm else "samples",
            "samples": len(samples)}


def in_memory_growth(root: Path) -> float:
    """Peak RSS growth, MiB, of building the same ZIP as one bytes object, in a new process."""
    code = (
        "import sys; from pathlib import Path; from app.dataset import DrawingStore\n"
        "def hwm(): return next(int(l.split()[1]) for l in Path('/proc/self/status').read_text().splitlines() if l.startswith('VmHWM:'))\n"
        "store = DrawingStore(sys.argv[1]); before = hwm(); data = store.zip_bytes(status='approved')\n"
        "print((hwm() - before) / 1024)\n"
    )
    result = subprocess.run([str(APP_PYTHON), "-c", code, str(root)], capture_output=True, text=True, check=True,
                            cwd=Path(__file__).resolve().parents[1])
    return round(float(result.stdout.strip()), 1)


def main(argv=None) -> dict:
    p = argparse.ArgumentParser(prog="python -m bench.zip_download", description=__doc__.split("\n")[0])
    p.add_argument("--mib", type=int, default=100, help="size of the store, MiB (default 100)")
    p.add_argument("--downloads", type=int, default=2, help="downloads, one after the other (default 2)")
    args = p.parse_args(argv)
    if CHROMIUM is None:
        raise SystemExit("Chromium not found at /usr/bin/chromium or on PATH (apt-get install chromium)")
    with tempfile.TemporaryDirectory(prefix="zip-bench-") as work:
        root, received = Path(work) / "store", Path(work) / "received.zip"
        root.mkdir()
        make_store(root, args.mib)
        store_mib = sum(f.stat().st_size for f in root.rglob("*") if f.is_file()) / MIB
        runs = []
        with replica(str(root), env={OPERATOR_TOKEN_ENV: TOKEN}) as server:
            pid = server.process.pid
            with operator_page(server.url) as link:
                for _ in range(args.downloads):
                    href = link.get_attribute("href")
                    run = measured_download(pid, f"{server.url}/{href}", received)
                    renew(link, href)
                    with zipfile.ZipFile(received) as archive:
                        run["drawings"] = len(archive.namelist()) - 1
                        run["valid"] = archive.testzip() is None
                    runs.append(run)
                    print(json.dumps(run), flush=True)
            left = [f.name for f in root.iterdir() if f.name.startswith(".")]
            # An unnamed temporary file shows as "<folder>/#<inode> (deleted)".
            open_in_store = [t for t in _fd_targets(pid) if t.startswith(str(root)) and t.endswith("(deleted)")]
        results = {
            "store_mib": round(store_mib, 1), "downloads": runs,
            "streamed_growth_mib": max(r["growth_mib"] for r in runs),
            "in_memory_growth_mib": in_memory_growth(root),
            "temp_files_left": left, "temp_files_still_open": open_in_store,
        }
    print(json.dumps({k: v for k, v in results.items() if k != "downloads"}, indent=2))
    return results


def _fd_targets(pid: int) -> list[str]:
    targets = []
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        try:
            targets.append(str(fd.readlink()))
        except OSError:
            continue
    return targets


if __name__ == "__main__":
    main()
    sys.exit(0)
