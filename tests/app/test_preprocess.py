"""Preprocessing: however a digit is drawn or photographed, the model sees the same thing."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter, ImageOps

from app.contract import DIGIT_BOX, IMAGE_SIZE
from app.images import shrunk
from app.preprocess import WORK_SIZE, block_any, block_mean, find_ink, to_model_input


def on_canvas(digit, size=280, scale=10.0, at=None, thicken=0):
    """The digit drawn on a size x size canvas: white ink on black, 'L' image."""
    ink = Image.fromarray(digit).resize((round(28 * scale),) * 2, Image.Resampling.BICUBIC)
    if thicken:
        ink = ink.filter(ImageFilter.MaxFilter(thicken))
    canvas = Image.new("L", (size, size))
    x, y = at if at is not None else ((size - ink.width) // 2, (size - ink.height) // 2)
    canvas.paste(ink, (x, y))
    return canvas


def similar(a, b):
    """Correlation of two model inputs (1.0 = identical)."""
    return float(np.corrcoef(a.ravel(), b.ravel())[0, 1])


def variants(digit):
    base = on_canvas(digit)
    white_bg = ImageOps.invert(base)
    transparent_black_pen = Image.merge("RGBA", (*[Image.new("L", base.size)] * 3, base))
    transparent_white_pen = Image.merge("RGBA", (*[Image.new("L", base.size, 255)] * 3, base))
    return {
        "small, off-centre": on_canvas(digit, scale=3, at=(10, 190)),
        "large, touching the edge": on_canvas(digit, size=300, scale=12, at=(0, 0)),
        "thick pen": on_canvas(digit, thicken=9),
        "dark ink on white": white_bg,
        "RGB": base.convert("RGB"),
        "transparent, black pen": transparent_black_pen,
        "transparent, white pen": transparent_white_pen,
        "numpy RGBA": np.asarray(transparent_black_pen),
        "numpy gray": np.asarray(white_bg),
    }


@pytest.mark.parametrize("name", list(variants(np.zeros((28, 28), np.uint8))))
def test_same_digit_same_input(mnist_digits, name):
    x, _ = mnist_digits
    scores = []
    for digit in x[:40]:
        reference = to_model_input(on_canvas(digit))
        scores.append(similar(reference, to_model_input(variants(digit)[name])))
    assert np.median(scores) > 0.9, f"{name}: median correlation {np.median(scores):.3f}"
    assert min(scores) > 0.6


def test_output_is_mnist_style(mnist_digits):
    x, _ = mnist_digits
    for digit in x[:50]:
        out = to_model_input(on_canvas(digit, scale=5, at=(3, 100), size=300))
        assert out.shape == (IMAGE_SIZE, IMAGE_SIZE) and out.dtype == np.float32
        assert out.min() >= 0 and out.max() == pytest.approx(1.0)
        ys, xs = np.nonzero(out > 0.05)
        assert max(ys.max() - ys.min(), xs.max() - xs.min()) + 1 <= DIGIT_BOX + 1
        cy = (out.sum(1) * np.arange(28)).sum() / out.sum()
        cx = (out.sum(0) * np.arange(28)).sum() / out.sum()
        assert abs(cy - 14) <= 0.6 and abs(cx - 14) <= 0.6


def test_mnist_digits_barely_change(mnist_digits):
    """MNIST itself was made this way, so its digits come through almost unchanged."""
    x, _ = mnist_digits
    scores = [similar(to_model_input(d), d.astype(np.float32)) for d in x[:100]]
    assert np.median(scores) > 0.9


def test_thin_pen_is_thickened(mnist_digits):
    """A hairline drawn on a big canvas must not fade to nothing at 28x28."""
    line = Image.new("L", (400, 400))
    from PIL import ImageDraw

    ImageDraw.Draw(line).line([(200, 40), (200, 360)], fill=255, width=2)
    out = to_model_input(line)
    assert (out > 0.5).sum() >= 20


@pytest.mark.parametrize(
    "image",
    [
        Image.new("L", (280, 280)),
        Image.new("L", (280, 280), 255),
        Image.new("RGBA", (280, 280), (0, 0, 0, 0)),
        Image.new("RGBA", (280, 280), (255, 255, 255, 255)),
        Image.new("RGB", (1, 1), "white"),
        np.zeros((280, 280, 4), np.uint8),
    ],
    ids=["black", "white", "transparent", "opaque white RGBA", "1x1", "numpy transparent"],
)
def test_no_ink_is_empty(image):
    assert to_model_input(image) is None


def test_faint_noise_is_empty():
    noise = np.random.default_rng(0).normal(128, 4, (200, 200)).clip(0, 255).astype(np.uint8)
    assert to_model_input(noise) is None


@pytest.mark.parametrize("mode", ["1", "L", "P", "RGB", "CMYK", "LA", "I;16", "I", "F"])
def test_any_image_mode(mnist_digits, mode):
    digit = ImageOps.invert(on_canvas(mnist_digits[0][0], size=200, scale=6))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(digit).astype(np.uint16) * 257)
    elif mode == "F":
        image = Image.fromarray(np.asarray(digit).astype(np.float32), "F")
    elif mode == "1":
        image = digit.convert("1", dither=Image.Dither.NONE)
    else:
        image = digit.convert(mode)
    out = to_model_input(image)
    # Two-level "1" images lose the anti-aliased edge, so they match a little less.
    assert similar(out, to_model_input(digit)) > (0.8 if mode == "1" else 0.9), mode


@pytest.mark.parametrize("side", [4000, 1000])
@pytest.mark.parametrize("mode", ["I;16", "P", "1", "RGBA", "LA", "RGB"])
def test_pictures_larger_than_the_working_size_in_any_mode(mode, side):
    """A 7 drawn with a thin pen on a picture larger than the working size (4000 px: reduced
    first; 1000 px: made grey first, then reduced): the thin stroke is kept, not sampled away,
    whatever the picture's mode."""
    grey = Image.new("L", (side, side * 3 // 4), 255)
    k = side / 4000
    ImageDraw.Draw(grey).line([(1200 * k, 600 * k), (2600 * k, 600 * k), (1700 * k, 2500 * k)], fill=0, width=max(2, round(4 * k)))
    if mode == "I;16":
        image = Image.fromarray(np.asarray(grey).astype(np.uint16) * 257)
    elif mode == "1":
        image = grey.convert("1", dither=Image.Dither.NONE)
    else:
        image = grey.convert(mode)
    assert similar(to_model_input(image), to_model_input(grey)) > 0.95, mode


@pytest.mark.parametrize("width", [900, 1400])
def test_a_wide_transparent_drawing_is_found_where_it_is_drawn(width):
    """A drawing wider than the working size, on a transparent canvas, is read as the same
    drawing on white: the same ink, in the same place of the picture (up to the pixel the
    reduction makes); up to twice the working size it is cropped and made grey first."""
    pen = Image.new("L", (width, 280))
    ImageDraw.Draw(pen).line([(300, 60), (360, 220), (width - 200, 100)], fill=255, width=18)
    transparent = Image.merge("RGBA", [Image.new("L", pen.size, 17)] * 3 + [pen])
    on_white = Image.composite(Image.new("L", pen.size, 17), Image.new("L", pen.size, 255), pen)
    found, expected = find_ink(transparent), find_ink(on_white)
    drawn = pen.getbbox()
    assert found.scale == pytest.approx(expected.scale) == pytest.approx(width / WORK_SIZE)
    for box in (found.box(0, 0, *found.pixels.shape[::-1]), expected.box(0, 0, *expected.pixels.shape[::-1])):
        assert all(abs(a - b) <= 2 * found.scale + 1 for a, b in zip(box, drawn)), box
    h, w = (min(a, b) for a, b in zip(found.pixels.shape, expected.pixels.shape))
    assert abs(found.pixels.shape[0] - expected.pixels.shape[0]) <= 1 and abs(found.pixels.shape[1] - expected.pixels.shape[1]) <= 1
    assert np.abs(found.pixels[:h, :w] - expected.pixels[:h, :w]).mean() < 0.02


def test_a_picture_with_alpha_is_shrunk_a_band_at_a_time_as_if_whole():
    pixels = np.random.default_rng(0).integers(0, 256, (1999, 777, 4), dtype=np.uint8)
    image = Image.fromarray(pixels, "RGBA")
    banded = np.asarray(shrunk(image, 512), dtype=int)
    whole = np.asarray(image.resize((199, 512), Image.Resampling.BOX), dtype=int)
    assert banded.shape == whole.shape
    assert np.abs(banded[..., 3] - whole[..., 3]).max() <= 1  # alpha: rounding only
    assert np.abs(banded - whole).mean() < 1  # colours under faint alpha differ a little more


def test_8_bit_values_in_a_16_bit_file_are_read_as_8_bit(mnist_digits):
    digit = ImageOps.invert(on_canvas(mnist_digits[0][0], size=200, scale=6))
    wide = Image.fromarray(np.asarray(digit).astype(np.uint16))
    assert wide.mode == "I;16" and wide.getextrema()[1] <= 255
    assert similar(to_model_input(wide), to_model_input(digit)) > 0.99


def test_photo_of_paper(mnist_digits):
    """Dark ink on paper with uneven light, noise and JPEG compression."""
    digit = mnist_digits[0][0]
    ink = np.asarray(on_canvas(digit, size=400, scale=9), dtype=np.float32) / 255
    yy, xx = np.mgrid[0:400, 0:400] / 400
    paper = 0.55 + 0.35 * xx + 0.05 * yy  # light falls off across the page
    photo = paper * (1 - 0.75 * ink) + np.random.default_rng(0).normal(0, 0.03, ink.shape)
    buf = io.BytesIO()
    Image.fromarray((photo.clip(0, 1) * 255).astype(np.uint8)).convert("RGB").save(buf, "JPEG", quality=70)
    out = to_model_input(Image.open(io.BytesIO(buf.getvalue())))
    assert similar(out, to_model_input(on_canvas(digit))) > 0.85


def test_exif_rotation_is_applied(mnist_digits):
    digit = on_canvas(mnist_digits[0][0]).convert("RGB")
    sideways = digit.transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6  # orientation: the camera was turned; rotate to display
    buf = io.BytesIO()
    sideways.save(buf, "JPEG", exif=exif, quality=95)
    out = to_model_input(Image.open(io.BytesIO(buf.getvalue())))
    assert similar(out, to_model_input(digit)) > 0.9


@pytest.mark.parametrize(
    "array, message",
    [
        (np.zeros((28, 28), np.float64), "uint8"),
        (np.zeros((28, 28, 2), np.uint8), "HxW, HxWx3 or HxWx4"),
        (np.zeros((2, 28, 28, 1), np.uint8), "HxW, HxWx3 or HxWx4"),
        ("seven.png", "PIL image or a NumPy array"),
    ],
)
def test_bad_input_fail(array, message):
    with pytest.raises(ValueError, match=message):
        to_model_input(array)


@pytest.mark.parametrize("seed", range(12))
@pytest.mark.parametrize("quality", [60, 90])
def test_photo_of_blank_paper_is_empty(photos, seed, quality):
    """Grain, noise, uneven light and dust are not a mark: no digit, rather than a guess."""
    assert to_model_input(photos.blank(seed, quality)) is None


@pytest.mark.parametrize("contrast", [0.12, 0.15, 0.25])
def test_faint_digit_photo_is_found(photos, mnist_digits, contrast):
    """A faint pencil digit on the same papers is not taken for blank paper."""
    x, _ = mnist_digits
    for seed in range(12):
        assert to_model_input(photos.digit(x[seed], contrast, seed)) is not None, f"digit {seed} lost"


@pytest.mark.parametrize("contrast", [0.15, 0.25])
def test_faint_digit_photo_looks_as_in_ink(photos, mnist_digits, contrast):
    x, _ = mnist_digits
    scores = [
        similar(to_model_input(photos.digit(x[seed], contrast, seed)), to_model_input(photos.digit(x[seed], 0.8, seed)))
        for seed in range(12)
    ]
    assert np.median(scores) > 0.8, f"median correlation with the inked digit {np.median(scores):.3f}"


@pytest.mark.parametrize("f", [1, 2, 3, 5])
def test_a_mask_shrunk_by_blocks(f):
    mask = np.random.default_rng(f).random((37, 52)) < 0.2
    padded = np.pad(mask, ((0, -37 % f), (0, -52 % f)))
    blocks = padded.reshape(padded.shape[0] // f, f, padded.shape[1] // f, f)
    assert np.array_equal(block_any(mask, f), blocks.any(axis=(1, 3)))
    assert np.array_equal(block_mean(mask, f), blocks.mean(axis=(1, 3)).astype(np.float32))
