"""The floor for `bench/server.py`: the drawing canvas alone, with no model behind it.

    $ .venv/app/bin/python -m streamlit run bench/pages/bare_canvas.py

Same canvas settings as the app's page (its size where it has a laptop's room,
app/layout.py), and the same test hook (`<div class="digit-result"
data-status=...>`), so the benchmark measures stroke -> screen for the canvas component and a
Streamlit rerun alone. What it shows, the sum of the ink, changes with every stroke.
"""

import sys
from pathlib import Path

import streamlit as st
from streamlit_drawable_canvas import st_canvas

# `streamlit run` puts bench/pages/ on sys.path, not the project root that `from app...` needs.
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from app.layout import for_width  # noqa: E402

SHAPE = for_width(None)

st.session_state.setdefault("canvas", 0)
if st.button("Clear"):
    st.session_state.canvas += 1  # a new key is a new, empty canvas

result = st_canvas(
    stroke_width=20,
    stroke_color="#111111",
    background_color="#ffffff",
    height=SHAPE.height,
    width=SHAPE.width,
    update_streamlit=True,
    return_image_data=True,
    key=f"canvas-{st.session_state.canvas}",
)
ink = 0 if result.image_data is None else int((255 - result.image_data[..., :3]).sum())
st.markdown(f'<div class="digit-result" data-status="{"ok" if ink else "empty"}" data-digit="" data-confidence="" data-ink="{ink}"></div>', unsafe_allow_html=True)
st.write(f"ink: {ink}")
