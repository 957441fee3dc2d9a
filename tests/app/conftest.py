import base64
import contextlib
import io
import sys
import types
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"


@pytest.fixture(scope="session")
def mnist_digits():
    """500 MNIST test digits (uint8 28x28, white on black) and their labels."""
    with np.load(FIXTURES / "mnist_test_500.npz") as z:
        return z["x"], z["y"]


@pytest.fixture(scope="module")
def recognizer():
    """The committed model (whatever its version), loaded once per module."""
    from app.recognizer import Recognizer

    return Recognizer.load()


class Photos:
    """Photos of paper, as a phone camera takes them: uneven light, paper grain, sensor noise,
    sometimes dust, JPEG-compressed. `blank(seed)` has nothing written on it; `digit(d, contrast,
    seed)` has the 28x28 digit `d` on it, its ink `contrast` darker than the paper (0.15: faint
    pencil)."""

    SIZE = (480, 640)

    def blank(self, seed: int, quality: int = 75):
        return self._jpeg(self._paper(seed), quality)

    def digit(self, digit: np.ndarray, contrast: float, seed: int = 0, quality: int = 80):
        from PIL import Image

        h, w = self.SIZE
        side = int(0.5 * h)
        ink = np.asarray(Image.fromarray(digit).resize((side, side), Image.Resampling.BILINEAR), np.float32) / 255
        full = np.zeros(self.SIZE, np.float32)
        top, left = (h - side) // 2, (w - side) // 2 + (seed % 5 - 2) * 30
        full[top : top + side, left : left + side] = ink
        return self._jpeg(self._paper(seed) * (1 - contrast * full), quality)

    def _paper(self, seed: int) -> np.ndarray:
        from PIL import Image, ImageFilter

        rng = np.random.default_rng(seed)
        h, w = self.SIZE
        yy, xx = np.mgrid[0:h, 0:w] / max(h, w)
        light = rng.uniform(0.55, 0.9) + rng.uniform(-0.2, 0.2) * xx + rng.uniform(-0.15, 0.15) * yy
        noise = rng.normal(128, 40, self.SIZE).clip(0, 255).astype(np.uint8)
        grain = np.asarray(Image.fromarray(noise).filter(ImageFilter.GaussianBlur(rng.uniform(0.8, 3))), np.float32)
        paper = light * (1 + rng.uniform(0.05, 0.25) * (grain / 255 - 0.5))
        paper += rng.normal(0, rng.uniform(0.005, 0.04), self.SIZE)
        if seed % 3 == 0:  # dust
            for _ in range(int(rng.integers(3, 15))):
                y, x, r = int(rng.integers(0, h)), int(rng.integers(0, w)), int(rng.integers(1, 3))
                paper[max(0, y - r) : y + r, max(0, x - r) : x + r] *= rng.uniform(0.5, 0.85)
        return paper

    @staticmethod
    def _jpeg(picture: np.ndarray, quality: int):
        import io

        from PIL import Image

        buffer = io.BytesIO()
        Image.fromarray(np.rint(picture.clip(0, 1) * 255).astype(np.uint8)).convert("RGB").save(
            buffer, "JPEG", quality=quality
        )
        return Image.open(io.BytesIO(buffer.getvalue()))


@pytest.fixture(scope="session")
def photos():
    return Photos()


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium through Playwright, one per test module; skipped where it cannot start."""
    from bench.browser import CHROMIUM, CHROMIUM_ARGS

    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright is not installed")
    if CHROMIUM is None:
        pytest.skip("Chromium not found at /usr/bin/chromium or on PATH (apt-get install chromium)")
    with sync_api.sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        except Exception as exc:  # Playwright raises its own Error for a browser that will not start
            pytest.skip(f"Playwright cannot launch {CHROMIUM}: {str(exc).splitlines()[0]}")
        yield browser
        browser.close()


START_TIMEOUT = 60  # seconds for a test server to answer its health check


@pytest.fixture(scope="module")
def streamlit_server(browser, tmp_path_factory):
    """A function that serves the page by `streamlit run` on a free port until the module's tests
    are done, saving drawings into a fresh folder, with `env` added to its environment; returns
    (url, drawings folder). A server that does not start fails the test with the end of its log.

    It asks for `browser` so that no server starts where the browser cannot."""
    from bench.browser import streamlit_page

    with contextlib.ExitStack() as servers:

        def serve(env: dict[str, str] | None = None) -> tuple[str, Path]:
            data_dir = tmp_path_factory.mktemp("drawings")
            log = tmp_path_factory.mktemp("server") / "streamlit.log"
            try:
                environment = {"DIGITS_DATA_DIR": str(data_dir), **(env or {})}
                url = servers.enter_context(streamlit_page(environment, log, START_TIMEOUT))
            except RuntimeError as exc:
                pytest.fail(str(exc))
            return url, data_dir

        yield serve


@pytest.fixture
def new_session(browser):
    """A function that opens `url` in a new browser context (a visitor of its own) with the given
    viewport and each step allowed `timeout_ms`; returns the page once its canvas is laid out for
    the viewport (`bench.browser.settled_canvas`: the page may remake the canvas after measuring
    the width, and a stroke drawn before that is lost). Every context it opened closes after
    the test."""
    from bench.browser import settled_canvas

    contexts = []

    def open_session(url: str, viewport: dict[str, int], timeout_ms: float):
        context = browser.new_context(viewport=viewport)
        context.set_default_timeout(timeout_ms)
        contexts.append(context)
        page = context.new_page()
        page.goto(url)
        settled_canvas(page, timeout_ms)
        return page

    yield open_session
    for context in contexts:
        context.close()


@pytest.fixture
def data_dir(tmp_path, monkeypatch):
    """The test's own empty drawings folder (DIGITS_DATA_DIR) and the committed model (no
    DIGITS_MODEL). Not autouse: test_page.py and test_page_numbers.py ask for it for every test."""
    folder = tmp_path / "drawings"
    monkeypatch.setenv("DIGITS_DATA_DIR", str(folder))
    monkeypatch.delenv("DIGITS_MODEL", raising=False)
    return folder


OPERATOR_TOKEN = "operator-token-for-the-tests"


@pytest.fixture
def operator(monkeypatch):
    """The operator's sign-in configured (a token), the page served with its download route
    (app/main.py); test_page.py's run_page(operator=True) is signed in."""
    from app import zip_download

    monkeypatch.setenv("DIGITS_OPERATOR_TOKEN", OPERATOR_TOKEN)
    monkeypatch.setattr(zip_download, "LINKS", zip_download.Links())
    zip_download.routes()
    return OPERATOR_TOKEN


def _data_url(pixels: np.ndarray) -> str:
    """`pixels` as the canvas sends its picture: a PNG data URL."""
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


@pytest.fixture
def drawn(monkeypatch):
    """Make the page's canvas (in AppTest) return `drawn.image` (None: untouched).

    The stand-in replaces the whole module: the real one registers its component on import,
    which needs a running Streamlit."""

    class Canvas:
        image = None

        def __call__(self, **kwargs):
            # Like the real canvas: nothing reported until drawn on, then its PNG data URL (as the
            # browser sent it, kept undecoded in `_image_data_url`) and a stroke.
            if self.image is None:
                return types.SimpleNamespace(_image_data_url=None, json_data=None)
            return types.SimpleNamespace(_image_data_url=_data_url(self.image), json_data={"objects": [{"type": "path"}]})

    canvas = Canvas()
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", types.SimpleNamespace(st_canvas=canvas))
    return canvas
