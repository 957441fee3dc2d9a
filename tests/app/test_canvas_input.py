"""What the canvas sends is checked before decoding: a PNG of the canvas's size (times the
device pixel ratio, with a margin), 8-bit, within the bytes such a picture takes."""

import base64
import io
import struct
import subprocess
import sys
import zlib

import numpy as np
import pytest
from PIL import Image

from app.canvas_input import (
    CanvasInputError,
    check_data_url,
    check_strokes,
    decode_canvas,
    max_png_bytes,
)
from app.contract import PROJECT_ROOT

SIDE = 280


def data_url(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def canvas_png(width=SIDE, height=SIDE, mode="RGBA", noise=False) -> bytes:
    """A PNG as the browser's canvas makes one: a stroke on transparent, or noise."""
    rng = np.random.default_rng(0)
    channels = len(mode) if mode != "L" else 1
    pixels = rng.integers(0, 256, (height, width, channels), np.uint8) if noise else np.zeros((height, width, channels), np.uint8)
    if not noise:
        pixels[height // 4 : 3 * height // 4, width // 2 - 10 : width // 2 + 10] = 255
    buffer = io.BytesIO()
    Image.fromarray(pixels.squeeze() if channels == 1 else pixels, mode).save(buffer, format="PNG")
    return buffer.getvalue()


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def declared_png(width, height, depth=8, colour=6, rows=1) -> bytes:
    """A PNG whose header declares `width` x `height` (its data: `rows` rows of zeros)."""
    header = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    data = zlib.compress(b"\0" * ((width * 4 + 1) * rows))
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")


@pytest.mark.parametrize(
    ("png", "shape"),
    [
        (canvas_png(), (SIDE, SIDE, 4)),
        (canvas_png(SIDE + 1, SIDE + 1), (SIDE + 1, SIDE + 1, 4)),  # rounding
        (canvas_png(mode="RGB"), (SIDE, SIDE, 3)),
        (canvas_png(noise=True), (SIDE, SIDE, 4)),  # the most bytes an honest one takes
    ],
    ids=["canvas", "rounded", "rgb", "noise"],
)
def test_canvas_picture_decoded(png, shape):
    pixels = decode_canvas(data_url(png), SIDE, SIDE)
    assert pixels.shape == shape and pixels.dtype == np.uint8


def test_pixel_ratio_allowed_when_asked():
    # streamlit-drawable-canvas 0.13 exports at the canvas's own size; a ratio can be allowed.
    png = canvas_png(2 * SIDE, 2 * SIDE)
    assert decode_canvas(data_url(png), SIDE, SIDE, max_ratio=2.0).shape == (2 * SIDE, 2 * SIDE, 4)
    with pytest.raises(CanvasInputError, match=r"size \(560x560\) is not this canvas's"):
        check_data_url(data_url(png), SIDE, SIDE)
    # Whatever the ratio, one for both sides: the canvas's shape, not a strip.
    with pytest.raises(CanvasInputError, match=r"shape \(280x840\) is not this canvas's"):
        check_data_url(data_url(declared_png(SIDE, 3 * SIDE)), SIDE, SIDE, max_ratio=3.0)


@pytest.mark.parametrize(
    ("url", "message"),
    [
        (data_url(declared_png(7000, 7000)), r"size \(7000x7000\) is not this canvas's \(280x280\)"),
        (data_url(declared_png(10000, 9990)), r"size \(10000x9990\) is not this canvas's"),
        (data_url(declared_png(SIDE + 3, SIDE + 3)), "is not this canvas's"),
        (data_url(declared_png(2 * SIDE, 2 * SIDE)), "is not this canvas's"),
        (data_url(declared_png(100, 100)), "size .* is not this canvas's"),
        (data_url(declared_png(SIDE, SIDE, depth=16)), "not an 8-bit picture"),
        (data_url(declared_png(SIDE, SIDE, colour=3)), "not an 8-bit picture"),
        (data_url(b"\x89PNG\r\n\x1a\n" + b"\0" * 40), "PNG header is damaged"),
        (data_url(canvas_png()[:20]), "not a PNG picture"),
        ("data:image/jpeg;base64,/9j/4AAQ", "not a PNG picture"),
        ("data:image/svg+xml;base64,PHN2Zz4=", "not a PNG picture"),
        ("data:image/png;base64,@@@@", "not a readable picture"),
        ("data:image/png;base64," + "A" * (max_png_bytes(SIDE, SIDE) * 4 // 3 + 8), "larger than this canvas can make"),
        (b"data:image/png;base64,", "arrived as bytes"),
        (None, "arrived as NoneType"),
    ],
    ids=["7000px", "10000px", "margin-exceeded", "ratio-2", "tiny", "16-bit", "palette", "bad-crc",
         "truncated-header", "jpeg", "svg", "bad-base64", "too-many-bytes", "bytes", "none"],
)
def test_tampered_canvas_refused_before_decoding(url, message):
    with pytest.raises(CanvasInputError, match=message):
        check_data_url(url, SIDE, SIDE)


def test_damaged_pixels_after_a_sound_header_refused():
    png = canvas_png()
    broken = png[:60] + bytes(len(png) - 60)
    with pytest.raises(CanvasInputError, match="damaged and cannot be read"):
        decode_canvas(data_url(broken), SIDE, SIDE)


BOMB = """
import sys
sys.path.insert(0, {root!r})
from app.canvas_input import CanvasInputError, decode_canvas
from tests.support.bomb import bomb_url

url = bomb_url()  # 10000x9990 RGBA, every row zeros (what the attack sent)

def status(field):
    return int(open("/proc/self/status").read().split(field + ":")[1].split()[0]) // 1024

before = status("VmHWM")
try:
    decode_canvas(url, 280, 280)
    print("decoded")
except CanvasInputError as exc:
    print("refused", status("VmHWM") - before, len(url))
"""


def test_tampered_canvas_bomb_refused_with_flat_memory():
    """The attack's 10000x9990 PNG (a peak of 1.5 GB when decoded) is refused from its header:
    the process's peak memory grows by less than 50 MiB."""
    done = subprocess.run(
        [sys.executable, "-c", BOMB.format(root=str(PROJECT_ROOT))], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    verdict, growth, size = done.stdout.split()
    assert verdict == "refused"
    assert int(size) < 1_000_000 and int(growth) < 50


@pytest.mark.parametrize(
    "drawing",
    [None, {"objects": []}, {"version": "6", "objects": [{"type": "path", "path": [["M", 1, 2], ["L", 3, 4]]}]}],
)
def test_strokes(drawing):
    assert check_strokes(drawing) == (drawing or {"objects": []})


@pytest.mark.parametrize(
    ("drawing", "message"),
    [
        ([1, 2], "not a drawing"),
        ({"objects": "many"}, "not a list of shapes"),
        ({"objects": [1]}, "not a list of shapes"),
        ({"objects": [{"type": "path"}] * 501}, "has 501 strokes; the most kept is 500"),
        ({"objects": [{"type": "path", "path": [["L", 1, 2]] * 200_000}]}, "larger than a drawing takes"),
        ({"objects": [{"left": float("nan")}]}, "not plain JSON"),
    ],
)
def test_strokes_fail(drawing, message):
    with pytest.raises(CanvasInputError, match=message):
        check_strokes(drawing)


def test_websocket_limit_fits_the_canvas_and_no_more():
    """server.maxMessageSize lets the largest honest canvas report through, and little else."""
    import tomllib

    from app.layout import CANVAS_HEIGHT, CANVAS_MAX_WIDTH

    width, height = CANVAS_MAX_WIDTH, CANVAS_HEIGHT  # the largest canvas the page draws
    config = tomllib.loads((PROJECT_ROOT / ".streamlit" / "config.toml").read_text())
    limit = config["server"]["maxMessageSize"] * 1_000_000
    from app.canvas_input import MAX_STROKES_BYTES

    largest_report = len(data_url(b"\0" * max_png_bytes(width, height))) + MAX_STROKES_BYTES
    assert largest_report < limit <= 10_000_000


def test_raw_report_reads_the_data_url_without_decoding():
    """The installed component keeps the browser's data URL where raw_report reads it (a new
    version of streamlit-drawable-canvas that moves it fails here, not on the page)."""
    import ast
    import importlib.util
    from pathlib import Path

    from app.canvas_input import raw_report

    source = Path(importlib.util.find_spec("streamlit_drawable_canvas").origin).read_text()
    result = next(n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef) and n.name == "CanvasResult")
    slots = next(n.value for n in result.body if isinstance(n, ast.Assign) and n.targets[0].id == "__slots__")
    assert "_image_data_url" in ast.literal_eval(slots) and "json_data" in ast.literal_eval(slots)

    class Result:
        json_data = {"objects": []}
        _image_data_url = "data:image/png;base64,AAAA"

        @property
        def image_data(self):
            raise AssertionError("decoded by the component")

    assert raw_report(Result()) == ({"objects": []}, "data:image/png;base64,AAAA")
