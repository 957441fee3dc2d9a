"""Export: the ONNX contract, its metadata, parity with Keras, the int8 gate, and failures
that leave existing files untouched."""

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest

from export.export import main as export_main
from train.train import parse_args, train


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    folder = tmp_path_factory.mktemp("export")
    keras_path = folder / "digit_cnn.keras"
    train(parse_args(["--quick", "--output", str(keras_path), "--verbose", "0"]))
    code = export_main(["--model", str(keras_path), "--output", str(folder / "digit_cnn.onnx"), "--test-limit", "1000"])
    assert code == 0
    return folder


def test_contract(exported):
    model = onnx.load(exported / "digit_cnn.onnx")
    onnx.checker.check_model(model, full_check=True)
    (inp,), (out,) = model.graph.input, model.graph.output
    assert inp.name == "image" and out.name == "probabilities"
    assert inp.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
    dims = [d.dim_value or d.dim_param for d in inp.type.tensor_type.shape.dim]
    assert dims[1:] == [28, 28, 1] and isinstance(dims[0], str)  # dynamic batch
    session = ort.InferenceSession(str(exported / "digit_cnn.onnx"), providers=["CPUExecutionProvider"])
    for batch in (1, 7):
        probs = session.run(["probabilities"], {"image": np.random.rand(batch, 28, 28, 1).astype(np.float32)})[0]
        assert probs.shape == (batch, 10)
        assert np.allclose(probs.sum(axis=1), 1.0, atol=1e-5)


def test_metadata(exported):
    meta = {p.key: p.value for p in onnx.load(exported / "digit_cnn.onnx").metadata_props}
    assert meta["precision"] == "fp32" and meta["opset"] == "17"
    assert json.loads(meta["class_labels"]) == [str(d) for d in range(10)]
    assert 0.5 < float(meta["mnist_test_accuracy"]) <= 1.0
    assert "20x20" in meta["preprocessing"] and "centre of mass" in meta["preprocessing"]
    assert len(meta["source_sha256"]) == 64
    assert float(meta["parity_max_abs_diff"]) <= 1e-4
    assert json.loads(meta["training_config"])["epochs"] == 1  # the run's whole TrainConfig travels along
    for key in ("model_version", "created", "tensorflow_version", "tf2onnx_version", "onnx_version"):
        assert meta[key]


def test_int8_kept_only_within_a_tenth_of_a_point(exported):
    fp32 = float({p.key: p.value for p in onnx.load(exported / "digit_cnn.onnx").metadata_props}["mnist_test_accuracy"])
    int8_path = exported / "digit_cnn.int8.onnx"
    if int8_path.exists():
        meta = {p.key: p.value for p in onnx.load(int8_path).metadata_props}
        assert meta["precision"] == "int8"
        assert fp32 - float(meta["mnist_test_accuracy"]) <= 0.001 + 1e-9
        assert int8_path.stat().st_size < (exported / "digit_cnn.onnx").stat().st_size / 2
    # Either way the gate was applied: a quick 1-epoch model often loses more and is dropped.


def test_missing_keras_file(tmp_path, capsys):
    out = tmp_path / "m.onnx"
    assert export_main(["--model", str(tmp_path / "nope.keras"), "--output", str(out)]) == 1
    assert "no Keras model" in capsys.readouterr().err
    assert list(tmp_path.iterdir()) == []


def test_corrupt_keras_file_leaves_existing_onnx(tmp_path, capsys, exported):
    bad = tmp_path / "bad.keras"
    bad.write_bytes(b"PK\x03\x04 this is not a keras model")
    out = tmp_path / "digit_cnn.onnx"
    out.write_bytes((exported / "digit_cnn.onnx").read_bytes())
    before = out.read_bytes()
    assert export_main(["--model", str(bad), "--output", str(out)]) == 1
    assert "not a loadable Keras model" in capsys.readouterr().err
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.keras", "digit_cnn.onnx"]


def test_parity_gate_refuses_a_disagreeing_conversion(tmp_path, monkeypatch, capsys, exported):
    """If the converted graph disagreed with Keras, nothing would be written."""
    import export.export as ex

    real_run = ex._run
    monkeypatch.setattr(ex, "_run", lambda model, x: real_run(model, x) + 1e-3)
    out = tmp_path / "digit_cnn.onnx"
    assert export_main(["--model", str(exported / "digit_cnn.keras"), "--output", str(out), "--test-limit", "200"]) == 1
    assert "disagrees with Keras" in capsys.readouterr().err
    assert not out.exists()
