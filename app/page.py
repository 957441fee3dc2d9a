"""The page: draw a digit and see, as you draw, what the model reads, how sure it is, and why.

    >>> main()          # run by app/main.py for every visitor (`streamlit run app/main.py`)

Layout and wording only: what it shows comes from app/render.py, what it does from
app/actions.py, the stroke history from app/history.py; the tabs of saved drawings (a
visitor's own, the operator's Dataset) and the operator's sign-in are app/saved_tabs.py. One model per file per process
(`st.cache_resource`), checked for a new file on every rerun, so `make export` takes effect on
the next stroke. $DIGITS_MODEL points at another fp32 model (the int8 one is looked for beside
it), $DIGITS_DATA_DIR at another drawings folder. The Draw tab is a fragment, so a stroke
reruns only it.
"""

from __future__ import annotations

import logging
import secrets
from pathlib import Path

import streamlit as st

from app import actions, layout, number_view, render, saved_tabs, upload_tab, viewport
from app.canvas_input import CanvasInputError, check_data_url, check_strokes, decode_png, raw_report
from app.contract import model_paths
from app.history import UNDO_DEPTH, StrokeHistory
from app.live_model import LiveModel
from app.numbers import NumberReading
from app.plain_text import literal
from app.recognizer import Recognizer
from app.upload_tab import feedback_ui

PEN_WIDTHS = dict(min_value=8, max_value=40, value=20, step=2)  # pixels on the 280 px high canvas
SHORT_SCHEMES = {"Dark pen on light paper": "Dark on light", "Light pen on dark paper": "Light on dark"}
CSS = (Path(__file__).with_name("page.css")).read_text()
log = logging.getLogger("digits.page")


@st.cache_resource(show_spinner=False)
def live_model(path: str) -> LiveModel:
    """One LiveModel per model file, shared by every session of this process."""
    return LiveModel(path)


