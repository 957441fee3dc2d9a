"""The committed model reads digits in hands it never trained on, and says "not sure" to letters and signs.

Drawn as on the canvas from Debian fonts that training never uses (bench/heldout.py measures
all of them); skipped where those fonts are not installed."""

from pathlib import Path

import numpy as np
import pytest

from bench.heldout import draw, mnist_style_digits

FONTS = {
    "Liberation Sans": "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "DejaVu Sans": "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    "Humor Sans": "/usr/share/fonts/truetype/humor-sans/Humor-Sans.ttf",
    "Comic Neue": "/usr/share/fonts/opentype/comic-neue/ComicNeue-Regular.otf",
}


def _font(name):
    path = FONTS[name]
    if not Path(path).is_file():
        pytest.skip(f"{name} not installed ({path}; `python -m bench.heldout` installs it)")
    return path


@pytest.mark.parametrize("name", list(FONTS))
@pytest.mark.parametrize("sign", ["+", "A", "E", "*", "#"])
def test_drawn_letter_or_sign_is_not_sure(recognizer, name, sign):
    path = _font(name)
    rng = np.random.default_rng(0)
    readings = [recognizer.predict(draw(path, sign, rng)) for _ in range(5)]
    assert [r.status for r in readings].count("uncertain") >= 4, [(r.digit, round(r.confidence, 2)) for r in readings]
    assert all(len(r.top2) == 2 for r in readings)  # the two best guesses, as the page shows them


@pytest.mark.parametrize("name", list(FONTS))
def test_drawn_digits_are_read(recognizer, name):
    path = _font(name)
    rng = np.random.default_rng(0)
    wrong = []
    for digit in range(10):
        for _ in range(3):
            r = recognizer.predict(draw(path, str(digit), rng))
            if r.digit != digit:
                wrong.append((digit, r.digit, r.status))
    assert len(wrong) <= 1, wrong
    assert not [w for w in wrong if w[2] == "ok"], wrong


def test_held_out_digits_drawn_as_mnist_has_its_digits(recognizer):
    """The numbers benchmark's font digits (`bench.numbers --digits fonts`): 28x28, white on
    black, fitted into 20x20 and centred by mass as MNIST's are, so that `write_number` can
    redraw them like MNIST digits; the model reads them."""
    _font("Liberation Sans")
    x, y = mnist_style_digits(["fonts-liberation"])
    assert x.dtype == np.uint8 and x.shape[1:] == (28, 28) and sorted(set(y.tolist())) == list(range(10))
    rows, cols = np.nonzero(x[0] > 0)
    assert max(rows.max() - rows.min(), cols.max() - cols.min()) + 1 == 20
    mass = x[0].astype(float)
    centre = [(np.indices(mass.shape)[a] * mass).sum() / mass.sum() for a in (0, 1)]
    assert all(abs(c - 14) <= 1 for c in centre)
    read = recognizer.predict_batch(list(x))
    assert np.mean([r.digit == label for r, label in zip(read, y)]) >= 0.9
