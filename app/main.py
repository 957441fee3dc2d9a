"""The page: draw a digit and see, as you draw, what the model reads, how sure it is, and why.

    $ streamlit run app/main.py          # http://localhost:8501 (`make run`)

Layout and wording only: what it shows comes from app/render.py, what it does from
app/actions.py, the stroke history from app/history.py. One model per file per process
(`st.cache_resource`), checked for a new file on every rerun, so `make export` takes effect on
the next stroke. $DIGITS_MODEL points at another fp32 model (the int8 one is looked for beside
it), $DIGITS_DATA_DIR at another drawings folder. The Draw tab is a fragment, so a stroke
reruns only it.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

# `streamlit run` puts app/ on sys.path, not the project root that `from app...` needs.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import streamlit as st
from streamlit_drawable_canvas import st_canvas

from app import actions, layout, render, viewport
from app.contract import model_paths
from app.dataset import LABELS, DrawingStore, label_name
from app.history import UNDO_DEPTH, StrokeHistory
from app.live_model import LiveModel
from app.reading import Reading
from app.recognizer import Recognizer

PEN_WIDTHS = dict(min_value=8, max_value=40, value=20, step=2)  # pixels on the 280 px canvas
SHORT_SCHEMES = {"Dark pen on light paper": "Dark on light", "Light pen on dark paper": "Light on dark"}
RECENT = 24  # examples shown in the dataset tab
CSS = (Path(__file__).with_name("page.css")).read_text()
log = logging.getLogger("digits.page")


@st.cache_resource(show_spinner=False)
def live_model(path: str) -> LiveModel:
    """One LiveModel per model file, shared by every session of this process."""
    return LiveModel(path)


@st.cache_data(show_spinner=False, max_entries=1024)
def thumbnail(path: str) -> bytes:
    # Saved drawings never change (a new name for each), so the path is a safe key.
    return render.thumbnail(path)


def main() -> None:
    st.set_page_config(page_title="Digit Recognizer", page_icon="✏️", layout="wide")
    st.html(f"<style>{CSS}</style>")
    state = st.session_state
    state.setdefault("canvas_round", 0)
    state.setdefault("upload_round", 0)

    settings = guarded(sidebar_ui)
    if settings is None:
        return
    live, (recognizer, problem) = settings
    st.markdown('<h1 class="dr-title">Digit Recognizer</h1>', unsafe_allow_html=True)
    st.caption("Draw a digit and watch the model read it: its answer, how sure it is, and why.")
    if recognizer is None:
        st.error(problem)

    draw, upload, dataset = st.tabs(["Draw", "Upload", "Dataset"], key="tab", on_change="rerun")
    # Draw always runs, so the drawing survives a visit to the other tabs; they run only when open.
    with draw:
        draw_fragment(live, (recognizer, problem))
    if upload.open:
        with upload:
            guarded(upload_ui, recognizer)
    if dataset.open:
        with dataset:
            guarded(dataset_ui)


def guarded(ui, *args):
    """Run one part of the page; an unexpected error becomes a short message, not a traceback."""
    try:
        return ui(*args)
    except Exception as exc:  # the page must keep working; details go to the server log
        log.exception("the page's %s failed", ui.__name__)
        st.error(f"Something went wrong here ({type(exc).__name__}). Reload the page to try again.")
        return None


def sidebar_ui() -> tuple[LiveModel, tuple[Recognizer | None, str | None]]:
    """The pen settings (unless the Draw tab shows them under the canvas, on a narrow screen) and
    the model card; returns the chosen model file's LiveModel and what it serves now
    (recognizer, problem)."""
    paths = model_paths()
    with st.sidebar:
        if not st.session_state.get("stacked"):
            st.markdown("### Pen")
            pen_settings_ui("side")

        st.markdown("### Model")
        precision = "fp32"
        if len(paths) > 1:
            precision = st.radio(
                "Precision", list(paths), horizontal=True, key="precision",
                help="int8 is the same network quantised: about 4x smaller, nearly the same answers.",
            )
        live = live_model(str(paths[precision]))
        recognizer, problem = live.current()
        if recognizer is not None:
            st.markdown(render.card_html(recognizer.card), unsafe_allow_html=True)
            if problem:
                st.warning(problem)
        else:
            st.caption("No model loaded.")
    return live, (recognizer, problem)


def pen_settings_ui(place: str) -> None:
    """The pen's colours and width: in the sidebar (`place` "side"), or as one compact row under
    the canvas ("row"), where the thumb is on a phone. The choice is kept in "scheme" and "pen",
    whichever of the two places it was made in."""
    state = st.session_state
    schemes = list(render.SCHEMES)
    scheme, pen = state.setdefault("scheme", schemes[0]), state.setdefault("pen", PEN_WIDTHS["value"])

    def keep(name: str) -> None:
        state[name] = state[f"{name}-{place}"]

    row = place == "row"
    with st.container(horizontal=row, gap="small", vertical_alignment="center", key=f"dr-pen-{place}"):
        st.radio(
            "Colours", schemes, index=schemes.index(scheme), key=f"scheme-{place}", horizontal=row,
            label_visibility="collapsed", format_func=SHORT_SCHEMES.get if row else str,
            on_change=keep, args=("scheme",),
        )
        st.slider(
            "Pen width", **{**PEN_WIDTHS, "value": pen}, key=f"pen-{place}", on_change=keep, args=("pen",),
            label_visibility="collapsed" if row else "visible", width=120 if row else "stretch",
            help="The pen's width in pixels of a 280-pixel canvas; a larger canvas widens it alike.",
        )


@st.fragment
def draw_fragment(live: LiveModel, shown: tuple[Recognizer | None, str | None]) -> None:
    """The Draw tab, rerun on its own after each stroke (a fragment): the sidebar, the title and
    the tabs stay as they are, which keeps stroke -> answer short. When the model has changed
    since the whole page last ran (a new export), the whole page reruns, so that the model card
    shows the new one too."""
    if live.current() != shown:
        st.rerun()
    guarded(draw_ui, shown[0])


def draw_ui(recognizer: Recognizer | None) -> None:
    """Canvas and result side by side where there is room, the result under the canvas (and the
    pen settings with it) where there is not."""
    state = st.session_state
    shape = layout.for_width(viewport.content_width())
    if shape.stacked != state.get("stacked", False):
        state.stacked = shape.stacked
        st.rerun()  # the whole page: the pen settings move between the sidebar and the canvas
    scheme = render.SCHEMES[state.get("scheme", next(iter(render.SCHEMES)))]
    carry_drawing_over(scheme, shape.side)
    # A horizontal block that wraps: even before the width is measured, the result goes under the
    # canvas when there is no room beside it (page.css gives the result its minimum width).
    with st.container(horizontal=not shape.stacked, gap="medium", key="dr-draw"):
        with st.container(width=shape.side, gap="small", key="dr-canvas-column"):
            canvas = st_canvas(
                stroke_width=layout.pen_width(state.get("pen", PEN_WIDTHS["value"]), shape.side),
                stroke_color=scheme.pen,
                background_color=scheme.paper,
                height=shape.side,
                width=shape.side,
                drawing_mode="freedraw",
                update_streamlit=True,
                return_image_data=True,
                initial_drawing=state.get("canvas_start"),
                key=f"canvas-{state.canvas_round}-{shape.side}",
            )
            image, strokes = current_drawing(canvas)
            with st.container(horizontal=True, gap="small"):
                st.button(
                    "Undo", key="undo", icon=":material/undo:", on_click=undo_stroke, disabled=not history().can_undo()
                )
                st.button("Clear", key="clear", icon=":material/ink_eraser:", on_click=clear_canvas)
            if shape.stacked:
                pen_settings_ui("row")
        result_ui(recognizer, image)


def carry_drawing_over(scheme: render.Scheme, side: int) -> None:
    """Keep the strokes when the colours or the canvas's size change: the kept drawings are
    redrawn in the new colours or at the new size, and the canvas starts from the latest."""
    state = st.session_state
    drawn_as = state.get("drawn_as")
    state.drawn_as = (scheme, side)
    if drawn_as is None or drawn_as == (scheme, side) or not len(history()):
        return
    old_scheme, old_side = drawn_as
    if old_scheme != scheme:
        history().redrawn(
            lambda d: layout.recoloured(d, scheme.pen),
            lambda p: layout.repainted(p, (old_scheme.pen, old_scheme.paper), (scheme.pen, scheme.paper)),
        )
    if old_side != side:
        history().redrawn(lambda d: layout.rescaled(d, side / old_side))
    state.canvas_start = history().latest()


def result_ui(recognizer: Recognizer | None, image) -> None:
    state = st.session_state
    with st.container(key="dr-result"):
        if confirmation := state.pop("draw_saved", None):
            st.success(confirmation, icon=":material/check_circle:")
        result = actions.analyse(recognizer, image)
        st.html(render.result_html(result, "digit-result", "drawing"))
        saved = result.status in ("ok", "uncertain") and feedback_ui("draw", image, result, recognizer)
        if saved:
            state.draw_saved = saved
            clear_canvas()  # ready for the next digit
            st.rerun()


def history() -> StrokeHistory:
    """This session's strokes (kept across reruns, one history per session)."""
    return st.session_state.setdefault("history", StrokeHistory(UNDO_DEPTH))