def main() -> None:
    st.set_page_config(page_title="Digit Recognizer", page_icon="✏️", layout="wide")
    st.html(f"<style>{CSS}</style>")
    state = st.session_state
    state.setdefault("canvas_round", 0)
    state.setdefault("upload_round", 0)

    # Who this browser tab is: its saves are listed under this id, and only it can take them back.
    state.setdefault("visitor", secrets.token_hex(8))

    settings = guarded(sidebar_ui)
    if settings is None:
        return
    live, (recognizer, problem) = settings
    operator = bool(guarded(saved_tabs.operator_ui))
    if recognizer is not None and problem:
        # The details name server paths and come from a file: the operator sees them as text.
        log.warning("model reload: %s", problem)
        st.sidebar.warning(literal(problem, 1000) if operator else "A newer model file could not be loaded; this one keeps serving.")
    st.markdown('<h1 class="dr-title">Digit Recognizer</h1>', unsafe_allow_html=True)
    st.caption("Draw a digit, or a whole number, and watch the model read it: its answer, how sure it is, and why.")
    if recognizer is None:
        st.error(problem if operator else "No model is loaded on this server yet; the operator has been told.")
        log.error("no model: %s", problem)

    names = ["Draw", "Upload", "Your drawings"] + (["Dataset"] if operator else [])
    draw, upload, yours, *rest = st.tabs(names, key="tab", on_change="rerun")
    # Draw always runs, so the drawing survives a visit to the other tabs; they run only when open.
    with draw:
        draw_fragment(live, (recognizer, problem))
    if upload.open:
        with upload:
            guarded(upload_tab.upload_ui, recognizer)
    if yours.open:
        with yours:
            guarded(saved_tabs.your_drawings_ui)
    if rest and rest[0].open:
        with rest[0]:
            guarded(saved_tabs.dataset_ui)


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
            help="The pen's width in pixels of a 280-pixel high canvas; a higher canvas widens it alike.",
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
    pen settings with it) where there is not. The canvas is wide enough for a number; one digit
    is read and shown as a digit, two or more as a number."""
    # Looked up on each run (not at import): the component registers itself with a running
    # Streamlit, and the tests put a stand-in in its place.
    from streamlit_drawable_canvas import st_canvas

    state = st.session_state
    width = viewport.content_width()
    shape = layout.for_width(width, state.get("stacked", False))
    if shape.stacked != state.get("stacked", False):
        state.stacked = shape.stacked
        st.rerun()  # the whole page: the pen settings move between the sidebar and the canvas
    scheme = render.SCHEMES[state.get("scheme", next(iter(render.SCHEMES)))]
    size = (shape.width, shape.height)
    carry_drawing_over(scheme, size)
    # A horizontal block that wraps: even before the width is measured, the result goes under the
    # canvas when there is no room beside it (page.css gives the result its minimum width).
    with st.container(horizontal=not shape.stacked, gap="medium", key="dr-draw"):
        with st.container(width=shape.width, gap="small", key="dr-canvas-column"):
            canvas = st_canvas(
                stroke_width=layout.pen_width(state.get("pen", PEN_WIDTHS["value"]), shape.height),
                stroke_color=scheme.pen,
                background_color=scheme.paper,
                height=shape.height,
                width=shape.width,
                drawing_mode="freedraw",
                update_streamlit=True,
                return_image_data=True,
                initial_drawing=state.get("canvas_start"),
                key=f"canvas-{state.canvas_round}-{shape.width}x{shape.height}",
            )
            image, strokes = current_drawing(canvas, size)
            if state.get("canvas_refused"):
                st.caption("This drawing could not be read. Clear the canvas and draw again.")
            with st.container(horizontal=True, gap="small"):
                st.button(
                    "Undo", key="undo", icon=":material/undo:", on_click=undo_stroke, disabled=not history().can_undo()
                )
                st.button("Clear", key="clear", icon=":material/ink_eraser:", on_click=clear_canvas)
            if shape.stacked:
                pen_settings_ui("row")
        # What the page drew from, for the browser tests (like the result card's data-* attributes).
        hook = (
            f'<div class="dr-state" data-strokes="{strokes}" data-width="{width or ""}" '
            f'data-side="{shape.width}" data-height="{shape.height}" hidden></div>'
        )
        result_ui(recognizer, image, drawn_strokes(image, size), hook)


def carry_drawing_over(scheme: render.Scheme, size: tuple[int, int]) -> None:
    """Keep the strokes when the colours or the canvas's size (width, height) change: the kept
    drawings are redrawn in the new colours or refitted to the new size, and the canvas starts
    from the latest."""
    state = st.session_state
    drawn_as = state.get("drawn_as")
    state.drawn_as = (scheme, size)
    if drawn_as is None or drawn_as == (scheme, size) or not len(history()):
        return
    old_scheme, old_size = drawn_as
    if old_scheme != scheme:
        history().redrawn(
            lambda d: layout.recoloured(d, scheme.pen),
            lambda p: layout.repainted(p, (old_scheme.pen, old_scheme.paper), (scheme.pen, scheme.paper)),
        )
    if old_size != size:
        history().redrawn(lambda d: layout.refitted(d, old_size, size))
    state.canvas_start = history().latest()


def result_ui(recognizer: Recognizer | None, image, strokes: list | None, hook: str = "") -> None:
    state = st.session_state
    with st.container(key="dr-result"):
        if confirmation := state.pop("draw_saved", None):
            st.success(confirmation, icon=":material/check_circle:")
        result = actions.read_picture(recognizer, image, strokes)
        if isinstance(result, NumberReading):
            saved = number_view.number_ui("draw", image, result, recognizer, "digit-result", "drawing", hook)
        else:
            st.html(hook + render.result_html(result, "digit-result", "drawing"))
            # Shown, disabled, with nothing to confirm: the first stroke then only changes it.
            saved = feedback_ui("draw", image, result, recognizer, disabled=result.status not in ("ok", "uncertain"))
        if saved:
            state.draw_saved = saved
            clear_canvas()  # ready for the next digit
            st.rerun()


def history() -> StrokeHistory:
    """This session's strokes (kept across reruns, one history per session)."""
    return st.session_state.setdefault("history", StrokeHistory(UNDO_DEPTH))


def current_drawing(canvas, size: tuple[int, int]) -> tuple:
    """The canvas picture to read, and how many strokes it has (see app/history.py). What the
    browser sent is checked against the canvas's `size` (width, height) before a pixel of it is
    decoded (app/canvas_input.py); a refused report is not kept."""
    strokes = history()
    drawing, data_url = raw_report(canvas)
    try:
        checked = check_strokes(drawing)
        png = None if data_url is None else check_data_url(data_url, *size)
        strokes.record(checked, None if png is None else decode_png(png))
        st.session_state.canvas_refused = False
    except CanvasInputError as exc:
        log.warning("canvas report refused: %s", exc)
        st.session_state.canvas_refused = True
    return strokes.current()


def drawn_strokes(image, size: tuple[int, int]) -> list | None:
    """The strokes (fabric.js objects) of the picture being read, in its pixels; None when the
    picture is not the canvas's size now (a canvas remade at another size reads from pixels
    until its next stroke)."""
    if image is None or getattr(image, "shape", (0, 0))[:2] != (size[1], size[0]):
        return None
    return (history().latest() or {}).get("objects")


def clear_canvas() -> None:
    # A new key gives a new, empty canvas.
    st.session_state.canvas_start = None
    history().clear()
    st.session_state.canvas_round += 1


def undo_stroke() -> None:
    """Take back the last stroke: a new canvas that starts from the drawing before it."""
    st.session_state.canvas_start = history().undo()
    st.session_state.canvas_round += 1

