"""One browser tab's conversation with a Streamlit server, over Streamlit's own protocol.

The browser fetches `/_stcore/health` (which sets the XSRF cookie), opens the websocket
`/_stcore/stream` (subprotocols: "streamlit", the XSRF token and, when it reconnects, its old
session id), and sends `BackMsg` protobufs: a `rerun_script` with every widget's state after
each interaction (with the fragment's id when a widget inside an `st.fragment` changed), a
`file_urls_request` before an upload. The server answers with `ForwardMsg`s: `new_session`,
one `delta` per element, `script_finished`. The classes are the ones inside the installed
streamlit package; the websocket client is `websockets`; plain HTTP (health, the upload's PUT)
goes through `requests`, bound to the same local address so a proxy that pins clients by
address sends both to one replica.

    >>> tab = Tab("http://127.0.0.1:8501", local_host="127.0.0.3")
    >>> await tab.open()                   # the first run of the page
    >>> run = await tab.rerun({"canvas-0": json_value}, fragment="canvas-0")
    >>> run.html("digit-result")           # the result card's HTML in that run
"""

from __future__ import annotations

import asyncio
import itertools
import re
import time
import uuid
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
import websockets
from requests.adapters import HTTPAdapter
from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState

XSRF_COOKIE = "_streamlit_xsrf"
RUN_TIMEOUT = 30.0  # seconds a run may take before it counts as failed
FINISHED = ForwardMsg.ScriptFinishedStatus
WIDGETS = ("radio", "slider", "selectbox", "button", "file_uploader", "bidi_component", "download_button")


class PageError(RuntimeError):
    """The page showed an exception or an error box, or a run did not finish."""


@dataclass
class Run:
    """What one script run sent: the elements by kind, and when the first of each arrived."""

    started: float
    elements: list[tuple[str, object, float]] = field(default_factory=list)  # (kind, proto, arrival)
    status: int | None = None
    finished: float | None = None

    def html(self, css_class: str) -> tuple[str, float] | None:
        """The first `st.html` body with `css_class` in this run, and when it arrived."""
        for kind, element, at in self.elements:
            if kind == "html" and f'class="{css_class}"' in element.body:
                return element.body, at
        return None

    def problems(self) -> list[str]:
        """Exceptions and error boxes the page showed in this run."""
        found = []
        for kind, element, _ in self.elements:
            if kind == "exception":
                found.append(f"exception: {element.type}: {element.message}")
            elif kind == "alert" and element.format == element.ERROR:
                found.append(f"error: {element.body}")
        return found


def attribute(html: str, name: str) -> str | None:
    match = re.search(rf'{name}="([^"]*)"', html)
    return match.group(1) if match else None


class _SourceAdapter(HTTPAdapter):
    """requests through one local address (127.0.0.x), like a browser on that machine."""

    def __init__(self, host: str):
        self.host = host
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.host, 0)
        super().init_poolmanager(*args, **kwargs)