def current_drawing(canvas) -> tuple:
    """The canvas picture to read, and how many strokes it has (see app/history.py)."""
    strokes = history()
    strokes.record(canvas.json_data, canvas.image_data)
    return strokes.current()


def clear_canvas() -> None:
    # A new key gives a new, empty canvas.
    st.session_state.canvas_start = None
    history().clear()
    st.session_state.canvas_round += 1


def undo_stroke() -> None:
    """Take back the last stroke: a new canvas that starts from the drawing before it."""
    st.session_state.canvas_start = history().undo()
    st.session_state.canvas_round += 1


def feedback_ui(key: str, image, result: Reading, recognizer: Recognizer) -> str | None:
    """"Right?" / "No, it was:" under a prediction. Saves `image` on a click and returns the
    confirmation; a refusal is shown here and gives None."""
    prediction = result.prediction
    # When the page says "not sure", a bare "Right?" would not say which guess it confirms.
    confirm = "Right?" if result.status == "ok" else f"It's {prediction.digit}"
    with st.container(horizontal=True, vertical_alignment="bottom", gap="small"):
        right = st.button(
            confirm, key=f"{key}-right", icon=":material/check:",
            help=f"Yes: keep this drawing, labelled {prediction.digit}, for the next model to learn from.",
        )
        label = st.selectbox(
            "No, it was:", LABELS, index=None, placeholder="choose", key=f"{key}-label", width=140,
            format_func=label_name,
        )
        correct = st.button("Save correction", key=f"{key}-save", icon=":material/edit:")
    if not (right or correct):
        return None
    version = recognizer.card.get("version")
    label = prediction.digit if right else label
    outcome = actions.save_feedback(DrawingStore(), image, label, prediction, version)
    if not outcome.ok:
        st.error(outcome.message)
        return None
    return outcome.message


