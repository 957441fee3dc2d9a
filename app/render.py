"""What the page shows, as plain functions: the result card (HTML), the pictures in it (PNG),
the model card, the dataset's chart and captions. No Streamlit, no model calls.

    >>> html = result_html(reading, "digit-result")   # <div class="digit-result" data-status="ok" ...>
    >>> card_html(recognizer.card)                    # the sidebar's model card
"""

from __future__ import annotations

import base64
import html
import io
import os
from dataclasses import dataclass

import numpy as np
from PIL import Image

from app.dataset import Example, label_name
from app.images import eight_bit_grey
from app.reading import Reading, Status, percent
from app.recognizer import Prediction

INPUT_ZOOM = 4  # the 28x28 model input is shown at 112x112, each pixel a crisp 4x4 block
SUPPORT_RGB = np.array([230, 57, 70], dtype=np.float32)  # red: ink that made it this digit
AGAINST_RGB = np.array([58, 134, 255], dtype=np.float32)  # blue: ink that argued against it


@dataclass(frozen=True)
class Scheme:
    """Pen and paper colours of the canvas."""

    pen: str
    paper: str


SCHEMES = {
    "Dark pen on light paper": Scheme(pen="#111111", paper="#ffffff"),
    "Light pen on dark paper": Scheme(pen="#ffffff", paper="#000000"),
}


def example_caption(example: Example) -> str:
    """"7", or "7 · read as 1" when the model got it wrong ("not a digit · read as 4"); a whole
    number "2046", "2046 · read as 20?6"."""
    if example.number is not None:
        read = "" if example.predicted in (None, example.number) else f" · read as {example.predicted}"
        return f"{example.number}{read}"
    if example.predicted is None or example.predicted == example.label:
        return label_name(example.label)
    return f"{label_name(example.label)} · read as {example.predicted}"


def preview(image: Image.Image, side: int = 560) -> Image.Image:
    """A copy of an uploaded picture any browser can show (8-bit, at most `side` pixels)."""
    if image.mode.startswith("I") or image.mode == "F":
        image = eight_bit_grey(image)
    elif image.mode not in ("L", "RGB", "RGBA"):
        image = image.convert("RGBA")
    image = image.copy()
    image.thumbnail((side, side), Image.Resampling.LANCZOS)
    return image


def counts_chart(counts: dict[int, int]):
    """A bar chart of drawings per label (Altair, imported only when the dataset is shown)."""
    import altair as alt

    rows = [{"digit": label_name(label), "drawings": n} for label, n in counts.items()]
    return (
        alt.Chart(alt.Data(values=rows))
        .mark_bar(color="#4f46e5", cornerRadiusTopLeft=4, cornerRadiusTopRight=4)
        .encode(
            x=alt.X("digit:O", sort=None, axis=alt.Axis(labelAngle=0, title=None)),
            y=alt.Y("drawings:Q", axis=alt.Axis(title="drawings", tickMinStep=1)),
            tooltip=["digit:O", "drawings:Q"],
        )
        .properties(height=200)
    )


def card_rows(card: dict) -> list[tuple[str, str]]:
    """The model card as (label, value) rows, formatted for people."""
    accuracy = card.get("accuracy")
    created = card.get("created") or ""
    return [
        ("Version", str(card.get("version") or "unknown")),
        ("MNIST accuracy", "unknown" if accuracy is None else f"{accuracy * 100:.2f} %"),
        ("Size", f"{card.get('size_bytes', 0) / 1024:,.0f} KB"),
        ("Opset", str(card.get("opset") or "unknown")),
        ("Created", created[:10] or "unknown"),
        ("Precision", str(card.get("precision") or "unknown")),
    ]


def card_html(card: dict) -> str:
    rows = "".join(
        f"<tr><th>{html.escape(label)}</th><td>{html.escape(value)}</td></tr>" for label, value in card_rows(card)
    )
    return f'<table class="model-card">{rows}</table>'


def result_html(result: Reading, kind: str = "digit-result", source: str = "drawing") -> str:
    """The result card; its outer div carries the data-* attributes the browser tests read.

    `kind` is "digit-result" (Draw) or "upload-result" (Upload); `source` names the picture in
    the wording ("drawing", "picture").
    """
    assert kind in ("digit-result", "upload-result"), f"unknown result kind {kind!r}"
    digit = "" if result.digit is None or result.status in (Status.EMPTY, Status.ERROR) else str(result.digit)
    confidence = "" if result.confidence is None or not digit else f"{result.confidence:.4f}"
    attributes = f'class="{kind}" data-status="{result.status}" data-digit="{digit}" data-confidence="{confidence}"'
    return f"<div {attributes}>{_body(result, source)}</div>"


