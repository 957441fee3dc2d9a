"""Operator sign-in: OIDC when configured, else a token compared in constant time with failed
attempts slowed down; with neither the operator view is off and says how to turn it on."""

import pytest

from app.sign_in import (
    FIRST_WAIT,
    MAX_WAIT,
    TokenGate,
    is_operator_email,
    sign_in_mode,
)

TOKEN = "s3cret-operator-token-0123"
AUTH = {"auth": {"client_id": "x", "server_metadata_url": "https://id.example/.well-known"}}


@pytest.mark.parametrize(
    ("secrets", "environ", "kind"),
    [
        ({**AUTH, "operators": {"emails": ["Ops@Example.org"]}}, {"DIGITS_OPERATOR_TOKEN": TOKEN}, "oidc"),
        ({}, {"DIGITS_OPERATOR_TOKEN": TOKEN}, "token"),
        ({}, {}, "off"),
    ],
)
def test_sign_in_mode(secrets, environ, kind):
    assert sign_in_mode(secrets, environ).kind == kind


@pytest.mark.parametrize(
    ("secrets", "environ", "note"),
    [
        ({}, {}, "set DIGITS_OPERATOR_TOKEN"),
        ({}, {"DIGITS_OPERATOR_TOKEN": "short"}, "shorter than 16 characters"),
        (AUTH, {"DIGITS_OPERATOR_TOKEN": TOKEN}, "no operator is listed"),
    ],
)
def test_sign_in_mode_off_says_how_to_turn_it_on(secrets, environ, note):
    mode = sign_in_mode(secrets, environ)
    assert mode.kind == "off" and note in mode.note


def test_operator_emails():
    mode = sign_in_mode({**AUTH, "operators": {"emails": ["Ops@Example.org"]}}, {})
    assert is_operator_email(mode, "ops@example.org ")
    assert not is_operator_email(mode, "visitor@example.org")
    assert not is_operator_email(mode, None)
    assert not is_operator_email(sign_in_mode({}, {"DIGITS_OPERATOR_TOKEN": TOKEN}), "ops@example.org")


class Clock:
    def __init__(self):
        self.now, self.slept = 100.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_token_gate_right_token_at_once():
    clock = Clock()
    gate = TokenGate(TOKEN, clock, clock.sleep)
    assert gate.check(TOKEN) and clock.slept == []


@pytest.mark.parametrize("typed", ["", "s3cret", TOKEN + "x", TOKEN.upper(), None, 12345])
def test_token_gate_wrong_token_fail(typed):
    assert TokenGate(TOKEN, Clock(), Clock().sleep).check(typed) is False


def test_token_gate_slows_down_after_failures():
    clock = Clock()
    gate = TokenGate(TOKEN, clock, clock.sleep)
    for _ in range(8):
        assert not gate.check("guess")
    # Each attempt after a failure waited twice as long as the one before, up to MAX_WAIT.
    assert clock.slept == [FIRST_WAIT * 2**i for i in range(5)] + [MAX_WAIT] * 2
    assert gate.check(TOKEN)  # the right one still gets in (after its wait) and resets the count
    assert gate.failures == 0
    slept = len(clock.slept)
    assert gate.check(TOKEN) and len(clock.slept) == slept
