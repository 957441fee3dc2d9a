"""The page (app/main.py, app/page.py), what it shows (app/render.py) and what it does (app/actions.py).

AppTest runs the page in-process without a browser; it cannot draw on the canvas component, so
the drawing tests put a stand-in `st_canvas` that returns a picture, and uploads are tested
through `actions.read_upload`, the function the Upload tab calls. The real browser is
tests/app's Playwright suite.
"""

import base64
import io
import re
import shutil
import struct
import sys
import types
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image
from streamlit.testing.v1 import AppTest

from app import actions, render, zip_download
from app.contract import model_paths
from app.dataset import NOT_A_DIGIT, DrawingStore
from app.layout import for_width
from app.reading import Outcome, Reading, Status, percent
from app.recognizer import Prediction, Recognizer

PAGE = str(Path(__file__).resolve().parents[2] / "app" / "main.py")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
TINY_A = FIXTURES / "tiny_valid.onnx"  # model_version "tiny-1"
TINY_B = FIXTURES / "tiny_valid_v2.onnx"  # model_version "tiny-2"

pytestmark = pytest.mark.usefixtures("data_dir")  # each test: its own empty drawings folder, the committed model


@pytest.fixture(scope="module")
def seven(mnist_digits):
    """A 28x28 MNIST seven, white on black."""
    x, y = mnist_digits
    return x[int(np.flatnonzero(y == 7)[0])]


CANVAS = for_width(None)  # the canvas where the page has not measured its width (as in AppTest)


