"""A simulated visitor of the page: opens a tab, draws digits stroke by stroke, now and then
switches to Upload and uploads a picture, saves a correction, and leaves.

Each stroke is the canvas report a browser sends (bench/drawing.py) in a fragment rerun, as the
page's Draw tab is an `st.fragment`; its time is from sending the report to the result card
(`.digit-result`) arriving in the run's deltas: the server's part of stroke -> answer, without
the canvas's 200 ms debounce. A visitor whose websocket drops reconnects with its session id and
widget states, as the browser does, and carries on drawing.
"""

from __future__ import annotations

import asyncio
import json
import random
import re
import time
from dataclasses import dataclass, field

import websockets

from bench.drawing import Drawing
from bench.protocol import PageError, Run, Tab, attribute

VIEWPORT = "dr-viewport"  # the page's script that reports the Draw tab's width (app/viewport.py)
VIEWPORT_WIDTH = 916  # what it reports in Chromium at 1280x1000, sidebar open
LOST = object()  # a stroke lost to a dropped connection
RECONNECT_FOR = 30.0  # seconds a visitor keeps trying to reconnect before it gives up
RECONNECT_EVERY = 0.5
UPLOAD_SHARE = 0.1  # of finished drawings, followed by a visit to Upload with a picture
SAVE_SHARE = 0.1  # of finished drawings, saved as a correction ("No, it was:"); the rest: Clear


@dataclass
class Tally:
    """What all visitors of one run did and saw."""

    latencies_ms: list[float] = field(default_factory=list)
    answers: int = 0  # strokes answered with a reading
    digits_right: int = 0  # finished drawings read as their label
    digits_wrong: int = 0
    uploads: int = 0
    uploads_right: int = 0
    saves: int = 0
    tab_switches: int = 0
    sessions: int = 0  # visitors who opened a session
    left: int = 0  # visitors who closed their tab
    errors: list[str] = field(default_factory=list)
    failed_strokes: int = 0  # strokes lost to a dropped connection
    failed_actions: int = 0  # saves, uploads, Clear lost to a dropped connection
    drawings_restarted: int = 0  # drawings begun again on a new session's empty canvas
    # (local address, stroke lost, next stroke answered or None), wall clock
    outages: list[tuple[str, float, float | None]] = field(default_factory=list)
    hosts: dict[str, set] = field(default_factory=dict)  # local address -> server session ids seen
    error_hosts: list[str] = field(default_factory=list)  # the local address of each error

    def error(self, what: str, host: str = "default") -> None:
        self.errors.append(what)
        self.error_hosts.append(host)


def latest(tab: Tab, pattern: str) -> str:
    """The key matching `pattern` of the widget the page drew last."""
    return max((k for k in tab.widgets if re.fullmatch(pattern, k)), key=tab.drawn.__getitem__)


def canvas_key(tab: Tab) -> str:
    """The canvas on the page now (`canvas-<round>-<width>x<height>`: Clear and Save make a new
    one, and so does a new session after a reconnect to another replica, starting again from
    round 0)."""
    return latest(tab, r"canvas-\d+(-\d+x\d+)?")


def uploader_key(tab: Tab) -> str:
    return latest(tab, r"upload-\d+")


def reading(run: Run, css_class: str) -> tuple[str | None, str | None, float]:
    """(status, digit, ms from the request to the card) of a run's result card."""
    found = run.html(css_class)
    if found is None:
        raise PageError(f"no {css_class} card in the run")
    html, at = found
    return attribute(html, "data-status"), attribute(html, "data-digit"), (at - run.started) * 1000


def checked(run: Run) -> Run:
    if problems := run.problems():
        raise PageError("; ".join(problems))
    return run