class Tab:
    """One browser tab: its cookie, websocket, session id and widget states."""

    def __init__(self, url: str, local_host: str | None = None):
        self.url = url.rstrip("/")
        self.local_host = local_host
        self.http = requests.Session()
        if local_host:
            self.http.mount("http://", _SourceAdapter(local_host))
        self.ws = None
        self.session_id: str | None = None
        self.page_hash = ""
        self.widgets: dict[str, str] = {}  # user key -> widget id, as the page last sent them
        self.drawn: dict[str, int] = {}  # user key -> when the page last drew it (a counter)
        self._sightings = itertools.count()
        self.fragment_of: dict[str, str] = {}  # widget id -> id of the fragment it belongs to
        self.states: dict[str, WidgetState] = {}  # widget id -> the state the browser holds
        self.reconnects = 0

    # ---- connection ----

    async def open(self, reconnect: bool = False) -> Run:
        """Connect (again) and run the page as a browser does on load or after a reconnect."""
        await asyncio.to_thread(self._health)
        split = urlsplit(self.url)
        scheme = "wss" if split.scheme == "https" else "ws"
        xsrf = self.http.cookies.get(XSRF_COOKIE, "")
        protocols = ["streamlit", xsrf] + ([self.session_id] if reconnect and self.session_id else [])
        cookie = "; ".join(f"{k}={v}" for k, v in self.http.cookies.items())
        self.ws = await websockets.connect(
            f"{scheme}://{split.netloc}{split.path}/_stcore/stream",
            subprotocols=protocols,
            origin=f"{split.scheme}://{split.netloc}",
            additional_headers={"Cookie": cookie} if cookie else None,
            local_addr=(self.local_host, 0) if self.local_host else None,
            max_size=None,
            open_timeout=RUN_TIMEOUT,
        )
        if reconnect:
            self.reconnects += 1
        return await self.rerun()

    def _health(self) -> None:
        response = self.http.get(f"{self.url}/_stcore/health", timeout=RUN_TIMEOUT)
        if response.status_code != 200:
            raise PageError(f"health answered {response.status_code}")

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()
            self.ws = None
        self.http.close()

    # ---- interactions ----

    async def rerun(self, values: dict[str, dict] | None = None, fragment: str | None = None, triggers=()) -> Run:
        """Set widget values (by user key: {"string_value": ...} and the like), press the
        buttons in `triggers` (by key), and run the page, or only the fragment holding the
        widget `fragment`; returns the finished run."""
        for key, value in (values or {}).items():
            widget_id = self.widgets[key]
            state = WidgetState(id=widget_id, **value)
            self.states[widget_id] = state
        message = BackMsg()
        rerun = message.rerun_script
        rerun.page_script_hash = self.page_hash
        if fragment is not None:
            rerun.fragment_id = self.fragment_of[self.widgets[fragment]]
        rerun.context_info.timezone = "UTC"
        rerun.context_info.locale = "en-US"
        rerun.context_info.url = self.url + "/"
        rerun.context_info.color_scheme = "light"
        rerun.widget_states.widgets.extend(self.states.values())
        for key in triggers:
            rerun.widget_states.widgets.append(WidgetState(id=self.widgets[key], trigger_value=True))
        return await self._run(message, fragment is not None)

    async def upload(self, key: str, name: str, data: bytes, mime: str = "image/png") -> Run:
        """Upload a file into the file uploader `key`, as the browser does: ask for URLs over
        the websocket, PUT the file (multipart, with the XSRF token), then rerun."""
        request_id = str(uuid.uuid4())
        message = BackMsg()
        message.file_urls_request.request_id = request_id
        message.file_urls_request.file_names.append(name)
        message.file_urls_request.session_id = self.session_id
        await self.ws.send(message.SerializeToString())
        response = None
        while response is None:
            msg = await self._receive(time.monotonic() + RUN_TIMEOUT)
            if msg.WhichOneof("type") == "file_urls_response" and msg.file_urls_response.response_id == request_id:
                response = msg.file_urls_response
        if response.error_msg:
            raise PageError(f"upload refused: {response.error_msg}")
        urls = response.file_urls[0]
        await asyncio.to_thread(self._put, urls.upload_url, name, data, mime)
        state = WidgetState(id=self.widgets[key])
        info = state.file_uploader_state_value.uploaded_file_info.add()
        info.name, info.size, info.file_id = name, len(data), urls.file_id
        info.file_urls.CopyFrom(urls)
        self.states[state.id] = state
        return await self.rerun()

    def _put(self, path: str, name: str, data: bytes, mime: str) -> None:
        xsrf = self.http.cookies.get(XSRF_COOKIE, "")
        response = self.http.put(
            self.url + path, files={"file": (name, data, mime)}, headers={"X-Xsrftoken": xsrf}, timeout=RUN_TIMEOUT
        )
        if response.status_code not in (200, 204):
            raise PageError(f"upload PUT answered {response.status_code}: {response.text[:200]}")

    # ---- receiving ----

    async def _run(self, message: BackMsg, fragment: bool) -> Run:
        run = Run(started=time.monotonic())
        await self.ws.send(message.SerializeToString())
        deadline = run.started + RUN_TIMEOUT
        seen: set[str] = set()
        while True:
            msg = await self._receive(deadline)
            kind = msg.WhichOneof("type")
            if kind == "new_session":
                self.session_id = msg.new_session.initialize.session_id
                self.page_hash = msg.new_session.page_script_hash
                seen.clear()
                run.elements.clear()
            elif kind == "delta":
                self._delta(msg.delta, run, seen)
            elif kind == "script_finished":
                if msg.script_finished == FINISHED.FINISHED_EARLY_FOR_RERUN:
                    continue  # st.rerun(): another run follows at once
                run.status, run.finished = msg.script_finished, time.monotonic()
                self._forget_unseen(seen, fragment)
                return run

    async def _receive(self, deadline: float) -> ForwardMsg:
        try:
            data = await asyncio.wait_for(self.ws.recv(), max(0.0, deadline - time.monotonic()))
        except TimeoutError:
            raise PageError(f"no answer within {RUN_TIMEOUT:g} s") from None
        msg = ForwardMsg()
        msg.ParseFromString(data)
        return msg

    def _delta(self, delta, run: Run, seen: set[str]) -> None:
        kind = delta.WhichOneof("type")
        if kind == "new_element":
            element = delta.new_element
            name = element.WhichOneof("type")
            proto = getattr(element, name)
            run.elements.append((name, proto, time.monotonic()))
            if name in WIDGETS:
                self._widget(name, proto, delta.fragment_id, seen)
        elif kind == "add_block" and delta.add_block.WhichOneof("type") == "tab_container":
            self._widget("tab_container", delta.add_block.tab_container, delta.fragment_id, seen)

    def _widget(self, kind: str, proto, fragment_id: str, seen: set[str]) -> None:
        widget_id = proto.id
        key = widget_id.split("-", 2)[2] if widget_id.startswith("$$ID-") else widget_id
        self.widgets[key] = widget_id
        self.drawn[key] = next(self._sightings)
        self.fragment_of[widget_id] = fragment_id
        seen.add(widget_id)
        if widget_id in self.states:
            return
        # The value the browser holds for a widget it has just drawn, before anyone touches it.
        if kind == "radio" and proto.options:
            self.states[widget_id] = WidgetState(id=widget_id, string_value=proto.options[proto.default])
        elif kind == "slider":
            state = WidgetState(id=widget_id)
            state.double_array_value.data.extend(proto.default)
            self.states[widget_id] = state
        elif kind == "selectbox":
            self.states[widget_id] = WidgetState(id=widget_id)

    def _forget_unseen(self, seen: set[str], fragment: bool) -> None:
        """Drop the states of widgets the run no longer drew (the browser does the same); a
        fragment run only speaks for its fragment's widgets."""
        fragments = {self.fragment_of.get(i) for i in seen} if fragment else None
        for widget_id in list(self.states):
            if widget_id in seen:
                continue
            if fragment and self.fragment_of.get(widget_id) not in fragments:
                continue
            del self.states[widget_id]
