"""What the page shows for a whole number, as plain functions: the number card (HTML) and the
pictures in it (PNG). No Streamlit, no model calls; the single digit's card is app/render.py.

    >>> html = number_html(reading, canvas_rgba, "digit-result")   # <div ... data-number="20?6">
    >>> boxes_picture(canvas_rgba, reading)                        # the drawing, its digits outlined

The card: the number large (a digit it is not sure of as "?", and a line that says which one
and its two best guesses), each digit's 28x28 model input with its digit and confidence, and
the boxes the digits were found in outlined on a small copy of the picture, numbered, so a
wrong split shows at a glance.
"""

from __future__ import annotations

import html

import numpy as np
from PIL import Image, ImageDraw

from app.numbers import NumberReading
from app.reading import Status, percent
from app.render import _a, _png, input_picture, preview

BOXES_WIDTH = 320  # the small copy of the picture is at most this wide...
BOXES_HEIGHT = 160  # ...and this high
SURE_RGB = (79, 70, 229)  # the page's indigo: a digit it is sure of
UNSURE_RGB = (217, 119, 6)  # amber: a digit shown as "?"


def ordinal(n: int) -> str:
    """1 -> "1st", 2 -> "2nd", 3 -> "3rd", 4 -> "4th", 11 -> "11th", 22 -> "22nd"."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def number_html(reading: NumberReading, picture, kind: str = "digit-result", source: str = "drawing") -> str:
    """The number card for a reading of two or more digits; its outer div carries the data-*
    attributes the browser tests read (data-number, data-digits: how many were found).

    `picture` is what was read (the boxes are in its pixels); `kind` "digit-result" (Draw) or
    "upload-result" (Upload); `source` names the picture in the wording."""
    assert kind in ("digit-result", "upload-result"), f"unknown result kind {kind!r}"
    assert reading.status in (Status.OK, Status.UNCERTAIN) and reading.digits, "a number card needs digits"
    attributes = (
        f'class="{kind}" data-kind="number" data-status="{reading.status}" data-number="{html.escape(reading.number or "")}" '
        f'data-digits="{len(reading.digits)}" data-digit="" data-confidence=""'
    )
    shown = "".join(
        '<span class="dr-unsure">?</span>' if d.prediction.status != Status.OK else str(d.prediction.digit)
        for d in reading.digits
    )
    head = (
        f'<div class="dr-head"><div class="dr-digit dr-number">{shown}</div>'
        f'<div class="dr-verdict">{_verdict(reading, source)}</div></div>'
    )
    return (
        f"<div {attributes}>{head}{_digit_row(reading)}"
        f'<figure class="dr-boxes"><img alt="the drawing with the box of each digit it found" '
        f'src="{_png(boxes_picture(picture, reading))}">'
        f"<figcaption>Where it found each digit: a wrong box means a wrong split.</figcaption></figure></div>"
    )


def _verdict(reading: NumberReading, source: str) -> str:
    count = len(reading.digits)
    if reading.status == Status.OK:
        least = min(d.prediction.confidence for d in reading.digits)
        return (
            f'<div class="dr-big">{count} digits</div>'
            f'<div class="dr-muted">It reads your {source} as {html.escape(reading.number or "")}, '
            f"each digit at least {percent(least)} sure.</div>"
        )
    lines = []
    for i in reading.unsure:
        (first, p1), (second, p2) = reading.digits[i].prediction.top2
        lines.append(
            f'<div class="dr-muted dr-unsure-digit" data-position="{i + 1}">Not sure of the {ordinal(i + 1)} digit: '
            f"maybe {_a(first, bold=True)} ({percent(p1)}) or {_a(second, bold=True)} ({percent(p2)}).</div>"
        )
    return f'<div class="dr-big">Not sure</div>{"".join(lines)}'


def _digit_row(reading: NumberReading) -> str:
    """Each digit's 28x28 model input, with its digit (or "?") and confidence under it."""
    figures = []
    for i, d in enumerate(reading.digits, start=1):
        p = d.prediction
        sure = p.status == Status.OK
        label = f"{p.digit}" if sure else "?"
        figures.append(
            f'<figure class="dr-part{"" if sure else " dr-part-unsure"}" data-digit="{p.digit}" data-status="{p.status}">'
            f'<img alt="digit {i} as the model sees it" src="{_png(input_picture(p.model_input))}">'
            f"<figcaption><b>{label}</b> {percent(p.confidence)}</figcaption></figure>"
        )
    return f'<div class="dr-parts">{"".join(figures)}</div>'


def boxes_picture(picture, reading: NumberReading) -> Image.Image:
    """A small RGB copy of `picture` (a canvas array or any PIL image) with each digit's box
    outlined and numbered: indigo where the digit is sure, amber where it shows as "?"."""
    image = Image.fromarray(np.ascontiguousarray(picture)) if isinstance(picture, np.ndarray) else picture
    full_width = image.width
    if image.mode not in ("L", "RGB", "RGBA"):
        image = preview(image, max(image.size))  # 16-bit, palette, ...: as a browser shows them
    scale = min(BOXES_WIDTH / image.width, BOXES_HEIGHT / image.height, 1.0)
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    small = image.resize(size, Image.Resampling.BOX) if size != image.size else image.copy()
    if small.mode == "RGBA":
        backdrop = Image.new("RGBA", small.size, (255, 255, 255, 255))
        small = Image.alpha_composite(backdrop, small)
    small = small.convert("RGB")
    scale = small.width / full_width
    draw = ImageDraw.Draw(small)
    for i, d in enumerate(reading.digits, start=1):
        colour = SURE_RGB if d.prediction.status == Status.OK else UNSURE_RGB
        x0, y0, x1, y1 = (v * scale for v in d.box)
        x0, y0 = max(0.0, x0 - 1), max(0.0, y0 - 1)
        x1, y1 = min(small.width - 1.0, x1), min(small.height - 1.0, y1)
        draw.rectangle((x0, y0, x1, y1), outline=colour, width=2)
        draw.text((x0 + 3, y0 + 2), str(i), fill=colour)
    return small
