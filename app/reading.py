"""One vocabulary for what became of a picture, shared by the recognizer, the page and the CLI.

    >>> reading = Reading(Status.OK, prediction)     # or Reading(Status.ERROR, message="...")
    >>> percent(0.4321)                              # "43.2 %"
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from app.recognizer import Prediction


class Status(StrEnum):
    """How a reading went; the values are what JSON output and the page's data-status carry."""

    OK = "ok"  # trust the digit
    UNCERTAIN = "uncertain"  # the digit is only the best guess
    EMPTY = "empty"  # no ink
    ERROR = "error"  # the picture could not be read; `message` says why


@dataclass(frozen=True)
class Reading:
    """What to show for one picture: its status, the prediction (when there is ink), why the
    model chose it (`evidence`, a 28x28 map) and a message (the reason for an error, or a note)."""

    status: Status
    prediction: Prediction | None = None
    evidence: np.ndarray | None = None
    message: str | None = None

    @property
    def digit(self) -> int | None:
        return None if self.prediction is None else self.prediction.digit

    @property
    def confidence(self) -> float | None:
        return None if self.prediction is None else self.prediction.confidence


@dataclass(frozen=True)
class Outcome:
    """How an action (a save, a delete) went, in a sentence for the person who asked."""

    ok: bool
    message: str


def percent(p: float, decimals: int = 1) -> str:
    """0.99996 -> ">99.9 %", 0.4321 -> "43.2 %", 0.00004 -> "<0.1 %"."""
    if p > 0.999:
        return ">99.9 %"
    if 0 < p < 0.001:
        return "<0.1 %"
    return f"{p * 100:.{decimals}f} %"


def sentence(text: str) -> str:
    """`text` stripped and ending with a full stop (or its own ! or ?)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."