def canvas_of(digit: np.ndarray, size: tuple[int, int] = (CANVAS.width, CANVAS.height)) -> np.ndarray:
    """`digit` as the canvas sends it: RGBA (280 px high, as wide as the page's canvas), dark pen
    on white paper, the digit 224 px high in the middle."""
    side = 224 * size[1] // 280
    big = Image.fromarray(255 - digit).resize((side * digit.shape[1] // digit.shape[0], side), Image.Resampling.BILINEAR)
    paper = Image.new("L", size, 255)
    paper.paste(big, ((size[0] - big.width) // 2, (size[1] - side) // 2))
    return np.asarray(paper.convert("RGBA")).copy()


def data_url(pixels: np.ndarray) -> str:
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def run_page(tmp_path=None, **state) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=30)
    for key, value in state.items():
        at.session_state[key] = value
    return at.run()


def results(at: AppTest, kind: str = "digit-result") -> list[str]:
    return [m.value for m in [*at.markdown, *at.get("html")] if f'class="{kind}"' in m.value]


def sidebar_text(at: AppTest) -> str:
    return " ".join(m.value for m in at.sidebar.markdown)


def model_dir(tmp_path: Path, fp32: Path | bytes, int8: Path | bytes | None = None) -> Path:
    """A models folder with the given files; returns the fp32 path for DIGITS_MODEL."""
    folder = tmp_path / "models"
    folder.mkdir(exist_ok=True)
    for name, source in (("digit_cnn.onnx", fp32), ("digit_cnn.int8.onnx", int8)):
        if isinstance(source, Path):
            shutil.copy(source, folder / name)
        elif source is not None:
            (folder / name).write_bytes(source)
    return folder / "digit_cnn.onnx"


def replace(path: Path, source: Path | bytes) -> None:
    """Replace `path` as `make export` does: a new file renamed into place."""
    temp = path.with_suffix(".new")
    temp.write_bytes(source.read_bytes() if isinstance(source, Path) else source)
    temp.replace(path)


# ---- the page ----


def test_page_invites_drawing():
    at = run_page()
    assert not at.exception
    [result] = results(at)
    assert 'data-status="empty"' in result and "Draw a digit" in result
    assert not at.error
    assert "99.56 %" in sidebar_text(at) or "MNIST accuracy" in sidebar_text(at)


def test_page_missing_model(tmp_path, monkeypatch, operator):
    monkeypatch.setenv("DIGITS_MODEL", str(tmp_path / "nowhere" / "digit_cnn.onnx"))
    at = run_page()
    assert not at.exception
    # A visitor is told what it means, never the server's paths; the operator, how to fix it.
    assert any("No model is loaded on this server" in e.value for e in at.error)
    assert not any(str(tmp_path) in e.value for e in at.error)
    [result] = results(at)
    assert 'data-status="error"' in result
    assert [t.label for t in at.tabs] == ["Draw", "Upload", "Your drawings"]
    at = run_page(operator=True)
    assert any("make train" in e.value for e in at.error)
    assert [t.label for t in at.tabs] == ["Draw", "Upload", "Your drawings", "Dataset"]


def test_page_corrupt_model(tmp_path, monkeypatch, operator):
    monkeypatch.setenv("DIGITS_MODEL", str(model_dir(tmp_path, b"\x08\x01garbage, not a protobuf")))
    at = run_page(operator=True)
    assert not at.exception
    [error] = at.error
    assert "not a usable ONNX model" in error.value and "make train" in error.value


def test_precision_switch(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITS_MODEL", str(model_dir(tmp_path, TINY_A, TINY_B)))
    at = run_page()
    assert not at.exception
    switch = at.sidebar.radio(key="precision")
    assert switch.options == ["fp32", "int8"] and switch.value == "fp32"
    assert "tiny-1" in sidebar_text(at)
    switch.set_value("int8").run()
    assert not at.exception
    assert "tiny-2" in sidebar_text(at)


def test_precision_switch_only_with_both(tmp_path, monkeypatch):
    monkeypatch.setenv("DIGITS_MODEL", str(model_dir(tmp_path, TINY_A)))
    at = run_page()
    assert not at.exception
    assert not [r for r in at.sidebar.radio if r.key == "precision"]


def test_hot_reload(tmp_path, monkeypatch):
    path = model_dir(tmp_path, TINY_A)
    monkeypatch.setenv("DIGITS_MODEL", str(path))
    at = run_page()
    assert "tiny-1" in sidebar_text(at)

    replace(path, TINY_B)
    at.run()
    assert not at.exception
    assert "tiny-2" in sidebar_text(at) and "tiny-1" not in sidebar_text(at)
    assert not at.warning

    replace(path, b"half-written")
    at.run()
    assert not at.exception
    assert "tiny-2" in sidebar_text(at)
    [warning] = at.warning
    assert "could not be loaded; this one keeps serving" in warning.value
    assert str(tmp_path) not in warning.value  # no server path for a visitor
    assert not at.error


def test_hot_reload_problem_shown_to_the_operator_as_text(tmp_path, monkeypatch, operator):
    path = model_dir(tmp_path, TINY_A)
    monkeypatch.setenv("DIGITS_MODEL", str(path))
    at = run_page(operator=True)
    replace(path, b"half-written [link](http://x.example)")
    at.run()
    [warning] = at.warning
    assert "still serving version tiny-1" in warning.value
    assert not re.search(r"(?<!\\)[\[\]`]", warning.value)  # the file's words are text, not Markdown


def test_the_right_row_waits_disabled_until_there_is_a_digit(drawn, seven):
    """On the empty canvas "Right?" / "No, it was:" are there but cannot be used: the first
    stroke enables them rather than adding them (which the browser does in a fraction of the
    time, bench/server.py), and nothing below moves when it lands."""
    at = run_page()
    row = [at.button(key="draw-right"), at.selectbox(key="draw-label"), at.button(key="draw-save")]
    assert all(widget.disabled for widget in row)
    assert 'data-status="empty"' in results(at)[0]
    drawn.image = canvas_of(seven)
    at.run()
    row = [at.button(key="draw-right"), at.selectbox(key="draw-label"), at.button(key="draw-save")]
    assert not any(widget.disabled for widget in row)
    assert 'data-digit="7"' in results(at)[0]


def test_draw_shows_prediction(drawn, seven):
    drawn.image = canvas_of(seven)
    at = run_page()
    assert not at.exception
    [result] = results(at)
    assert 'data-status="ok"' in result and 'data-digit="7"' in result
    assert "sure" in result and "What the model sees" in result and "Why" in result
    assert at.button(key="draw-right").label == "Right?"
    assert at.button(key="draw-save").label == "Save correction"
    assert at.selectbox(key="draw-label").label == "No, it was:"
    assert at.button(key="clear").label == "Clear"


def test_draw_right_saves_original(drawn, seven, data_dir):
    drawn.image = canvas_of(seven)
    at = run_page()
    at.button(key="draw-right").click().run()
    assert not at.exception
    assert any("Saved as 7" in s.value for s in at.success)
    [example] = DrawingStore(data_dir).examples()
    assert (example.label, example.predicted) == (7, 7)
    assert example.model_version == Recognizer.load().card["version"]
    with Image.open(example.path) as saved:
        assert saved.mode == "RGBA" and np.array_equal(np.asarray(saved), drawn.image)


def test_not_sure_names_the_guess_it_would_save(drawn, mnist_digits, data_dir):
    x, _ = mnist_digits
    from app.recognizer import Recognizer

    recognizer = Recognizer.load()
    # The first test digit the committed model is not sure of (one digit, whichever it is).
    drawn.image = next(c for c in map(canvas_of, x) if recognizer.predict(c).status == "uncertain")
    guess = recognizer.predict(drawn.image)
    assert len(recognizer.read_number(drawn.image).digits) == 1
    at = run_page()
    [result] = results(at)
    assert f'data-status="uncertain" data-digit="{guess.digit}"' in result
    assert at.button(key="draw-right").label == f"It's {guess.digit}"
    at.button(key="draw-right").click().run()
    assert not at.exception
    [example] = DrawingStore(data_dir).examples()
    assert (example.label, example.predicted) == (guess.digit, guess.digit)


def test_draw_correction(drawn, seven, data_dir):
    drawn.image = canvas_of(seven)
    at = run_page()
    at.button(key="draw-save").click().run()
    assert any("choose what it was" in e.value for e in at.error)
    assert DrawingStore(data_dir).examples() == []

    at.selectbox(key="draw-label").select(1)
    at.button(key="draw-save").click().run()
    assert not at.exception
    assert any("Saved as 1" in s.value for s in at.success)
    [example] = DrawingStore(data_dir).examples()
    assert (example.label, example.predicted) == (1, 7)


def test_draw_correction_not_a_digit(drawn, seven, data_dir):
    drawn.image = canvas_of(seven)
    at = run_page()
    choice = at.selectbox(key="draw-label")
    assert choice.options[-1] == "not a digit" and len(choice.options) == 11
    choice.select(NOT_A_DIGIT)
    at.button(key="draw-save").click().run()
    assert not at.exception
    assert any("Saved as not a digit" in s.value for s in at.success)
    [example] = DrawingStore(data_dir).examples()
    assert (example.label, example.predicted) == (NOT_A_DIGIT, 7)
    assert render.example_caption(example) == "not a digit · read as 7"


def test_draw_refusal_is_shown(drawn, data_dir, monkeypatch):
    drawn.image = canvas_of(np.zeros((28, 28), np.uint8))
    drawn.image[60:220, 130:150, :3] = 0  # a bar: something to predict
    monkeypatch.setenv("DIGITS_STORE_QUOTA_MB", "0")  # a full store
    at = run_page()
    at.button(key="draw-right").click().run()
    assert not at.exception
    assert any("Not saved" in e.value and "the drawing store is full" in e.value for e in at.error)
    assert DrawingStore(data_dir).examples() == []


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        (lambda: data_url(np.zeros((7000, 7000, 4), np.uint8)), "a 7000x7000 picture"),
        (lambda: data_url(np.zeros((10, 2500, 4), np.uint8)), "a strip"),
        (lambda: "data:image/svg+xml;base64,PHN2Zz4=", "not a PNG"),
    ],
    ids=["huge", "strip", "svg"],
)
def test_tampered_canvas_report_refused_quietly(monkeypatch, url, reason):
    """Whatever a tampered page sends as the canvas's picture is refused before decoding."""
    sent = url()
    fake = types.SimpleNamespace(st_canvas=lambda **kwargs: types.SimpleNamespace(_image_data_url=sent, json_data={"objects": [{}]}))
    monkeypatch.setitem(sys.modules, "streamlit_drawable_canvas", fake)
    at = run_page()
    assert not at.exception and not at.error
    [result] = results(at)
    assert 'data-status="empty"' in result
    assert any("could not be read" in c.value for c in at.caption)


def test_dataset_tab_is_the_operators(data_dir, operator):
    store = DrawingStore(data_dir)
    ink = np.full((28, 28), 255, np.uint8)
    for i, label in enumerate((7, 7, 7, 2)):
        store.save(ink, label=label, predicted=1 if label == 2 else label, confidence=0.5, session=f"visitor-{i}")
    at = run_page(tab="Dataset", operator=True)
    assert not at.exception
    assert any("4 saved drawings, 4 waiting for review" in m.value for m in at.markdown)
    assert {c.value for c in at.caption} >= {"7", "2 · read as 1"}
    assert len(at.get("vega_lite_chart")) == 1
    [download] = at.get("link_button")
    assert download.proto.label == "Download approved (ZIP)" and download.proto.url.startswith("api/export/")

    newest, older = (e.file for e in store.recent(2))
    at.button(key=f"delete-{newest}").click().run()
    assert not at.exception
    assert store.counts()[2] == 0
    assert any("3 saved drawings, 3 waiting for review" in m.value for m in at.markdown)
    at.button(key=f"approve-{older}").click().run()
    assert not at.exception
    assert [e.file for e in store.examples(status="approved")] == [older]
    at.button(key="approve-all").click().run()
    assert [e.status for e in store.examples()] == ["approved"] * 3


def test_dataset_zip_link_is_one_time_and_renewed(data_dir, operator):
    DrawingStore(data_dir).save(np.full((28, 28), 255, np.uint8), 7, session="visitor-a")
    at = run_page(tab="Dataset", operator=True)
    [first] = at.get("link_button")
    at.run()
    assert [b.proto.url for b in at.get("link_button")] == [first.proto.url]  # still live: kept
    assert zip_download.LINKS.take(first.proto.url.rpartition("/")[2])  # the browser used it
    at.run()
    [renewed] = at.get("link_button")
    assert renewed.proto.url.startswith("api/export/") and renewed.proto.url != first.proto.url


def test_dataset_without_the_download_route_points_to_the_command_line(data_dir, operator, monkeypatch):
    monkeypatch.setattr(zip_download.LINKS, "mounted", False)  # the page run without its server (AppTest)
    DrawingStore(data_dir).save(np.full((28, 28), 255, np.uint8), 7, session="visitor-a")
    at = run_page(tab="Dataset", operator=True)
    assert not at.get("link_button") and not at.exception
    assert any("streamlit run app/main.py" in c.value and "app.dataset export" in c.value for c in at.caption)


def test_dataset_tab_empty(operator):
    at = run_page(tab="Dataset", operator=True)
    assert not at.exception
    assert any("Nothing saved yet" in i.value for i in at.info)


def test_visitor_sees_only_their_own_drawings(data_dir, operator):
    store = DrawingStore(data_dir)
    theirs = store.save(np.full((28, 28), 255, np.uint8), 3, session="someone-else")
    at = run_page(tab="Your drawings", visitor="visitor-a")
    assert not at.exception
    assert [t.label for t in at.tabs] == ["Draw", "Upload", "Your drawings"]  # no Dataset tab
    assert any("You have saved nothing" in i.value for i in at.info)
    assert not at.get("download_button") and not at.get("link_button")
    assert all(str(data_dir) not in m.value for m in list(at.markdown) + list(at.caption))

    mine = store.save(np.full((28, 28), 200, np.uint8), 5, session="visitor-a")
    at.run()
    assert any("You saved 1 drawing" in m.value for m in at.markdown)
    assert [c.value for c in at.caption if c.value in ("3", "5")] == ["5"]
    with pytest.raises(KeyError):
        at.button(key=f"delete-{theirs.file}")
    at.button(key=f"delete-{mine.file}").click().run()  # "Take back"
    assert not at.exception
    assert store.examples() == [theirs]


def test_operator_view_off_says_how_to_turn_it_on(monkeypatch):
    monkeypatch.delenv("DIGITS_OPERATOR_TOKEN", raising=False)
    at = run_page(operator=True)  # a session flag alone signs no one in
    assert [t.label for t in at.tabs] == ["Draw", "Upload", "Your drawings"]
    assert any("The operator view is off" in c.value and "DIGITS_OPERATOR_TOKEN" in c.value for c in at.sidebar.caption)


def test_operator_signs_in_with_the_token(operator):
    at = run_page()

    def sign_in(token):
        at.text_input(key="operator-token").input(token)
        next(b for b in at.button if b.label == "Sign in").click()
        at.run()

    sign_in("a wrong guess")
    assert not at.exception
    assert any("not the operator's token" in e.value for e in at.error)
    assert [t.label for t in at.tabs] == ["Draw", "Upload", "Your drawings"]
    sign_in(operator)  # waits a moment: the attempt after a failure is slowed down
    assert [t.label for t in at.tabs] == ["Draw", "Upload", "Your drawings", "Dataset"]
    assert any("Signed in as the operator" in c.value for c in at.caption)


def test_save_says_what_happens_to_the_drawing(drawn, seven, data_dir):
    drawn.image = canvas_of(seven)
    at = run_page(visitor="visitor-a")
    assert any("Saving keeps this drawing and its label on this server" in c.value for c in at.caption)
    at.button(key="draw-right").click().run()
    [example] = DrawingStore(data_dir).examples()
    assert (example.session, example.status) == ("visitor-a", "pending")


# ---- what the page shows, without Streamlit ----


def png_bytes(image: Image.Image, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, **options)
    return buffer.getvalue()


def huge_header_png(width: int = 20000, height: int = 20000) -> bytes:
    """A PNG whose header claims `width` x `height` pixels, with almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    data = chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 64)) + chunk(b"IEND", b"")
    return b"\x89PNG\r\n\x1a\n" + data


@pytest.mark.parametrize(
    "data, message",
    [
        (b"", "empty (0 bytes)"),
        (b"this is a note, not a picture\n", "looks like text"),
        (huge_header_png(), "far too large"),
        (png_bytes(Image.new("L", (64, 64), 255), format="PNG")[:60], "cannot be decoded"),
        (bytes(10 * 2**20 + 1), "is 10.0 MB; the page takes pictures up to 10 MB"),
    ],
    ids=["zero bytes", "text renamed .png", "huge header", "truncated", "over 10 MB"],
)
def test_upload_fail(data, message):
    upload = actions.read_upload(data, "digit.png")
    assert upload.image is None
    assert message in upload.error and upload.error.startswith("digit.png")


def photo_of(digit: np.ndarray) -> Image.Image:
    """`digit` as dark ink on light paper, 140x140."""
    return Image.fromarray(255 - digit).resize((140, 140), Image.Resampling.BILINEAR)


@pytest.mark.parametrize(
    "kind",
    ["cmyk jpeg", "16-bit png", "16-bit scan, 2400 px", "palette gif", "webp", "bmp", "tiff", "rgba png"],
)
def test_upload(recognizer, seven, kind):
    photo = photo_of(seven)
    data = {
        "cmyk jpeg": lambda: png_bytes(photo.convert("CMYK"), format="JPEG", quality=90),
        "16-bit png": lambda: png_bytes(Image.fromarray(np.asarray(photo).astype(np.uint16) * 257), format="PNG"),
        "16-bit scan, 2400 px": lambda: png_bytes(
            Image.fromarray(np.asarray(photo.resize((2400, 2400))).astype(np.uint16) * 257), format="PNG"
        ),
        "palette gif": lambda: png_bytes(photo.convert("P"), format="GIF"),
        "webp": lambda: png_bytes(photo, format="WEBP", quality=90),
        "bmp": lambda: png_bytes(photo, format="BMP"),
        "tiff": lambda: png_bytes(photo, format="TIFF"),
        "rgba png": lambda: png_bytes(photo.convert("RGBA"), format="PNG"),
    }[kind]()
    upload = actions.read_upload(data, "seven")
    assert upload.error is None and upload.note is None
    result = actions.analyse(recognizer, upload.image)
    assert (result.status, result.digit) == ("ok", 7)
    assert 'class="upload-result"' in render.result_html(result, "upload-result", "picture")
    assert render.preview(upload.image).mode in ("L", "RGB", "RGBA")


def test_preview_of_8_bit_values_in_a_16_bit_file(seven):
    grey = photo_of(seven).convert("L")
    wide = Image.fromarray(np.asarray(grey).astype(np.uint16))
    assert wide.mode == "I;16"
    assert np.array_equal(np.asarray(render.preview(wide)), np.asarray(render.preview(grey)))


def test_upload_animated_gif(recognizer, seven):
    frames = [photo_of(seven).convert("RGB")] + [Image.new("RGB", (140, 140), c) for c in ("red", "blue")]
    data = png_bytes(frames[0], format="GIF", save_all=True, append_images=frames[1:], duration=100)
    upload = actions.read_upload(data, "seven.gif")
    assert upload.note == "seven.gif: it has 3 frames; the first one was used."
    assert actions.analyse(recognizer, upload.image).digit == 7


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_upload_blank_paper_says_no_digit_found(recognizer, photos, seed):
    upload = actions.read_upload(png_bytes(photos.blank(seed), format="JPEG", quality=90), "paper.jpg")
    result = actions.analyse(recognizer, upload.image)
    assert result.status == "empty"
    assert "No digit found" in render.result_html(result, "upload-result", "picture")


def test_upload_faint_digit_is_read(recognizer, photos, seven):
    upload = actions.read_upload(png_bytes(photos.digit(seven, contrast=0.2), format="JPEG", quality=90), "faint.jpg")
    result = actions.analyse(recognizer, upload.image)
    assert (result.status, result.digit) == ("ok", 7)


def test_upload_one_pixel(recognizer):
    upload = actions.read_upload(png_bytes(Image.new("RGB", (1, 1), "white"), format="PNG"), "dot.png")
    assert upload.error is None
    result = actions.analyse(recognizer, upload.image)
    assert result.status == "empty"
    html = render.result_html(result, "upload-result", "picture")
    assert 'data-status="empty" data-digit="" data-confidence=""' in html and "No digit found" in html


def test_result_html_ok(recognizer, seven):
    result = actions.analyse(recognizer, canvas_of(seven))
    html = render.result_html(result)
    attributes = f'data-status="ok" data-digit="7" data-confidence="{result.confidence:.4f}"'
    assert html.startswith(f'<div class="digit-result" {attributes}>')
    assert html.count('class="dr-col') == 10 and html.count("dr-top") == 1
    assert html.count("data:image/png;base64,") == 2


def test_result_html_uncertain():
    probabilities = (0.0, 0.0, 0.0, 0.0, 0.11, 0.0, 0.0, 0.0, 0.48, 0.41)
    prediction = Prediction(8, 0.48, probabilities, "uncertain", np.zeros((28, 28), np.float32))
    html = render.result_html(Reading(Status.UNCERTAIN, prediction, np.zeros((28, 28), np.float32)))
    assert 'data-status="uncertain" data-digit="8" data-confidence="0.4800"' in html
    assert "Not sure" in html and "Maybe an <b>8</b> (48.0 %) or a <b>9</b> (41.0 %)." in html


def test_result_html_empty_and_error():
    assert "Draw a digit" in render.result_html(Reading(Status.EMPTY))
    html = render.result_html(Reading(Status.ERROR, message="No model loaded."))
    assert 'data-status="error" data-digit="" data-confidence=""' in html and "No model loaded." in html


def test_analyse_untouched_canvas(recognizer):
    assert actions.analyse(recognizer, None).status == "empty"
    assert actions.analyse(None, None) == Reading(Status.ERROR, message="No model loaded.")
    blank = np.full((280, 280, 4), 255, np.uint8)
    assert actions.analyse(recognizer, blank).status == "empty"


def test_pictures(recognizer, seven):
    result = actions.analyse(recognizer, canvas_of(seven))
    shown = render.input_picture(result.prediction.model_input)
    assert shown.size == (112, 112) and shown.mode == "L"
    # Nearest-neighbour: every 4x4 block is one model pixel.
    assert np.array_equal(np.asarray(shown)[::4, ::4], np.rint(result.prediction.model_input * 255))
    why = np.asarray(render.evidence_picture(result.prediction.model_input, result.evidence))
    assert why.shape == (112, 112, 3)
    strongest = np.unravel_index(np.argmax(result.evidence), result.evidence.shape)
    r, g, b = why[strongest[0] * 4, strongest[1] * 4]
    assert r > 150 and r > g and r > b  # the ink that made it a 7 is red


def test_save_feedback(data_dir, seven):
    store = DrawingStore(data_dir)
    prediction = Prediction(7, 0.99, (0.0,) * 7 + (0.99,) + (0.0,) * 2, "ok")
    outcome = actions.save_feedback(store, canvas_of(seven), 7, prediction, "v1")
    assert outcome.ok and outcome.message.startswith("Saved as 7")
    [example] = store.examples()
    assert (example.label, example.predicted, example.confidence, example.model_version) == (7, 7, 0.99, "v1")


@pytest.mark.parametrize(
    "image, label, message",
    [
        (np.zeros((28, 28), np.uint8), None, "choose what it was"),
        (np.zeros((28, 28), np.uint8), 11, "labels must be an integer 0-9"),
        (np.zeros((10, 2001), np.uint8), 3, "the most accepted is 2000 on a side"),
    ],
    ids=["no label", "bad label", "oversized"],
)
def test_save_feedback_fail(data_dir, image, label, message):
    outcome = actions.save_feedback(DrawingStore(data_dir), image, label, None, None)
    assert not outcome.ok and outcome.message.startswith("Not saved") and message in outcome.message
    assert DrawingStore(data_dir).examples() == []


def test_save_feedback_unwritable(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    outcome = actions.save_feedback(DrawingStore(blocker / "drawings"), np.zeros((28, 28), np.uint8), 3, None, None)
    assert not outcome.ok and "cannot store drawings right now" in outcome.message
    assert str(tmp_path) not in outcome.message  # the server's paths go to its log, not to a visitor


def test_model_paths(tmp_path):
    fp32 = model_dir(tmp_path, TINY_A)
    assert model_paths({"DIGITS_MODEL": str(fp32)}) == {"fp32": fp32}
    model_dir(tmp_path, TINY_A, TINY_B)
    int8 = fp32.with_name("digit_cnn.int8.onnx")
    assert model_paths({"DIGITS_MODEL": str(fp32)}) == {"fp32": fp32, "int8": int8}
    assert model_paths({})["fp32"].name == "digit_cnn.onnx"


def test_counts_chart():
    chart = render.counts_chart({d: d % 3 for d in range(10)}).to_dict()
    assert [row["drawings"] for row in chart["data"]["values"]] == [0, 1, 2, 0, 1, 2, 0, 1, 2, 0]


def test_card_rows():
    card = Recognizer.load(TINY_A).card
    assert dict(render.card_rows(card)) == {
        "Version": "tiny-1",
        "MNIST accuracy": "10.00 %",
        "Size": "31 KB",
        "Opset": "17",
        "Created": "2026-01-02",
        "Precision": "fp32",
    }


@pytest.mark.parametrize("p, text", [(0.99996, ">99.9 %"), (0.4321, "43.2 %"), (0.00004, "<0.1 %"), (0.0, "0.0 %")])
def test_percent(p, text):
    assert percent(p) == text


@pytest.mark.parametrize("label, words", [(7, "Deleted a drawing of 7."), (NOT_A_DIGIT, "Deleted a drawing that is not a digit.")])
def test_delete_example_says_what_it_deleted(data_dir, label, words):
    store = DrawingStore(data_dir)
    example = store.save(np.full((28, 28), 255, np.uint8), label=label)
    assert actions.delete_example(store, example.file) == Outcome(True, words)
    assert actions.delete_example(store, example.file) == Outcome(True, "That drawing was already deleted.")
