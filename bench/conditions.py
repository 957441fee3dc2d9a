"""Real-world test sets made from MNIST test digits, and non-digits that should get "not sure".

Each condition turns a 28x28 MNIST digit into what the app really receives: a canvas drawing
(small or large, anywhere, thin or thick pen, transparent, dark or light background) or a photo
of ink on paper (uneven light, noise, blur, JPEG). `bench/robustness.py` measures the model on
each; `tests/app/test_robustness.py` checks a sample of them on the committed model.

    >>> image = CONDITIONS["thin pen"](digit, np.random.default_rng(0))   # a PIL image
"""

from __future__ import annotations

import io
from collections.abc import Callable

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

from train.strokes import redraw

CANVAS = 280  # the app's canvas size in pixels


def _ink(digit: np.ndarray, size: int) -> Image.Image:
    """The digit's ink scaled to size x size (white on black, 'L')."""
    return Image.fromarray(digit).resize((size, size), Image.Resampling.BICUBIC)


def _place(ink: Image.Image, rng: np.random.Generator, canvas: int = CANVAS) -> Image.Image:
    """Paste the ink at a random place on a black canvas; the drawing may touch the edges."""
    out = Image.new("L", (canvas, canvas))
    x = int(rng.integers(0, max(1, canvas - ink.width + 1)))
    y = int(rng.integers(0, max(1, canvas - ink.height + 1)))
    out.paste(ink, (x, y))
    return out


def centred(digit, rng):
    return _place(_ink(digit, 220), rng)


def small(digit, rng):
    return _place(_ink(digit, int(rng.integers(40, 80))), rng)


def large_anywhere(digit, rng):
    return _place(_ink(digit, int(rng.integers(240, 340))), rng)  # may run off the canvas


def anywhere(digit, rng):
    return _place(_ink(digit, int(rng.integers(60, 240))), rng)


def pen(width: int) -> Callable[[np.ndarray, np.random.Generator], Image.Image]:
    """A condition: the digit at the centred size, redrawn as on the canvas with a round pen
    exactly `width` pixels wide (its skeleton traced with that pen, `train/strokes.py`)."""
    return lambda digit, rng: _place(redraw(_ink(digit, 220), width), rng)


def thin_pen(digit, rng):
    return pen(int(rng.integers(3, 7)))(digit, rng)


def thick_pen(digit, rng):
    return pen(int(rng.integers(28, 40)))(digit, rng)


def on_transparent(ink: Image.Image) -> Image.Image:
    """White-on-black ink ('L') as the canvas component's transparent background with a black pen."""
    black = Image.new("L", ink.size)
    return Image.merge("RGBA", (black, black, black, ink))


def on_dark(ink: Image.Image) -> Image.Image:
    """White-on-black ink ('L') as the page's light pen on dark paper."""
    return _coloured(ink, np.array([24, 28, 38]), np.array([245, 245, 245]))


def on_light(ink: Image.Image) -> Image.Image:
    """White-on-black ink ('L') as the page's dark pen on light paper."""
    return _coloured(ink, np.array([255, 255, 255]), np.array([20, 20, 80]))


def _coloured(ink: Image.Image, bg: np.ndarray, pen: np.ndarray) -> Image.Image:
    share = np.asarray(ink, dtype=np.float32) / 255
    return Image.fromarray((bg + share[..., None] * (pen - bg)).astype(np.uint8), "RGB")


# The three canvases people draw on: ink ('L', white on black) -> the picture the app receives.
CANVAS_STYLES: dict[str, Callable[[Image.Image], Image.Image]] = {
    "transparent canvas": on_transparent,
    "dark canvas": on_dark,
    "light canvas": on_light,
}


def transparent(digit, rng):
    """The canvas component's transparent background, with a black pen (alpha carries the ink)."""
    return on_transparent(anywhere(digit, rng))


def dark_canvas(digit, rng):
    return on_dark(anywhere(digit, rng))


def light_canvas(digit, rng):
    return on_light(anywhere(digit, rng))