class Visitor:
    """One person at the page, with their own tab (and local address, when given)."""

    def __init__(self, url: str, drawings: list[Drawing], tally: Tally, rng: random.Random,
                 interval: float = 2.0, local_host: str | None = None):
        self.tab = Tab(url, local_host)
        self.drawings, self.tally, self.rng, self.interval = drawings, tally, rng, interval
        self.local_host = local_host or "default"
        self.next_stroke = time.monotonic()
        self.dropped_at: float | None = None  # wall clock of a lost stroke not yet followed by an answer

    async def visit(self, until: float, digits: int | None = None) -> None:
        """Stay until the monotonic time `until` (or until `digits` drawings are done)."""
        tally = self.tally
        try:
            await self.load_page()
            tally.sessions += 1
            self._note_session()
            done = 0
            while time.monotonic() < until and (digits is None or done < digits):
                drawing = self.rng.choice(self.drawings)
                if await self.draw(drawing, until):
                    try:
                        await self.after(drawing)
                    except (websockets.ConnectionClosed, OSError):
                        await self.reconnect(lost="action")
                done += 1
        except (PageError, OSError, websockets.ConnectionClosed) as exc:
            tally.error(f"{type(exc).__name__}: {exc}", self.local_host)
        finally:
            if self.dropped_at is not None:
                tally.outages.append((self.local_host, self.dropped_at, None))
            await self.tab.close()
            tally.left += 1

    async def load_page(self, reconnect: bool = False) -> None:
        """Open (or reopen) the page; on a first load the page's viewport script then reports
        the width of the Draw tab, as in the browser (the page lays the canvas out by it)."""
        checked(await self.tab.open(reconnect))
        if VIEWPORT in self.tab.widgets and self.tab.widgets[VIEWPORT] not in self.tab.states:
            report = json.dumps({"width": VIEWPORT_WIDTH})
            checked(await self.tab.rerun({VIEWPORT: {"json_value": report}}, fragment=VIEWPORT))

    async def draw(self, drawing: Drawing, until: float) -> bool:
        """Draw `drawing` stroke by stroke, a stroke every `interval` seconds; True when all its
        strokes were drawn and the last answer was read."""
        digit, i = None, 0
        while i < len(drawing.reports):
            await asyncio.sleep(max(0.0, self.next_stroke - time.monotonic()))
            self.next_stroke = max(self.next_stroke + self.interval, time.monotonic())
            if time.monotonic() >= until:
                return False
            session = self.tab.session_id
            digit = await self.stroke(drawing.reports[i])
            if digit is LOST:
                # Reconnected to a new session (another replica): its canvas starts empty, as in
                # the browser, so the drawing starts again; the same session keeps the canvas.
                if self.tab.session_id != session:
                    i = 0
                    self.tally.drawings_restarted += 1
                continue
            i += 1
        if digit == str(drawing.label):
            self.tally.digits_right += 1
        else:
            self.tally.digits_wrong += 1
        return True

    async def stroke(self, report: str):
        """Send one canvas report; the digit read. A dropped connection costs this stroke; the
        visitor reconnects and the next stroke carries on."""
        try:
            run = await self.tab.rerun({canvas_key(self.tab): {"json_value": report}}, fragment=canvas_key(self.tab))
        except (websockets.ConnectionClosed, OSError):
            await self.reconnect()
            return LOST
        status, digit, ms = reading(checked(run), "digit-result")
        if status not in ("ok", "uncertain"):
            raise PageError(f"a stroke was read as {status!r}")
        self.tally.latencies_ms.append(ms)
        self.tally.answers += 1
        if self.dropped_at is not None:
            self.tally.outages.append((self.local_host, self.dropped_at, time.time()))
            self.dropped_at = None
        return digit

    async def reconnect(self, lost: str = "stroke") -> None:
        """The browser's reconnect: a new websocket with the old session id, then a rerun with
        the widget states it holds."""
        if lost == "stroke":
            self.tally.failed_strokes += 1
        else:
            self.tally.failed_actions += 1
        if self.dropped_at is None:
            self.dropped_at = time.time()
        start = time.monotonic()
        while True:
            try:
                await self.load_page(reconnect=True)
                self._note_session()
                return
            except (websockets.ConnectionClosed, websockets.InvalidHandshake, OSError, PageError):
                if time.monotonic() - start > RECONNECT_FOR:
                    raise PageError(f"could not reconnect within {RECONNECT_FOR:g} s") from None
                await asyncio.sleep(RECONNECT_EVERY)

    async def after(self, drawing: Drawing) -> None:
        """Between two drawings: save a correction, or visit Upload, or press Clear."""
        roll = self.rng.random()
        if roll < SAVE_SHARE:
            await self.save(drawing)
        elif roll < SAVE_SHARE + UPLOAD_SHARE:
            await self.upload(drawing)
            checked(await self.tab.rerun(triggers=["clear"], fragment="clear"))
        else:
            checked(await self.tab.rerun(triggers=["clear"], fragment="clear"))

    async def save(self, drawing: Drawing) -> None:
        """"No, it was:" the drawing's label, then "Save correction"."""
        key = canvas_key(self.tab)
        checked(await self.tab.rerun({"draw-label": {"string_value": str(drawing.label)}}, fragment="draw-label"))
        run = checked(await self.tab.rerun(triggers=["draw-save"], fragment="draw-save"))
        if canvas_key(self.tab) == key or not any(kind == "alert" for kind, _, _ in run.elements):
            raise PageError("Save correction did not save the drawing")
        self.tally.saves += 1

    async def upload(self, drawing: Drawing) -> None:
        """Switch to Upload, upload the finished drawing as a PNG, read the answer, come back."""
        checked(await self.tab.rerun({"tab": {"string_value": "Upload"}}))
        self.tally.tab_switches += 1
        run = checked(await self.tab.upload(uploader_key(self.tab), f"digit-{drawing.label}.png", drawing.png()))
        status, digit, _ = reading(run, "upload-result")
        self.tally.uploads += 1
        self.tally.uploads_right += digit == str(drawing.label)
        checked(await self.tab.rerun({"tab": {"string_value": "Draw"}}))
        self.tally.tab_switches += 1

    def _note_session(self) -> None:
        self.tally.hosts.setdefault(self.local_host, set()).add(self.tab.session_id)
