"""Prediction speed: our Recognizer against Keras `model.predict`, and fp32 against int8.

    $ python -m bench.speed        # needs the training environment (for the Keras side)

`Recognizer.predict` runs on a 280x280 RGBA canvas array (preprocessing included); Keras runs
`model.predict` on the same canvas after the same preprocessing, as tutorial apps do in every
Streamlit rerun. Both are measured in this one process, one after the other. Targets:
Recognizer p50 <= 1 ms, >= 40x faster than Keras.
"""

from __future__ import annotations

import json
import os
import statistics
import time

import numpy as np
from PIL import Image, ImageDraw

from app.contract import KERAS_MODEL, MODEL_FILES, MODELS_DIR
from app.preprocess import to_model_input
from app.recognizer import Recognizer


def canvas_seven() -> np.ndarray:
    """A 7 drawn on the app's transparent 280x280 canvas, as the canvas component returns it."""
    img = Image.new("RGBA", (280, 280), (0, 0, 0, 0))
    ImageDraw.Draw(img).line([(80, 60), (200, 60), (120, 230)], fill=(0, 0, 0, 255), width=18, joint="curve")
    return np.asarray(img)


def timings_ms(fn, repeat: int, warmup: int = 5) -> dict:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - t) * 1e3)
    samples.sort()
    return {"p50": statistics.median(samples), "p90": samples[int(0.9 * len(samples))], "n": repeat}


def main() -> dict:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    canvas = canvas_seven()
    result = {}
    recognizer = Recognizer.load()
    assert recognizer.predict(canvas).digit == 7, "the benchmark canvas should read as a 7"
    result["recognizer_predict_ms"] = timings_ms(lambda: recognizer.predict(canvas), 2000)
    result["preprocess_ms"] = timings_ms(lambda: to_model_input(canvas), 2000)

    import keras

    model = keras.models.load_model(KERAS_MODEL, compile=False)
    x = to_model_input(canvas)[None, ..., None]
    result["keras_predict_ms"] = timings_ms(lambda: model.predict(x, verbose=0), 100)
    result["keras_predict_plus_preprocess_ms"] = timings_ms(
        lambda: model.predict(to_model_input(canvas)[None, ..., None], verbose=0), 100
    )
    result["speedup_vs_keras"] = result["keras_predict_plus_preprocess_ms"]["p50"] / result["recognizer_predict_ms"]["p50"]

    batch = np.random.default_rng(0).random((1000, 28, 28, 1), dtype=np.float32)
    for precision, name in MODEL_FILES.items():
        path = MODELS_DIR / name
        if not path.exists():
            continue
        r = Recognizer.load(path)
        one = x.astype(np.float32)
        result[f"{precision}_inference_ms"] = timings_ms(lambda r=r, one=one: r.probabilities(one), 3000)
        whole = timings_ms(lambda r=r: r.probabilities(batch), 10, warmup=2)
        result[f"{precision}_batch1000_ms_per_image"] = whole["p50"] / len(batch)
        result[f"{precision}_file_kb"] = round(path.stat().st_size / 1024, 1)
    return result


if __name__ == "__main__":
    print(json.dumps(main(), indent=2))
