"""Two strangers and the operator, in three real browser sessions against one server: a
visitor sees, downloads and deletes only their own saves; the operator sees all of them, and
downloads the approved ones' ZIP through the page's one-time link (app/zip_download.py).

The same `streamlit run` server and Chromium as tests/app/test_browser.py; skipped where
Chromium is missing.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import numpy as np
import pytest

from app.dataset import DrawingStore, Limits
from bench.browser import CHROMIUM, draw_stroke

sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
expect = sync_api.expect

TIMEOUT_MS = 20_000
TOKEN = "operator-token-for-the-browser-tests"

expect.set_options(timeout=TIMEOUT_MS)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None, reason="Chromium not found at /usr/bin/chromium or on PATH (apt-get install chromium)"
)


def zip_href(page, other_than: str | None = None) -> str:
    """The address of the page's one ZIP link, once it shows exactly one that is not `other_than`
    (while the page reruns after a click, the used link can still show beside its successor)."""
    return page.wait_for_function(
        """old => {
            const links = [...document.querySelectorAll("a")].filter(a => a.textContent.includes("Download approved (ZIP)"));
            return links.length === 1 && links[0].getAttribute("href") !== old && links[0].getAttribute("href");
        }""",
        arg=other_than,
        timeout=TIMEOUT_MS,
    ).json_value()


@pytest.fixture(scope="module")
def server(streamlit_server):
    """The page with an operator token configured: (url, drawings folder)."""
    return streamlit_server({"DIGITS_OPERATOR_TOKEN": TOKEN})


@pytest.fixture
def session(new_session, server):
    """A function that opens a new browser session (its own context: its own visitor)."""
    url, _ = server

    def open_session():
        page = new_session(url, {"width": 1280, "height": 1000}, TIMEOUT_MS)
        expect(page.locator("canvas.upper-canvas")).to_be_visible()
        return page

    return open_session


def tab(page, name):
    return page.get_by_role("tab", name=name, exact=True)


def save_a_one(page):
    draw_stroke(page, (0.5, 0.18), (0.5, 0.5), (0.5, 0.82), timeout_ms=TIMEOUT_MS)
    expect(page.locator(".digit-result")).to_have_attribute("data-digit", "1")
    expect(page.get_by_text("Saving keeps this drawing and its label on this server")).to_be_visible()
    page.get_by_role("button", name="Right?", exact=True).click()
    expect(page.get_by_text("Saved as 1")).to_be_visible()


def sign_in_as_operator(page):
    page.get_by_text("Operator", exact=True).click()
    page.get_by_label("Operator token").fill(TOKEN)
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(tab(page, "Dataset")).to_be_visible()


def test_second_visitor_cannot_see_download_or_delete_the_first_ones_saves(session, server):
    _, data_dir = server
    first = session()
    save_a_one(first)
    tab(first, "Your drawings").click()
    expect(first.get_by_text("You saved 1 drawing")).to_be_visible()
    expect(first.get_by_role("button", name="Take back")).to_have_count(1)

    second = session()
    expect(tab(second, "Dataset")).to_have_count(0)
    tab(second, "Your drawings").click()
    expect(second.get_by_text("You have saved nothing in this visit")).to_be_visible()
    expect(second.get_by_role("button", name="Take back")).to_have_count(0)
    expect(second.get_by_role("button", name="Delete")).to_have_count(0)
    expect(second.get_by_text("Download")).to_have_count(0)
    assert str(data_dir) not in second.content()  # no server path for a visitor
    assert len(DrawingStore(data_dir).examples()) == 1

    operator = session()
    sign_in_as_operator(operator)
    tab(operator, "Dataset").click()
    expect(operator.get_by_text("1 saved drawing, 1 waiting for review")).to_be_visible()
    expect(operator.get_by_role("link", name="Download approved (ZIP)")).to_be_visible()
    operator.get_by_role("button", name="Delete").click()
    expect(operator.get_by_text("0 saved drawings")).to_be_visible()
    assert DrawingStore(data_dir).examples() == []


def test_visitor_takes_back_their_own_save(session, server):
    _, data_dir = server
    page = session()
    save_a_one(page)
    tab(page, "Your drawings").click()
    page.get_by_role("button", name="Take back").click()
    expect(page.get_by_text("You have saved nothing in this visit")).to_be_visible()
    assert DrawingStore(data_dir).examples() == []


def test_wrong_operator_token_is_refused(session):
    page = session()
    page.get_by_text("Operator", exact=True).click()
    page.get_by_label("Operator token").fill("not the token at all")
    page.get_by_role("button", name="Sign in", exact=True).click()
    expect(page.get_by_text("That is not the operator's token.")).to_be_visible()
    expect(tab(page, "Dataset")).to_have_count(0)


def test_operator_downloads_the_zip_through_a_link_that_works_once(session, server):
    url, data_dir = server
    store = DrawingStore(data_dir, Limits(save_interval=0.0))
    approved = store.save(np.full((28, 28), 255, np.uint8), 4, session="visitor-z")
    store.approve([approved.file])
    store.save(np.full((28, 28), 128, np.uint8), 5, session="visitor-z")  # pending: not in the ZIP

    operator = session()
    sign_in_as_operator(operator)
    tab(operator, "Dataset").click()
    download_link = operator.get_by_role("link", name="Download approved (ZIP)")
    href = zip_href(operator)
    with operator.expect_download() as download:
        download_link.click()
    assert download.value.suggested_filename == "digit-drawings.zip"
    with zipfile.ZipFile(download.value.path()) as archive:
        assert archive.testzip() is None
        assert approved.file in archive.namelist() and "index.jsonl" in archive.namelist()
        assert archive.read(approved.file) == approved.path.read_bytes()
        assert all(not name.startswith("5/") for name in archive.namelist())
    fresh = zip_href(operator, other_than=href)  # the page offers a new link
    assert operator.request.get(f"{url}/{href}").status == 404  # the used one is gone
    assert [p.name for p in Path(data_dir).iterdir() if p.name.startswith(".export-")] == []

    visitor = session()
    expect(visitor.get_by_text("Download")).to_have_count(0)
    for tried in (href, "api/export/" + "A" * 43):
        answer = visitor.request.get(f"{url}/{tried}")
        assert answer.status == 404 and b"PK" not in answer.body()
    with zipfile.ZipFile(io.BytesIO(operator.request.get(f"{url}/{fresh}").body())) as archive:
        assert approved.file in archive.namelist()  # the operator's new link still works
