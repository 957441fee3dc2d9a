"""The comparison for `bench/server.py`: a digit page as tutorials write it, Keras in the rerun.

    $ .venv/train/bin/streamlit run bench/pages/keras_tutorial.py     # needs TensorFlow

White ink on a black canvas, the whole canvas resized to 28x28 with Pillow, and
`model.predict` on models/digit_cnn.keras in every rerun (the model loaded once with
st.cache_resource). Same canvas size and test hook as the app's page.
"""

import os
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras
import numpy as np
import streamlit as st
from PIL import Image
from streamlit_drawable_canvas import st_canvas

MODEL = Path(__file__).resolve().parent.parent.parent / "models" / "digit_cnn.keras"


@st.cache_resource
def load_model():
    return keras.models.load_model(MODEL, compile=False)


model = load_model()
st.session_state.setdefault("canvas", 0)
if st.button("Clear"):
    st.session_state.canvas += 1

result = st_canvas(
    stroke_width=20,
    stroke_color="#FFFFFF",
    background_color="#000000",
    height=280,
    width=280,
    update_streamlit=True,
    return_image_data=True,
    key=f"canvas-{st.session_state.canvas}",
)
status, digit, confidence = "empty", "", ""
if result.image_data is not None:
    x = np.asarray(Image.fromarray(result.image_data.astype("uint8")).convert("L").resize((28, 28)), dtype=np.float32) / 255.0
    if x.max() > 0:
        probabilities = model.predict(x[None, :, :, None], verbose=0)[0]
        status, digit, confidence = "ok", int(probabilities.argmax()), float(probabilities.max())
st.markdown(f'<div class="digit-result" data-status="{status}" data-digit="{digit}" data-confidence="{confidence}"></div>', unsafe_allow_html=True)
if digit != "":
    st.write(f"Prediction: {digit} ({confidence:.1%})")
