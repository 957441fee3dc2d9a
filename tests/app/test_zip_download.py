"""The operator's streamed ZIP download (app/zip_download.py): the page's one-time link gives the
approved drawings' ZIP, once; any other token gives a 404 and nothing of the store; the
temporary ZIP is gone when the download ends, however it ends.

The route is driven as the server drives it (ASGI), without a network; the real server and
browser are tests/app/test_browser_privacy.py.
"""

import asyncio
import io
import os
import zipfile

import numpy as np
import pytest
from starlette.applications import Starlette
from starlette.requests import Request

from app import store_export, zip_download
from app.dataset import DrawingStore, Limits
from app.zip_download import AT_ONCE, BUSY, GONE, MOST_LINKS, NO_ROOM, TOKEN_SECONDS, Links, link, routes


class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """A fresh set of links for each test, on a clock the test moves."""
    clock = Clock()
    monkeypatch.setattr(zip_download, "LINKS", Links(clock))
    return clock


@pytest.fixture
def store(tmp_path):
    """Three saved drawings, two of them approved."""
    store = DrawingStore(tmp_path / "store", Limits(save_interval=0.0))
    saved = [store.save(np.full((28, 28), 60 * i, np.uint8), i, session="visitor-a") for i in range(1, 4)]
    store.approve([saved[0].file, saved[2].file])
    return store


def request_scope(url: str, method: str = "GET") -> dict:
    return {
        "type": "http", "asgi": {"version": "3.0", "spec_version": "2.4"}, "http_version": "1.1",
        "method": method, "scheme": "http", "path": "/" + url, "raw_path": ("/" + url).encode(),
        "query_string": b"", "root_path": "", "headers": [(b"host", b"127.0.0.1")],
        "client": ("127.0.0.1", 5000), "server": ("127.0.0.1", 8501),
    }


def get(url: str, method: str = "GET", stop_after: int | None = None):
    """(status, headers, body) of `method url` against the download route; with `stop_after`,
    the browser goes away after that many pieces of the body."""
    server = Starlette(routes=routes())
    sent, pieces = [], 0
    scope = request_scope(url, method)

    async def receive():
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message):
        nonlocal pieces
        if message["type"] == "http.response.body" and message.get("body"):
            pieces += 1
            if stop_after is not None and pieces > stop_after:
                raise OSError("the browser went away")
        sent.append(message)

    asyncio.run(server(scope, receive, send))
    start = sent[0]
    headers = {k.decode(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, b"".join(m.get("body", b"") for m in sent[1:])


def open_files_under(folder) -> list[str]:
    """Files of this process still open in `folder` (an unnamed temporary file included)."""
    found = []
    for fd in os.listdir("/proc/self/fd"):
        try:
            target = os.readlink(f"/proc/self/fd/{fd}")
        except OSError:
            continue
        if target.startswith(str(folder)):
            found.append(target)
    return found


def test_link_downloads_the_approved_drawings_zip(clock, store):
    status, headers, body = get(link(store))
    assert status == 200
    assert headers["content-type"] == "application/zip"
    assert headers["content-disposition"] == 'attachment; filename="digit-drawings.zip"'
    assert headers["cache-control"] == "no-store" and int(headers["content-length"]) == len(body)
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert archive.testzip() is None
        approved = store.examples(status="approved")
        assert sorted(archive.namelist()) == sorted([e.file for e in approved] + ["index.jsonl"])
        assert archive.read(approved[0].file) == approved[0].path.read_bytes()


def test_link_of_all_drawings(clock, store):
    _, _, body = get(link(store, status=None))
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        assert len(archive.namelist()) == 3 + 1


def test_link_works_once(clock, store):
    url = link(store)
    assert get(url)[0] == 200
    status, headers, body = get(url)
    assert (status, body.decode()) == (404, GONE)
    assert headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    "url",
    [
        "api/export/guessed-token-of-the-right-length-0123456789ab",
        "api/export/x",
        "api/export/..%2F..%2Findex.jsonl",
    ],
)
def test_other_tokens_get_nothing(clock, store, url):
    link(store)  # a live link exists, but not this one
    status, _, body = get(url)
    assert status == 404
    assert body.decode() == GONE and str(store.root) not in body.decode()


def test_expired_link_gets_nothing(clock, store):
    url = link(store)
    clock.now += TOKEN_SECONDS + 1
    assert get(url)[0] == 404
    assert len(zip_download.LINKS) == 0  # dropped, not kept


def test_link_still_works_just_before_it_expires(clock, store):
    url = link(store)
    clock.now += TOKEN_SECONDS - 1
    assert get(url)[0] == 200


def test_head_does_not_use_the_link_up(clock, store):
    url = link(store)
    assert get(url, method="HEAD")[0] == 405
    assert get(url)[0] == 200


def test_tokens_are_unguessable_and_distinct(clock, store):
    tokens = {link(store).rpartition("/")[2] for _ in range(20)}
    assert len(tokens) == 20 and all(len(t) >= 43 for t in tokens)  # 32 random bytes each


def test_live_links_are_bounded(clock, store):
    first = link(store)
    for _ in range(MOST_LINKS + 10):
        link(store)
    assert len(zip_download.LINKS) == MOST_LINKS
    assert get(first)[0] == 404  # the oldest went first


def test_temporary_zip_is_gone_after_the_download(clock, store):
    get(link(store))
    assert open_files_under(store.root) == []
    assert sorted(p.name for p in store.root.iterdir() if p.name.startswith(".")) == []


def test_temporary_zip_is_gone_when_the_browser_goes_away(clock, store, tmp_path):
    # Big enough to take many pieces: 40 approved drawings' PNGs of noise.
    rng = np.random.default_rng(0)
    saved = [store.save(rng.integers(0, 255, (280, 280), np.uint8), 4, session="visitor-b") for _ in range(40)]
    store.approve([e.file for e in saved])
    status, headers, body = get(link(store), stop_after=2)
    assert status == 200 and len(body) < int(headers["content-length"])
    assert open_files_under(store.root) == []


def started(url: str):
    """The response to `url` as the route makes it, before any of it is sent (a download that
    has its ZIP written and has not finished)."""
    scope = {**request_scope(url), "path_params": {"token": url.rpartition("/")[2]}}
    return asyncio.run(zip_download.download(Request(scope)))


def test_at_most_two_downloads_at_once(clock, store):
    under_way = [started(link(store)) for _ in range(AT_ONCE)]
    status, _, body = get(link(store))
    assert (status, body.decode()) == (429, BUSY)
    under_way[0].close()
    assert get(link(store))[0] == 200
    under_way[1].close()
    assert open_files_under(store.root) == []


def test_full_disk_says_so_and_the_next_link_works(clock, store, monkeypatch):
    def full(store, status):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(zip_download, "zip_file", full)
    status, _, body = get(link(store))
    assert (status, body.decode()) == (503, NO_ROOM) and str(store.root) not in body.decode()
    monkeypatch.setattr(zip_download, "zip_file", store_export.zip_file)  # room again
    for _ in range(AT_ONCE + 1):  # nothing was left holding a place
        assert get(link(store))[0] == 200


@pytest.mark.parametrize(
    ("base_url", "path"),
    [("", "/api/export/{token}"), ("digits", "/digits/api/export/{token}"), ("/digits/", "/digits/api/export/{token}")],
)
def test_route_is_under_the_base_url(clock, base_url, path):
    [route] = routes(base_url)
    assert route.path == path