def photo(digit, rng):
    """Dark ink on paper, photographed: light falling off across the page, a warm tint, sensor
    noise, slight blur, JPEG compression."""
    size = 400
    ink = np.asarray(_place(_ink(digit, int(rng.integers(150, 330))), rng, size), dtype=np.float32) / 255
    yy, xx = np.mgrid[0:size, 0:size] / size
    angle = rng.uniform(0, 2 * np.pi)
    light = 0.78 + 0.2 * (np.cos(angle) * (xx - 0.5) + np.sin(angle) * (yy - 0.5)) * 2 * rng.uniform(0.3, 1)
    strength = rng.uniform(0.55, 0.85)
    gray = light * (1 - strength * ink)
    tint = np.array([1.0, 0.97, 0.9])
    rgb = gray[..., None] * tint + rng.normal(0, 0.025, (size, size, 3))
    image = Image.fromarray((rgb.clip(0, 1) * 255).astype(np.uint8), "RGB").filter(ImageFilter.GaussianBlur(0.8))
    buf = io.BytesIO()
    image.save(buf, "JPEG", quality=int(rng.integers(50, 85)))
    return Image.open(io.BytesIO(buf.getvalue()))


CONDITIONS: dict[str, Callable[[np.ndarray, np.random.Generator], Image.Image]] = {
    "canvas, centred": centred,
    "small (40-80 px)": small,
    "large, off the edge": large_anywhere,
    "anywhere, any size": anywhere,
    "thin pen (3-6 px)": thin_pen,
    "thick pen (28-40 px)": thick_pen,
    "transparent canvas": transparent,
    "dark canvas": dark_canvas,
    "light canvas": light_canvas,
    "photo of paper": photo,
}


# --- things that are not digits -------------------------------------------------------


def scribble(rng):
    """A random tangle of strokes."""
    img = Image.new("L", (CANVAS, CANVAS))
    draw = ImageDraw.Draw(img)
    points = [tuple(p) for p in rng.integers(20, CANVAS - 20, size=(int(rng.integers(8, 20)), 2))]
    draw.line(points, fill=255, width=int(rng.integers(10, 24)), joint="curve")
    return img


def blob(rng):
    """A filled shape: an ink blot."""
    img = Image.new("L", (CANVAS, CANVAS))
    draw = ImageDraw.Draw(img)
    for _ in range(int(rng.integers(1, 4))):
        x, y = rng.integers(40, 200, size=2)
        w, h = rng.integers(40, 120, size=2)
        draw.ellipse([int(x), int(y), int(x + w), int(y + h)], fill=255)
    return img


def picture(rng):
    """A photo-like picture: gradients, shapes and noise."""
    yy, xx = np.mgrid[0:CANVAS, 0:CANVAS] / CANVAS
    base = 0.5 + 0.3 * np.sin(xx * rng.uniform(2, 8)) * np.cos(yy * rng.uniform(2, 8))
    base += rng.normal(0, 0.08, base.shape)
    img = Image.fromarray((base.clip(0, 1) * 255).astype(np.uint8), "L")
    draw = ImageDraw.Draw(img)
    for _ in range(6):
        x, y = rng.integers(0, CANVAS, size=2)
        r = int(rng.integers(10, 60))
        draw.rectangle([int(x), int(y), int(x) + r, int(y) + r], fill=int(rng.integers(0, 255)))
    return img.convert("RGB")


def hash_grid(rng):
    """A grid of crossing lines, like '#' drawn large."""
    img = Image.new("L", (CANVAS, CANVAS))
    draw = ImageDraw.Draw(img)
    n = int(rng.integers(3, 6))
    w = int(rng.integers(8, 18))
    for i in range(n):
        p = 30 + i * (220 // max(1, n - 1))
        draw.line([(p, 20), (p + int(rng.integers(-20, 20)), 260)], fill=255, width=w)
        draw.line([(20, p), (260, p + int(rng.integers(-20, 20)))], fill=255, width=w)
    return img


NON_DIGITS = {"scribble": scribble, "blob": blob, "picture": picture, "grid of lines": hash_grid}


def tutorial_input(image: Image.Image) -> np.ndarray:
    """What a tutorial app feeds its model: the whole picture resized to 28x28, grey, as is."""
    gray = image.convert("L") if image.mode != "RGBA" else image.getchannel("A")
    return np.asarray(gray.resize((28, 28), Image.Resampling.BILINEAR), dtype=np.float32) / 255.0


__all__ = ["CANVAS_STYLES", "CONDITIONS", "NON_DIGITS", "pen", "tutorial_input"]