def _body(result: Reading, source: str) -> str:
    if result.status == Status.ERROR:
        return '<div class="dr-empty"><div class="dr-empty-title">No answer</div>' \
            f'<div class="dr-muted">{html.escape(result.message or "")}</div></div>'
    if result.status == Status.EMPTY:
        if source == "drawing":
            return (
                '<div class="dr-empty"><div class="dr-empty-title">Draw a digit, 0 to 9</div>'
                '<div class="dr-muted">Use the whole box. You will see what the model reads as you '
                "draw, how sure it is, and why.</div></div>"
            )
        return (
            '<div class="dr-empty"><div class="dr-empty-title">No digit found</div>'
            '<div class="dr-muted">The picture looks blank to the model. Try a photo with darker '
            "ink, closer to the digit.</div></div>"
        )
    prediction = result.prediction
    assert prediction is not None and prediction.digit is not None, "a result with a digit needs a prediction"
    if result.status == Status.OK:
        head = (
            f'<div class="dr-digit">{prediction.digit}</div>'
            f'<div class="dr-verdict"><div class="dr-big">{percent(prediction.confidence)} sure</div>'
            f'<div class="dr-muted">It reads your {source} as {_a(prediction.digit)}.</div></div>'
        )
    else:
        (first, p1), (second, p2) = prediction.top2
        head = (
            '<div class="dr-digit dr-unsure">?</div>'
            '<div class="dr-verdict"><div class="dr-big">Not sure</div>'
            f'<div class="dr-muted">Maybe {_a(first, bold=True)} ({percent(p1)}) or {_a(second, bold=True)} '
            f"({percent(p2)}).</div></div>"
        )
    return (
        f'<div class="dr-head">{head}</div>'
        f"{_bars(prediction)}"
        '<div class="dr-pics">'
        f'<figure><img alt="the 28x28 input the model sees" src="{_png(input_picture(prediction.model_input))}">'
        "<figcaption>What the model sees</figcaption></figure>"
        f'<figure><img alt="why: red ink supports the answer, blue argues against" '
        f'src="{_png(evidence_picture(prediction.model_input, result.evidence))}">'
        f"<figcaption>Why {_a(prediction.digit)}</figcaption></figure>"
        '<div class="dr-legend">'
        f'<div><span class="dr-key dr-key-red"></span>ink that makes it {_a(prediction.digit)}</div>'
        '<div><span class="dr-key dr-key-blue"></span>ink that argues against it</div>'
        f'<div class="dr-muted">The model sees your {source} as MNIST digits are stored: '
        "28×28 pixels, white on black, centred.</div>"
        "</div></div>"
    )


def _a(digit: int, bold: bool = False) -> str:
    """"a 7", "an 8" (and "an 8" with the digit in bold when `bold`)."""
    shown = f"<b>{digit}</b>" if bold else str(digit)
    return f"{'an' if digit == 8 else 'a'} {shown}"


def _bars(prediction: Prediction) -> str:
    """Ten probability columns, the most likely digit highlighted."""
    columns = []
    for digit, p in enumerate(prediction.probabilities):
        top = " dr-top" if digit == prediction.digit else ""
        value = percent(p) if p >= 0.01 else ""
        columns.append(
            f'<div class="dr-col{top}" title="{digit}: {percent(p)}">'
            f'<div class="dr-val">{value.replace(" %", "%")}</div>'
            f'<div class="dr-track"><div class="dr-fill" style="height:{max(p * 100, 0.0):.1f}%"></div></div>'
            f'<div class="dr-lab">{digit}</div></div>'
        )
    return f'<div class="dr-bars" aria-label="probability of each digit">{"".join(columns)}</div>'


def input_picture(model_input: np.ndarray) -> Image.Image:
    """The 28x28 model input (white on black), enlarged with nearest-neighbour: crisp pixels."""
    pixels = np.rint(np.clip(model_input, 0, 1) * 255).astype(np.uint8)
    return Image.fromarray(_zoom(pixels), "L")


def evidence_picture(model_input: np.ndarray, evidence: np.ndarray | None) -> Image.Image:
    """The model input dimmed, with red where the ink supports the answer and blue where it
    argues against; colour strength follows the evidence, relative to its largest value."""
    base = np.clip(model_input, 0, 1)[..., None] * np.float32(90)
    rgb = np.repeat(base, 3, axis=2)
    if evidence is not None:
        scale = float(np.abs(evidence).max())
        if scale > 1e-6:
            strength = np.clip(np.abs(evidence) / scale, 0, 1) ** 0.6
            colour = np.where((evidence >= 0)[..., None], SUPPORT_RGB, AGAINST_RGB)
            alpha = strength[..., None]
            rgb = rgb * (1 - alpha) + colour * alpha
    return Image.fromarray(_zoom(np.rint(rgb).astype(np.uint8)), "RGB")


def thumbnail(path: str | os.PathLike, side: int = 96) -> bytes:
    """A small PNG of a saved drawing for the dataset grid (transparent parts on white)."""
    with Image.open(path) as image:
        image.thumbnail((side, side), Image.Resampling.LANCZOS)
        if image.mode in ("RGBA", "LA", "P"):
            image = image.convert("RGBA")
            backdrop = Image.new("RGBA", image.size, (255, 255, 255, 255))
            image = Image.alpha_composite(backdrop, image).convert("RGB")
        buffer = io.BytesIO()
        image.save(buffer, format="PNG")
    return buffer.getvalue()


def _zoom(pixels: np.ndarray) -> np.ndarray:
    return np.repeat(np.repeat(pixels, INPUT_ZOOM, axis=0), INPUT_ZOOM, axis=1)


def _png(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")
