"""`open_image` opens the pictures people give us, and refuses the rest with a reason, never a crash."""

import io
import struct
import threading
import time
import zlib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from app import images
from app.images import LARGE_DECODE_PIXELS, MAX_FILE_BYTES, MAX_PIXELS, WORK_SIDE, ImageError, frames_note, open_image
from app.preprocess import to_model_input


def encoded(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def png_claiming(width: int, height: int) -> bytes:
    """An 8x8 PNG whose header (CRC and all) claims width x height; its pixels are never made."""
    data = bytearray(encoded(Image.new("L", (8, 8), 255), "PNG"))
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    return bytes(data)


@pytest.fixture
def no_decoding(monkeypatch):
    """Fail the test if any pixel data is decoded."""
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("pixels were decoded"))


PICTURE = Image.fromarray(np.tile(np.arange(0, 256, 8, dtype=np.uint8), (24, 1)), "L").convert("RGB")
NOISE = Image.fromarray(np.random.default_rng(1).integers(0, 256, (64, 64), dtype=np.uint8), "L")


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "GIF", "BMP", "WEBP", "TIFF"])
def test_formats(fmt):
    image = open_image(encoded(PICTURE, fmt))
    assert image.size == PICTURE.size
    assert frames_note(image) is None


def test_sources(tmp_path):
    data = encoded(PICTURE, "PNG")
    (tmp_path / "p.png").write_bytes(data)
    for source in [data, bytearray(data), memoryview(data), tmp_path / "p.png", str(tmp_path / "p.png"), io.BytesIO(data)]:
        assert open_image(source).size == (32, 24)


def test_sources_fail():
    with pytest.raises(TypeError, match="expected bytes, a path or a binary file, got int"):
        open_image(42)


