"""The number view, under the Draw tab's canvas or beside an upload (laid out by app/page.py and
app/upload_tab.py): the number card and its "Right?" / "No, it was:" row, where a correction is
the number typed. Layout and wording only: the card is app/render_number.py, the saving
app/actions.py.
"""

from __future__ import annotations

import streamlit as st

from app import actions, render_number
from app.dataset import DrawingStore
from app.numbers import NumberReading
from app.reading import Status
from app.recognizer import Recognizer

CONSENT = (
    "Saving keeps this drawing, the number and each digit it found on this server, for the operator "
    "to review and train the next model on. Only you (in this browser tab) and the operator can see "
    "them; take them back under Your drawings."
)


def number_ui(key: str, image, reading: NumberReading, recognizer: Recognizer, kind: str, source: str, hook: str = "") -> str | None:
    """The number card for `reading` of `image`, and its feedback row; the confirmation of a
    save (then the caller starts afresh), or None."""
    st.html(hook + render_number.number_html(reading, image, kind, source))
    return number_feedback_ui(key, image, reading, recognizer)


def number_feedback_ui(key: str, image, reading: NumberReading, recognizer: Recognizer) -> str | None:
    """"Right?" (or "It's 2046" when a digit is not sure) / "No, it was:" with the number typed.
    Saves on a click and returns the confirmation; a refusal or a bad number is shown here."""
    state = st.session_state
    if state.pop(f"{key}-number-saved", False):
        state[f"{key}-number-typed"] = ""  # a new number starts with an empty box
    guess = actions.best_guess(reading)
    confirm = "Right?" if reading.status == Status.OK else f"It's {guess}"
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        right = st.button(
            confirm, key=f"{key}-number-right", icon=":material/check:",
            help=f"Yes: keep this drawing as {guess}, and each digit with its label, for the next model to learn from.",
        )
        typed = st.text_input(
            "No, it was:", key=f"{key}-number-typed", placeholder="the number", width=140, max_chars=24,
            help="Type the number you wrote, digits only.",
        )
        correct = st.button("Save correction", key=f"{key}-number-save", icon=":material/edit:")
    st.caption(CONSENT)
    if not (right or correct):
        return None
    outcome = actions.save_number_feedback(
        DrawingStore(), image, guess if right else typed, reading, recognizer.card.get("version"),
        session=st.session_state.visitor,
    )
    if not outcome.ok:
        st.error(outcome.message)
        return None
    state[f"{key}-number-saved"] = True
    return outcome.message
