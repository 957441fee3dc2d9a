"""The Upload tab and the "Right? / No, it was:" buttons under any reading (laid out by
app/page.py). Layout and wording only: what they do is in app/actions.py.
"""

from __future__ import annotations

import streamlit as st

from app import actions, number_view, render, viewport
from app.dataset import LABELS, DrawingStore, label_name
from app.numbers import NumberReading
from app.plain_text import literal
from app.reading import Reading
from app.recognizer import Recognizer

CONSENT = (
    "Saving keeps this drawing and its label on this server, for the operator to review and train "
    "the next model on. Only you (in this browser tab) and the operator can see it; take it back "
    "under Your drawings."
)


def feedback_ui(key: str, image, result: Reading, recognizer: Recognizer | None, disabled: bool = False) -> str | None:
    """"Right?" / "No, it was:" under a prediction. Saves `image` on a click and returns the
    confirmation; a refusal is shown here and gives None. `disabled` shows the row with nothing
    to confirm yet (an empty canvas): the first stroke then changes the row instead of making
    it, which the browser does in a fraction of the time."""
    prediction = result.prediction
    # When the page says "not sure", a bare "Right?" would not say which guess it confirms.
    confirm = "Right?" if disabled or result.status == "ok" else f"It's {prediction.digit}"
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        right = st.button(
            confirm, key=f"{key}-right", icon=":material/check:", disabled=disabled,
            help="Yes: keep this drawing, with the digit it shows, for the next model to learn from." if disabled
            else f"Yes: keep this drawing, labelled {prediction.digit}, for the next model to learn from.",
        )
        label = st.selectbox(
            "No, it was:", LABELS, index=None, placeholder="choose", key=f"{key}-label", width=140,
            format_func=label_name, disabled=disabled,
        )
        correct = st.button("Save correction", key=f"{key}-save", icon=":material/edit:", disabled=disabled)
    st.caption(CONSENT)
    if disabled or not (right or correct):
        return None
    version = recognizer.card.get("version")
    label = prediction.digit if right else label
    outcome = actions.save_feedback(DrawingStore(), image, label, prediction, version, session=st.session_state.visitor)
    if not outcome.ok:
        st.error(outcome.message)
        return None
    return outcome.message


def upload_ui(recognizer: Recognizer | None) -> None:
    state = st.session_state
    # Any file is taken, and its size and type are checked here: Streamlit's own refusal shows
    # only an icon, without the reason.
    file = st.file_uploader(
        "A photo or scan of a handwritten digit or number", key=f"upload-{state.upload_round}",
        help=f"{actions.UPLOAD_FORMATS}, up to {actions.UPLOAD_LIMIT // 2**20} MB. Crop it close to the digit for the best reading.",
    )
    st.caption(f"{actions.UPLOAD_FORMATS}, up to {actions.UPLOAD_LIMIT // 2**20} MB.")
    if refused := viewport.refused_upload():
        st.error(actions.too_large(*refused))
    if confirmation := state.pop("upload_saved", None):
        st.success(confirmation, icon=":material/check_circle:")
    if file is None:
        return
    upload = actions.read_upload(file.getvalue(), file.name)
    if upload.error:
        st.error(upload.error)
        return
    if upload.note:
        st.info(upload.note)
    result = actions.read_picture(recognizer, upload.image)
    left, right = st.columns([1, 1.2], gap="medium")
    left.image(render.preview(upload.image), caption=literal(file.name), width="stretch")
    with right:
        if isinstance(result, NumberReading):
            saved = number_view.number_ui("upload", upload.image, result, recognizer, "upload-result", "picture")
        else:
            st.html(render.result_html(result, "upload-result", "picture"))
            saved = result.status in ("ok", "uncertain") and feedback_ui("upload", upload.image, result, recognizer)
        if saved:
            state.upload_saved = saved
            state.upload_round += 1  # a new, empty uploader
            st.rerun()
