"""Who is the operator: the one person who sees every saved drawing, approves them for
training, downloads and deletes them. Everyone else is a visitor who sees only their own.

Two ways to sign in, chosen by what the operator configured:

- "oidc": Streamlit's own `st.login`, when `.streamlit/secrets.toml` has an `[auth]` section;
  the operators are the e-mail addresses listed under `[operators] emails = [...]`.
- "token": otherwise a token from $DIGITS_OPERATOR_TOKEN (at least `MIN_TOKEN_CHARS`), compared
  in constant time; each failed attempt makes the next one wait longer (`TokenGate`).
- "off": neither; the page says how to turn the operator view on.

    >>> how = sign_in_mode(secrets, os.environ)        # Mode("token", ...) / Mode("off", why)
    >>> gate = TokenGate(token); gate.check(typed)     # True or False, after any wait
"""

from __future__ import annotations

import hmac
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from app.contract import OPERATOR_TOKEN_ENV

MIN_TOKEN_CHARS = 16
FIRST_WAIT = 1.0  # seconds before the attempt after a failure; doubled after each further one
MAX_WAIT = 30.0
HOW_TO_TURN_ON = (
    f"The operator view is off. To turn it on, set {OPERATOR_TOKEN_ENV} to a secret of at least "
    f"{MIN_TOKEN_CHARS} characters, or configure Streamlit's sign-in (st.login) with an [auth] "
    "section and [operators] emails = [...] in .streamlit/secrets.toml."
)


@dataclass(frozen=True)
class Mode:
    """How the operator signs in: "oidc", "token" or "off"; `note` says why it is off."""

    kind: str
    note: str | None = None
    token: str | None = None
    emails: frozenset[str] = frozenset()


def sign_in_mode(secrets: Mapping, environ: Mapping[str, str]) -> Mode:
    """The sign-in the operator configured: OIDC in `secrets` first, else the token."""
    if "auth" in secrets:
        listed = (secrets.get("operators") or {}).get("emails") or []
        emails = frozenset(str(e).strip().lower() for e in listed if str(e).strip())
        if not emails:
            return Mode("off", "Sign-in (st.login) is configured, but no operator is listed: add "
                               "[operators] emails = [\"you@example.org\"] to .streamlit/secrets.toml.")
        return Mode("oidc", emails=emails)
    token = environ.get(OPERATOR_TOKEN_ENV, "")
    if token:
        if len(token) < MIN_TOKEN_CHARS:
            return Mode("off", f"{OPERATOR_TOKEN_ENV} is shorter than {MIN_TOKEN_CHARS} characters, so the "
                               "operator view stays off. Set a longer secret.")
        return Mode("token", token=token)
    return Mode("off", HOW_TO_TURN_ON)


def is_operator_email(mode: Mode, email: object) -> bool:
    """Whether a signed-in user's e-mail is one of the operators'."""
    return mode.kind == "oidc" and isinstance(email, str) and email.strip().lower() in mode.emails


class TokenGate:
    """Checks typed tokens against the operator's, in constant time, one attempt at a time per
    process; after a failure the next attempt (anyone's) waits FIRST_WAIT, doubling up to
    MAX_WAIT, until one succeeds."""

    def __init__(
        self,
        token: str,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        assert len(token) >= MIN_TOKEN_CHARS, "sign_in_mode refuses short tokens"
        self._token = token.encode("utf-8")
        self._clock, self._sleep = clock, sleep
        self._lock = threading.Lock()
        self.failures = 0
        self._next_try = 0.0

    def check(self, typed: object) -> bool:
        with self._lock:
            wait = self._next_try - self._clock()
            if wait > 0:
                self._sleep(wait)
            given = typed.encode("utf-8") if isinstance(typed, str) else b""
            ok = hmac.compare_digest(given, self._token)
            if ok:
                self.failures, self._next_try = 0, 0.0
            else:
                self.failures += 1
                self._next_try = self._clock() + min(FIRST_WAIT * 2 ** (self.failures - 1), MAX_WAIT)
            return ok


_gates: dict[str, TokenGate] = {}
_gates_lock = threading.Lock()


def gate_for(token: str) -> TokenGate:
    """The process's one gate for `token` (shared by every session, so failures add up)."""
    with _gates_lock:
        return _gates.setdefault(token, TokenGate(token))