@pytest.mark.parametrize(
    "data, words",
    [
        (b"", "upload.png is empty (0 bytes)"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 40, "upload.png is"),
        (np.random.default_rng(0).bytes(3000), "upload.png is not a picture in a format we read (PNG, JPEG, GIF, BMP, WebP or TIFF)"),
        (b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 28 28\nshowpage\n", "not a picture in a format we read (PNG, JPEG, GIF, BMP, WebP or TIFF); it looks like text"),
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><text>7</text></svg>', "; it looks like SVG/HTML/XML text"),
        (b"<svg width='28' height='28'><path d='M0 0L28 28'/></svg>", "; it looks like SVG/HTML/XML text"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n", "; it looks like a PDF"),
        (b"seven\n", "; it looks like text"),
        (encoded(NOISE, "PNG")[:2000], "upload.png is damaged or incomplete and cannot be decoded"),
        (encoded(PICTURE, "ICO"), "not a picture in a format we read"),
        (encoded(PICTURE, "PPM"), "not a picture in a format we read"),
    ],
    ids=["empty", "broken header", "random bytes", "EPS", "SVG", "SVG without XML declaration", "PDF", "text", "truncated PNG", "ICO", "PPM"],
)
def test_not_a_picture_fail(data, words):
    with pytest.raises(ImageError) as failure:
        open_image(data, name="upload.png")
    assert words in str(failure.value)


def test_default_names(tmp_path):
    with pytest.raises(ImageError, match="^the file is empty"):
        open_image(b"")
    with pytest.raises(ImageError, match="^the file is empty"):
        open_image(io.BytesIO(b""))
    (tmp_path / "e.png").write_bytes(b"")
    with pytest.raises(ImageError, match=f"^{tmp_path / 'e.png'} is empty"):
        open_image(tmp_path / "e.png")


def test_missing_and_folder_fail(tmp_path):
    with pytest.raises(ImageError, match="nowhere.png does not exist"):
        open_image(tmp_path / "nowhere.png")
    with pytest.raises(ImageError, match="is a folder, not a picture"):
        open_image(tmp_path)


def test_file_size_limit(tmp_path):
    under = tmp_path / "under.png"
    under.write_bytes(encoded(PICTURE, "PNG") + b"\x00" * 1000)  # trailing bytes after IEND are ignored
    assert open_image(under).size == (32, 24)

    over = tmp_path / "over.png"
    with open(over, "wb") as f:
        f.truncate(MAX_FILE_BYTES + 1)  # sparse: no 20 MB written
    with pytest.raises(ImageError, match=r"over.png is 20.0 MB; the most accepted is 20.0 MB"):
        open_image(over)


def test_file_size_limit_bytes_and_files():
    data = b"\x00" * (MAX_FILE_BYTES + 1)
    with pytest.raises(ImageError, match="the most accepted"):
        open_image(data, name="upload.png")
    with pytest.raises(ImageError, match="larger than 20.0 MB"):
        open_image(io.BytesIO(data), name="upload.png")


@pytest.mark.parametrize(
    "width, height, words",
    [
        (20000, 20000, "far too large (400 megapixels); the most accepted is 50 megapixels"),
        (8000, 8000, "is 8000x8000 pixels (64 megapixels); the most accepted is 50 megapixels"),
        (60000, 1000, "is 60000x1000 pixels (60 megapixels)"),
    ],
)
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")  # pytest resets images.py's filter
def test_pixel_limit_from_the_header(no_decoding, width, height, words):
    assert width * height > MAX_PIXELS
    with pytest.raises(ImageError) as failure:
        open_image(png_claiming(width, height), name="huge.png")
    assert str(failure.value).startswith("huge.png ")
    assert words in str(failure.value)


def test_pixel_limit_allows_large_photos():
    # 7000x7000 = 49 megapixels is under the limit: it gets as far as decoding (which fails here,
    # as only the header claims that size).
    with pytest.raises(ImageError, match="damaged or incomplete"):
        open_image(png_claiming(7000, 7000))


def test_large_pictures_are_averaged_down_to_the_working_size():
    image = open_image(encoded(Image.new("RGB", (6000, 3000), "white"), "PNG"))
    assert image.size == (WORK_SIDE, WORK_SIDE // 2)
    assert image.getpixel((10, 10)) == (255, 255, 255)


def test_large_16_bit_scan():
    array = np.full((3000, 2000), 60000, np.uint16)  # light paper
    array[600:2400, 900:1100] = 2000  # a dark stroke: a 1
    image = open_image(encoded(Image.fromarray(array), "PNG"))
    assert max(image.size) == WORK_SIDE
    assert to_model_input(image) is not None


def test_huge_pictures_are_decoded_one_at_a_time(monkeypatch):
    """Several large uploads at once do not each hold a full-size decode in memory."""
    inside = most = 0
    count = threading.Lock()
    real = images.shrunk

    def slow_shrunk(image, side):
        nonlocal inside, most
        with count:
            inside += 1
            most = max(most, inside)
        time.sleep(0.2)
        with count:
            inside -= 1
        return real(image, side)

    monkeypatch.setattr(images, "shrunk", slow_shrunk)
    side = int(LARGE_DECODE_PIXELS**0.5) + 1
    data = encoded(Image.new("L", (side, side)), "PNG")
    with ThreadPoolExecutor(3) as pool:
        opened = list(pool.map(open_image, [data] * 3))
    assert most == 1
    assert [image.size for image in opened] == [(WORK_SIDE, WORK_SIDE)] * 3


@pytest.mark.parametrize("orientation, size", [(1, (40, 20)), (3, (40, 20)), (6, (20, 40)), (8, (20, 40))])
def test_exif_orientation_is_applied(orientation, size):
    array = np.full((20, 40), 255, np.uint8)
    array[:8, :8] = 0  # a dark mark in the stored top-left corner
    exif = Image.Exif()
    exif[0x0112] = orientation
    image = open_image(encoded(Image.fromarray(array), "JPEG", quality=95, exif=exif))
    assert image.size == size
    # Where the mark ends up: 3 = turned 180°, 6 = turned 90° clockwise, 8 = 90° anticlockwise.
    corner = {1: (0, 0), 3: (size[0] - 1, size[1] - 1), 6: (size[0] - 1, 0), 8: (0, size[1] - 1)}[orientation]
    assert image.convert("L").getpixel(corner) < 60


def test_animated_gif_keeps_the_first_frame():
    frames = [Image.new("L", (10, 10), value) for value in (0, 255, 128)]
    image = open_image(encoded(frames[0], "GIF", save_all=True, append_images=frames[1:]))
    assert image.info["frames"] == 3
    assert frames_note(image) == "it has 3 frames; the first one was used"
    assert image.convert("L").getpixel((5, 5)) == 0


def test_multipage_tiff_keeps_the_first_page():
    pages = [Image.new("L", (10, 10), value) for value in (10, 200)]
    image = open_image(encoded(pages[0], "TIFF", save_all=True, append_images=pages[1:]))
    assert frames_note(image) == "it has 2 frames; the first one was used"
    assert image.getpixel((0, 0)) == 10


@pytest.mark.parametrize(
    "make, fmt, mode",
    [
        (lambda: Image.fromarray(np.full((8, 8), 40000, np.uint16)), "PNG", "I;16"),
        (lambda: Image.new("CMYK", (8, 8), (0, 0, 0, 255)), "JPEG", "RGB"),
        (lambda: Image.new("LA", (8, 8), (0, 128)), "PNG", "LA"),
        (lambda: Image.new("RGBA", (8, 8), (0, 0, 0, 128)), "PNG", "RGBA"),
        (lambda: Image.new("P", (8, 8), 3), "PNG", "P"),
        (lambda: Image.new("1", (8, 8), 1), "PNG", "1"),
        (lambda: Image.new("RGB", (8, 8)).convert("YCbCr"), "JPEG", "RGB"),
    ],
    ids=["16-bit", "CMYK", "LA", "RGBA", "P", "1-bit", "YCbCr"],
)
def test_modes_the_preprocessing_reads(make, fmt, mode):
    image = open_image(encoded(make(), fmt))
    assert image.mode == mode


def test_cmyk_colours_survive():
    image = open_image(encoded(Image.new("CMYK", (8, 8), (0, 0, 0, 255)), "JPEG", quality=95))
    assert max(image.getpixel((4, 4))) < 40  # full black ink stays dark


def test_detached_from_the_file(tmp_path):
    path = tmp_path / "p.png"
    path.write_bytes(encoded(PICTURE, "PNG"))
    image = open_image(path)
    path.unlink()
    assert image.getpixel((31, 0)) == (248, 248, 248)


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_endless_device_is_refused_not_read_forever():
    with pytest.raises(ImageError, match="/dev/zero is larger than 20.0 MB, the most accepted"):
        open_image("/dev/zero")
