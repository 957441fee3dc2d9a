"""The committed model reads real drawings and photos, and is honest about non-digits.

A sample of the conditions that `make bench` measures in full (bench/robustness.py)."""

import numpy as np
import pytest

from bench.conditions import CONDITIONS, NON_DIGITS
from bench.robustness import markdown, pen_widths


def test_mnist_fixture(recognizer, mnist_digits):
    x, y = mnist_digits
    results = recognizer.predict_batch(list(x))
    assert np.mean([r.digit for r in results] == y) >= 0.99


@pytest.mark.parametrize("condition", list(CONDITIONS))
def test_condition(recognizer, mnist_digits, condition):
    x, y = mnist_digits
    rng = np.random.default_rng(1)
    results = recognizer.predict_batch([CONDITIONS[condition](d, rng) for d in x[:200]])
    accuracy = np.mean([r.digit == label for r, label in zip(results, y[:200])])
    assert accuracy >= 0.975, f"{condition}: {accuracy:.1%}"


def test_an_even_pen_of_any_width_is_read(recognizer, mnist_digits):
    """From a pencil (4 px on a 220 px digit) to the app's widest pen (40 px)."""
    x, y = mnist_digits
    accuracy = pen_widths(recognizer, x[:200], y[:200])
    assert list(accuracy) == [4, 10, 18, 28, 40]
    assert min(accuracy.values()) >= 0.975, accuracy


def test_the_benchmark_table_shows_every_pen_width():
    result = {"n": 2, "conditions": {}, "non_digits": {}, "pen_widths": {4: 0.5, 40: 1.0}}
    assert markdown(result).splitlines()[-2:] == [
        "|---|---:|---:|",
        "| our app | 50.00% | 100.00% |",
    ]


@pytest.mark.parametrize("kind", list(NON_DIGITS))
def test_non_digits_are_mostly_not_sure(recognizer, kind):
    rng = np.random.default_rng(2)
    results = recognizer.predict_batch([NON_DIGITS[kind](rng) for _ in range(60)])
    confident = np.mean([r.status == "ok" for r in results])
    assert confident <= 0.5, f"{kind}: {confident:.0%} read as a confident digit"


@pytest.mark.parametrize("condition", ["small (40-80 px)", "thick pen (28-40 px)", "light canvas", "transparent canvas"])
def test_same_digit_same_answer(recognizer, mnist_digits, condition):
    """The same digit drawn another way gets the same answer as drawn plainly."""
    x, _ = mnist_digits
    rng = np.random.default_rng(3)
    plain = [r.digit for r in recognizer.predict_batch([CONDITIONS["canvas, centred"](d, rng) for d in x[:100]])]
    other = [r.digit for r in recognizer.predict_batch([CONDITIONS[condition](d, rng) for d in x[:100]])]
    assert np.mean(np.array(plain) == np.array(other)) >= 0.97
