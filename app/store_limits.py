"""How much the drawing store takes from strangers: a quota for the whole store, and for each
browser session a most number of saves and a shortest time between two.

    >>> limits = Limits.from_env()            # DIGITS_STORE_QUOTA_MB, DIGITS_SESSION_SAVES, ...
    >>> limits.check(used=..., adding=..., session_saves=3, last_save=..., now=...)  # or raises

Every refusal is a `SaveRefused` (a ValueError) whose message the page can show as it is.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from app.contract import QUOTA_ENV, SAVE_INTERVAL_ENV, SESSION_SAVES_ENV

MIB = 1024 * 1024
# deploy/k8s.yaml gives the store a 1 GiB volume; a ZIP export is written beside the store
# while it is downloaded, so the store may fill a little under half of it.
DEFAULT_QUOTA_MB = 400
DEFAULT_SESSION_SAVES = 300  # a visitor drawing every digit thirty times
DEFAULT_SAVE_INTERVAL = 1.0  # seconds: one save a second


class SaveRefused(ValueError):
    """A save the limits do not allow; nothing was written."""


@dataclass(frozen=True)
class Limits:
    quota_bytes: int = DEFAULT_QUOTA_MB * MIB
    session_saves: int = DEFAULT_SESSION_SAVES
    save_interval: float = DEFAULT_SAVE_INTERVAL

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Limits:
        """The limits from the environment, each falling back to its default when unset."""
        environ = os.environ if environ is None else environ
        return cls(
            quota_bytes=int(_number(environ, QUOTA_ENV, DEFAULT_QUOTA_MB) * MIB),
            session_saves=int(_number(environ, SESSION_SAVES_ENV, DEFAULT_SESSION_SAVES)),
            save_interval=_number(environ, SAVE_INTERVAL_ENV, DEFAULT_SAVE_INTERVAL),
        )

    def check(
        self,
        used: int,
        adding: int,
        session_saves: int | None = None,
        last_save: datetime | None = None,
        now: datetime | None = None,
    ) -> None:
        """Raise SaveRefused unless `adding` more bytes fit and the session may save now.
        `session_saves` and `last_save` are None for saves that no browser session made."""
        if session_saves is not None and session_saves >= self.session_saves:
            raise SaveRefused(
                f"this visit has saved {session_saves} drawings, the most one visit may. Thank you"
            )
        if last_save is not None and now is not None:
            waited = (now - last_save).total_seconds()
            if 0 <= waited < self.save_interval:
                raise SaveRefused(f"one save every {self.save_interval:g} s at most; press it again in a moment")
        if used + adding > self.quota_bytes:
            raise SaveRefused(
                f"the drawing store is full ({used / MIB:.0f} MiB of its {self.quota_bytes / MIB:.0f} MiB); "
                "nothing was saved. The operator can export and delete drawings to make room"
            )


def _number(environ: Mapping[str, str], name: str, default: float) -> float:
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"{name} must be a number, got {text!r}") from None
    if not value >= 0 or value == float("inf"):
        raise ValueError(f"{name} must be a non-negative number, got {text!r}")
    return value
