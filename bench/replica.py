"""One app server (`streamlit run app/main.py` in the app environment) for the load benchmarks:
on a loopback address and port, optionally pinned to CPUs with `taskset`, with its own or a
shared drawings folder; and what it holds in memory.

    >>> with replica(data_dir, cpus="0") as server:
    ...     server.url, server.rss_mib()
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from app.contract import DATA_ENV, PROJECT_ROOT
from bench.browser import free_port, healthy, stop

APP_PYTHON = PROJECT_ROOT / ".venv" / "app" / "bin" / "python"
START_TIMEOUT = 60.0


@dataclass
class Server:
    url: str
    process: subprocess.Popen
    log: Path

    def rss_mib(self) -> float:
        return rss_mib(self.process.pid)

    def cpu_seconds(self) -> float:
        return cpu_seconds(self.process.pid)

    def alive(self) -> bool:
        return self.process.poll() is None


def rss_mib(pid: int) -> float:
    """Resident memory (VmRSS) of process `pid`, MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError(f"no VmRSS for process {pid}")


def cpu_seconds(pid: int) -> float:
    """CPU time (user + system) process `pid` has used so far, seconds."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def start(data_dir: str, host: str = "127.0.0.1", port: int | None = None, cpus: str | None = None,
          log_dir: str | None = None, extra: tuple[str, ...] = (), env: dict[str, str] | None = None) -> Server:
    """Start a server (with `env` added to its environment) and wait until its health check answers."""
    port = port or free_port()
    command = [
        str(APP_PYTHON), "-m", "streamlit", "run", "app/main.py",
        "--server.address", host, "--server.port", str(port),
        "--server.headless", "true", "--browser.gatherUsageStats", "false",
        "--server.fileWatcherType", "none", *extra,
    ]
    if cpus is not None and shutil.which("taskset"):
        command = ["taskset", "-c", cpus, *command]
    log = Path(tempfile.mkstemp(prefix=f"app-{port}-", suffix=".log", dir=log_dir)[1])
    with open(log, "wb") as out:
        process = subprocess.Popen(command, cwd=PROJECT_ROOT, env=dict(os.environ, **(env or {}), **{DATA_ENV: data_dir}),
                                   stdout=out, stderr=subprocess.STDOUT)
    server = Server(f"http://{host}:{port}", process, log)
    started = time.monotonic()
    while not healthy(server.url):
        if process.poll() is not None or time.monotonic() - started > START_TIMEOUT:
            stop(process)
            raise RuntimeError(f"the app did not start:\n{log.read_text(errors='replace')[-2000:]}")
        time.sleep(0.1)
    return server


@contextmanager
def replica(data_dir: str, **options):
    server = start(data_dir, **options)
    try:
        yield server
    finally:
        stop(server.process)
        server.log.unlink(missing_ok=True)


def pid_listening(port: int) -> int | None:
    """The process that listens on TCP `port` (from /proc), or None if it cannot be seen."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            fields = line.split()
            if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                inodes.add(fields[9])
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
                if target.startswith("socket:[") and target[8:-1] in inodes:
                    return int(pid)
        except OSError:
            continue
    return None
