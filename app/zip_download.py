"""The operator's ZIP download, streamed from disk: a route of the page's server (mounted by
app/main.py through Streamlit's `st.App`) that sends the store's ZIP in pieces, so server
memory stays flat whatever the store's size. (`st.download_button` would hold the whole ZIP in
Streamlit's in-memory media store.)

Only the signed-in operator's page gets a link: `link()` mints a random token that works once,
for `TOKEN_SECONDS`, in this process. Any other token, a used one or an expired one is a 404
that says nothing about the store. The ZIP is written to an unnamed temporary file beside the
store (app/store_export.py), closed, and so removed, when the download ends or the browser
goes away.

    >>> url = link(store, status="approved")    # in the operator's view: "api/export/<token>"
    >>> app = st.App("main.py", routes=routes())  # app/main.py
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import anyio
from starlette.requests import ClientDisconnect, Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from app.dataset import DrawingStore
from app.store_export import zip_file

TOKEN_SECONDS = 600.0  # how long a link works (once); the page renews it before then
MOST_LINKS = 64  # live links kept per process; the oldest goes first
AT_ONCE = 2  # ZIPs being written or sent at a time per process: each is a copy of the store on disk
CHUNK = 1 << 16
PATH = "api/export"
FILE_NAME = "digit-drawings.zip"
GONE = (
    "This download link is not valid: a link works once, for a few minutes, and only for the "
    "operator. Go back to the page's Dataset tab for a new one."
)
BUSY = "Two downloads of the drawings are already under way on this server; try again in a minute."
NO_ROOM = (
    "The ZIP could not be written on the server (is the disk beside the store full?). "
    "`python -m app.dataset export drawings.zip` on the server writes it elsewhere."
)
# No cache, no referrer, no sniffing: the response is the operator's and no one else's.
PRIVATE = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer", "X-Content-Type-Options": "nosniff"}


@dataclass(frozen=True)
class Grant:
    """What one token lets its holder download, until `expires` (time.monotonic)."""

    root: Path
    status: str | None
    expires: float


class Links:
    """The live download tokens of this process: minted for the operator's page, each taken
    once; expired ones are dropped whenever a token is minted or taken."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._grants: dict[str, Grant] = {}
        self._lock = threading.Lock()
        self.mounted = False  # set by routes(): without the route the page offers no link

    def mint(self, store: DrawingStore, status: str | None) -> str:
        token = secrets.token_urlsafe(32)
        with self._lock:
            self._drop_expired()
            while len(self._grants) >= MOST_LINKS:
                self._grants.pop(next(iter(self._grants)))
            self._grants[token] = Grant(Path(store.root), status, self._clock() + TOKEN_SECONDS)
        return token

    def take(self, token: str) -> Grant | None:
        """The token's grant, which it no longer gives; None for an unknown or expired one."""
        with self._lock:
            self._drop_expired()
            return self._grants.pop(token, None)

    def seconds_left(self, token: str | None) -> float:
        with self._lock:
            grant = self._grants.get(token) if token else None
            return max(0.0, grant.expires - self._clock()) if grant else 0.0

    def __len__(self) -> int:
        with self._lock:
            self._drop_expired()
            return len(self._grants)

    def _drop_expired(self) -> None:
        now = self._clock()
        for token in [t for t, g in self._grants.items() if g.expires <= now]:
            del self._grants[token]


LINKS = Links()
_exports = threading.BoundedSemaphore(AT_ONCE)
log = logging.getLogger("digits.page")


def link(store: DrawingStore, status: str | None = "approved") -> str:
    """A new one-time link (relative to the page) to the ZIP of `store`'s drawings of `status`."""
    return f"{PATH}/{LINKS.mint(store, status)}"


async def download(request: Request) -> Response:
    """GET: the ZIP for a live token, streamed from a temporary file; 404 for any other."""
    if request.method != "GET":  # a HEAD would use the link up and send nothing
        return PlainTextResponse("Use GET.", status_code=405, headers={"Allow": "GET", **PRIVATE})
    grant = LINKS.take(request.path_params["token"])
    if grant is None:
        return PlainTextResponse(GONE, status_code=404, headers=PRIVATE)
    if not _exports.acquire(blocking=False):
        return PlainTextResponse(BUSY, status_code=429, headers={"Retry-After": "30", **PRIVATE})
    try:
        f = await anyio.to_thread.run_sync(zip_file, DrawingStore(grant.root), grant.status)
    except OSError as exc:
        _exports.release()
        log.warning("the ZIP download could not be written: %s", exc)
        return PlainTextResponse(NO_ROOM, status_code=503, headers=PRIVATE)
    headers = {
        "Content-Length": str(os.fstat(f.fileno()).st_size),
        "Content-Disposition": f'attachment; filename="{FILE_NAME}"', **PRIVATE,
    }
    return FileStream(f, headers)


class FileStream(StreamingResponse):
    """An open file sent in pieces of CHUNK bytes and closed when the response ends, however."""

    def __init__(self, f, headers: dict[str, str]) -> None:
        self.file = f
        super().__init__(self._pieces(), media_type="application/zip", headers=headers)

    async def _pieces(self):
        while chunk := await anyio.to_thread.run_sync(self.file.read, CHUNK):
            yield chunk

    async def __call__(self, scope, receive, send) -> None:
        try:
            await super().__call__(scope, receive, send)
        except ClientDisconnect:
            pass  # the browser went away mid-download: nothing to answer, nothing to log
        finally:
            self.close()

    def close(self) -> None:
        """Close (and so remove) the temporary ZIP, once; another export may then start."""
        if not self.file.closed:
            self.file.close()
            _exports.release()


def routes(base_url: str = "") -> list[Route]:
    """The download route, under the server's base URL path (server.baseUrlPath)."""
    LINKS.mounted = True
    prefix = "/" + base_url.strip("/") if base_url.strip("/") else ""
    return [Route(f"{prefix}/{PATH}/{{token}}", download, methods=["GET", "HEAD"])]
