"""Debian's nginx in front of app replicas, with the README's configuration (sticky by `ip_hash`,
websocket upgrades passed through), on loopback, as an ordinary process of ours.

    >>> with nginx(["127.0.0.1:8601", "127.0.0.1:8602"]) as proxy:
    ...     proxy.url, proxy.upstreams_by_client()

Its access log records, for every request, the client's address, the replica that served it,
and when the request started and ended, so that a benchmark can tell who was pinned where.
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

from bench.browser import free_port, stop

NGINX = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
LOG_FIELDS = ("client", "upstream", "status", "started", "ended", "request")

# The README's "Several replicas: sticky sessions" block, with loopback addresses.
SITE = """
upstream digits {{
    ip_hash;                       # sticky: one client address, one replica
{servers}
}}
map $http_upgrade $connection_upgrade {{ default upgrade; '' close; }}
server {{
    listen {listen};
    client_max_body_size 10m;      # the page accepts uploads up to 10 MB
    location / {{
        proxy_pass http://digits;
        proxy_http_version 1.1;    # websockets need HTTP/1.1 and the Upgrade headers
        proxy_set_header Upgrade $http_upgrade;
        proxy_set_header Connection $connection_upgrade;
        proxy_set_header Host $host;
        proxy_read_timeout 1h;     # an idle session keeps its websocket open
    }}
}}
"""

# What nginx needs around it to run unprivileged-style from a temporary folder.
MAIN = """
{user}
worker_processes 1;
pid {prefix}/nginx.pid;
error_log {prefix}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    log_format digits '$remote_addr\\t$upstream_addr\\t$status\\t$request_time\\t$msec\\t$request';
    access_log {prefix}/access.log digits;
    client_body_temp_path {prefix}/body;
    proxy_temp_path {prefix}/proxy;
    fastcgi_temp_path {prefix}/fastcgi;
    uwsgi_temp_path {prefix}/uwsgi;
    scgi_temp_path {prefix}/scgi;
{site}
}}
"""


def config(upstreams: list[str], listen: str, prefix: str) -> str:
    servers = "\n".join(f"    server {u};" for u in upstreams)
    site = SITE.format(servers=servers, listen=listen)
    user = "user root;" if os.geteuid() == 0 else ""  # workers can then use this temporary folder
    return MAIN.format(user=user, prefix=prefix, site=site)


@dataclass
class Proxy:
    url: str
    process: subprocess.Popen
    prefix: Path

    def log(self) -> list[dict]:
        """The access log: one dict per request (client, upstream, status, started, ended, request)."""
        rows = []
        path = self.prefix / "access.log"
        if not path.exists():
            return rows
        for line in path.read_text().splitlines():
            client, upstream, status, took, ended, request = line.split("\t", 5)
            rows.append({"client": client, "upstream": upstream, "status": status,
                         "started": float(ended) - float(took), "ended": float(ended), "request": request})
        return rows

    def upstreams_by_client(self, before: float | None = None) -> dict[str, set[str]]:
        """Client address -> the replicas that served its requests (started before `before`)."""
        found: dict[str, set[str]] = {}
        for row in self.log():
            if before is None or row["started"] < before:
                # "a, b" when nginx had to try a second replica (the first one refused).
                found.setdefault(row["client"], set()).add(row["upstream"].split(",")[-1].strip())
        return found


def unavailable() -> str | None:
    """Why nginx cannot run here (None when it can)."""
    if NGINX is None:
        return "nginx is not installed (apt-get install -y nginx)"
    done = subprocess.run([NGINX, "-v"], capture_output=True, text=True)
    if done.returncode != 0:
        return f"nginx does not run: {done.stderr.strip()[:200]}"
    return None


@contextmanager
def nginx(upstreams: list[str], host: str = "127.0.0.1", port: int | None = None):
    """nginx in the foreground on host:port in front of `upstreams` ("host:port" each)."""
    port = port or free_port()
    prefix = Path(tempfile.mkdtemp(prefix="nginx-"))
    conf = prefix / "nginx.conf"
    conf.write_text(config(upstreams, f"{host}:{port}", str(prefix)))
    check = subprocess.run([NGINX, "-t", "-c", str(conf), "-p", str(prefix)], capture_output=True, text=True)
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused its configuration:\n{check.stderr}")
    process = subprocess.Popen([NGINX, "-c", str(conf), "-p", str(prefix), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=open(prefix / "stderr.log", "wb"))
    url = f"http://{host}:{port}"
    try:
        _wait_listening(host, port, process, prefix)
        yield Proxy(url, process, prefix)
    finally:
        stop(process)
        shutil.rmtree(prefix, ignore_errors=True)


def _wait_listening(host: str, port: int, process: subprocess.Popen, prefix: Path, timeout: float = 10.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {(prefix / 'stderr.log').read_text()[-1000:]}")
        with socket.socket() as s:
            if s.connect_ex((host, port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nginx did not listen on {host}:{port} within {timeout:g} s")