def upload_ui(recognizer: Recognizer | None) -> None:
    state = st.session_state
    # Any file is taken, and its size and type are checked here: Streamlit's own refusal shows
    # only an icon, without the reason.
    file = st.file_uploader(
        "A photo or scan of one handwritten digit", key=f"upload-{state.upload_round}",
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
    result = actions.analyse(recognizer, upload.image)
    left, right = st.columns([1, 1.2], gap="medium")
    left.image(render.preview(upload.image), caption=file.name, width="stretch")
    with right:
        st.html(render.result_html(result, "upload-result", "picture"))
        saved = result.status in ("ok", "uncertain") and feedback_ui("upload", upload.image, result, recognizer)
        if saved:
            state.upload_saved = saved
            state.upload_round += 1  # a new, empty uploader
            st.rerun()


def dataset_ui() -> None:
    store = DrawingStore()
    if deleted := st.session_state.pop("deleted", None):
        st.toast(deleted)
    counts = store.counts()
    total = sum(counts.values())
    st.markdown(f"#### {total} saved drawing{'s' if total != 1 else ''}")
    st.caption(
        f"Kept in `{store.root}` (set DIGITS_DATA_DIR to change). To teach the model with them: "
        f"`python -m train --extra-data {store.root} --fine-tune`, then `make export`."
    )
    if total == 0:
        st.info(
            "Nothing saved yet. Draw a digit, then press **Right?**, or choose what it was (a digit, or "
            "“not a digit”) and **Save correction**."
        )
        return
    st.altair_chart(render.counts_chart(counts))
    st.download_button(
        "Download all (ZIP)", data=store.zip_bytes, file_name="digit-drawings.zip", mime="application/zip",
        on_click="ignore", icon=":material/download:",
    )
    st.markdown("**Latest**")
    with st.container(horizontal=True, gap="small"):
        for example in store.recent(RECENT):
            with st.container(width=104, border=True, gap="small", horizontal_alignment="center"):
                st.image(thumbnail(str(example.path)), width=80)
                st.caption(render.example_caption(example))
                st.button(
                    "Delete", key=f"delete-{example.file}", type="tertiary", icon=":material/delete:",
                    on_click=delete_example, args=(store, example.file),
                )


def delete_example(store: DrawingStore, file: str) -> None:
    st.session_state.deleted = actions.delete_example(store, file).message


if __name__ == "__main__":
    main()
