"""`python -m app.predict` reads every file it is given and explains each one it cannot read.

Every bad file is made here, in tmp_path; the good ones are MNIST test digits.
"""

import io
import json
import os
import shutil
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageFile

from app.predict import main

PROJECT_ROOT = Path(__file__).resolve().parents[2]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
KEYS = ["file", "digit", "confidence", "probabilities", "status", "message"]


def run(capsys, *args) -> tuple[int, list[str], str]:
    """In-process: exit code, stdout lines, stderr."""
    code = main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out.splitlines(), err


def run_json(capsys, *files) -> tuple[int, list[dict]]:
    code, lines, _ = run(capsys, "--json", *files)
    return code, [json.loads(line) for line in lines]


def run_process(*args) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app.predict", *map(str, args)],
        cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=120,
    )


def large(digit: np.ndarray, dark_on_light: bool = True, scale: int = 4) -> np.ndarray:
    """An MNIST digit (white on black, 28x28) enlarged like a scan, in the chosen polarity."""
    big = np.kron(digit, np.ones((scale, scale), dtype=np.uint8))
    return 255 - big if dark_on_light else big


def png_header_claiming(path: Path, width: int, height: int) -> Path:
    """A small real PNG whose header claims width x height (CRC fixed, pixels never made)."""
    Image.new("L", (8, 8), 255).save(path)
    data = bytearray(path.read_bytes())
    assert data[12:16] == b"IHDR"
    data[16:24] = struct.pack(">II", width, height)
    data[29:33] = struct.pack(">I", zlib.crc32(bytes(data[12:29])))
    path.write_bytes(bytes(data))
    return path


# One builder per kind of bad input: (tmp_path, digits, labels) -> (path, expected label or None).
def corrupt(tmp, x, y):
    path = tmp / "corrupt.png"
    path.write_bytes(np.random.default_rng(0).integers(0, 256, 4000, dtype=np.uint8).tobytes())
    return path, None


def truncated(tmp, x, y):
    path = tmp / "truncated.png"
    Image.fromarray(large(x[0])).save(path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path, None


def zero_bytes(tmp, x, y):
    path = tmp / "zero.png"
    path.write_bytes(b"")
    return path, None


def text_as_png(tmp, x, y):
    path = tmp / "notes.png"
    path.write_text("shopping list: eggs, milk\n")
    return path, None


def huge(tmp, x, y):
    return png_header_claiming(tmp / "huge.png", 20000, 20000), None


def animated_gif(tmp, x, y):
    path = tmp / "animated.gif"
    first, second = (Image.fromarray(large(d)).convert("P") for d in (x[0], x[1]))
    first.save(path, save_all=True, append_images=[second], duration=100, loop=0)
    return path, int(y[0])


def sixteen_bit(tmp, x, y):
    path = tmp / "sixteen.png"
    image = Image.fromarray(large(x[2]).astype(np.uint16) * 257)
    assert image.mode == "I;16"
    image.save(path)
    return path, int(y[2])


def cmyk_jpeg(tmp, x, y):
    path = tmp / "cmyk.jpg"
    Image.fromarray(large(x[3])).convert("CMYK").save(path, "JPEG", quality=95)
    assert Image.open(path).mode == "CMYK"
    return path, int(y[3])


def one_pixel(tmp, x, y):
    path = tmp / "pixel.png"
    Image.new("L", (1, 1), 0).save(path)
    return path, None


def missing(tmp, x, y):
    return tmp / "nowhere.png", None


def folder(tmp, x, y):
    path = tmp / "folder.png"
    path.mkdir()
    return path, None


# (builder, status, words the message must contain)
BAD_INPUTS = [
    (corrupt, "error", "not a picture"),
    (truncated, "error", "damaged"),
    (zero_bytes, "error", "empty (0 bytes)"),
    (text_as_png, "error", "looks like text"),
    (huge, "error", "too large"),
    (missing, "error", "does not exist"),
    (folder, "error", "is a folder"),
]

# Unusual but valid pictures: (builder, status, words the message must contain or None)
ODD_INPUTS = [
    (animated_gif, "ok", "first one was used"),
    (sixteen_bit, "ok", None),
    (cmyk_jpeg, "ok", None),
]


@pytest.mark.parametrize("build, status, words", BAD_INPUTS, ids=[b.__name__ for b, _, _ in BAD_INPUTS])
def test_bad_file_is_one_clear_line(capsys, tmp_path, mnist_digits, build, status, words):
    path, _ = build(tmp_path, *mnist_digits)
    code, records = run_json(capsys, path)
    assert code == 1
    assert records == [
        {"file": str(path), "digit": None, "confidence": None, "probabilities": None, "status": status, "message": records[0]["message"]}
    ]
    assert words in records[0]["message"]
    assert "Traceback" not in records[0]["message"]


@pytest.mark.parametrize("build, status, words", ODD_INPUTS, ids=[b.__name__ for b, _, _ in ODD_INPUTS])
def test_unusual_picture_is_read(capsys, tmp_path, mnist_digits, build, status, words):
    path, label = build(tmp_path, *mnist_digits)
    code, [record] = run_json(capsys, path)
    assert code == 0
    assert (record["status"], record["digit"]) == (status, label)
    if words is None:
        assert record["message"] is None
    else:
        assert words in record["message"]


def test_one_pixel_is_empty_not_a_crash(capsys, tmp_path, mnist_digits):
    path, _ = one_pixel(tmp_path, *mnist_digits)
    code, [record] = run_json(capsys, path)
    assert (code, record["status"]) in ((0, "empty"), (1, "error"))
    assert record["message"]


def test_huge_picture_is_refused_without_decoding(capsys, tmp_path, mnist_digits, monkeypatch):
    path, _ = huge(tmp_path, *mnist_digits)
    monkeypatch.setattr(ImageFile.ImageFile, "load", lambda self: pytest.fail("decoded a 400-megapixel picture"))
    code, [record] = run_json(capsys, path)
    assert "400 megapixels" in record["message"]


@pytest.mark.parametrize("dark_on_light", [True, False], ids=["dark on light", "light on dark"])
def test_mnist_digits_are_read(capsys, tmp_path, mnist_digits, dark_on_light):
    x, y = mnist_digits
    paths = []
    for i in range(10):
        paths.append(tmp_path / f"digit_{i}.png")
        Image.fromarray(large(x[i], dark_on_light, scale=3)).save(paths[-1])
    code, records = run_json(capsys, *paths)
    assert code == 0
    assert [r["file"] for r in records] == [str(p) for p in paths]
    assert [r["digit"] for r in records] == [int(label) for label in y[:10]]
    # MNIST's own odd ones (test digit 8 is a cramped 5) may honestly come out "not sure".
    assert sum(r["status"] == "ok" for r in records) >= 9
    assert all(r["message"] is None for r in records if r["status"] == "ok")


def test_json_record_shape(capsys, tmp_path, mnist_digits):
    x, y = mnist_digits
    path = tmp_path / "seven.png"
    Image.fromarray(large(x[0])).save(path)
    code, [record] = run_json(capsys, path)
    assert list(record) == KEYS
    assert isinstance(record["digit"], int) and isinstance(record["confidence"], float)
    assert len(record["probabilities"]) == 10
    assert sum(record["probabilities"]) == pytest.approx(1.0, abs=1e-4)
    assert record["confidence"] == max(record["probabilities"])


def test_human_lines(capsys, tmp_path, mnist_digits):
    x, y = mnist_digits
    Image.fromarray(large(x[0])).save(tmp_path / "seven.png")
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    (tmp_path / "bad.png").write_bytes(b"\x00\x01\x02")
    code, lines, err = run(capsys, tmp_path / "seven.png", tmp_path / "blank.png", tmp_path / "bad.png")
    assert code == 1 and err == ""
    assert lines[0].startswith(f"{tmp_path / 'seven.png'}: {y[0]} (") and lines[0].endswith(" %)")
    assert lines[1] == f"{tmp_path / 'blank.png'}: empty — no ink found"
    assert lines[2].startswith(f"{tmp_path / 'bad.png'}: error — the file is not a picture")


def test_uncertain_line_names_the_two_likeliest(capsys, tmp_path):
    # A dense grid of strokes is not a digit; the model must not claim it is one.
    grid = np.full((120, 120), 255, dtype=np.uint8)
    grid[::12, :] = 0
    grid[:, ::12] = 0
    Image.fromarray(grid).save(tmp_path / "grid.png")
    code, [line], _ = run(capsys, tmp_path / "grid.png")
    code, [record] = run_json(capsys, tmp_path / "grid.png")
    assert code == 0
    assert record["status"] == "uncertain"
    assert line.startswith(f"{tmp_path / 'grid.png'}: not sure — ") and " or " in line
    assert record["message"].startswith("not sure: ")


def test_mix_of_good_and_bad_files_in_a_subprocess(tmp_path, mnist_digits):
    """Every bad input at once, between good ones: one line each, in order, exit code 1."""
    x, y = mnist_digits
    good = []
    for i in (0, 1):
        good.append(tmp_path / f"good_{i}.png")
        Image.fromarray(large(x[i])).save(good[-1])
    builders = [b for b, _, _ in BAD_INPUTS + ODD_INPUTS]
    bad = [build(tmp_path, x, y)[0] for build in builders]
    files = [good[0], *bad, good[1]]
    result = run_process("--json", *files)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert [r["file"] for r in records] == [str(f) for f in files]
    assert [r["status"] for r in records] == ["ok"] + [s for _, s, _ in BAD_INPUTS + ODD_INPUTS] + ["ok"]
    assert (records[0]["digit"], records[-1]["digit"]) == (y[0], y[1])

    text = run_process(*files)
    assert text.returncode == 1
    assert len(text.stdout.splitlines()) == len(files)


def test_all_good_files_exit_0_in_a_subprocess(tmp_path, mnist_digits):
    x, y = mnist_digits
    Image.fromarray(large(x[0], dark_on_light=False)).save(tmp_path / "seven.png")
    Image.new("L", (40, 40), 255).save(tmp_path / "blank.png")
    result = run_process(tmp_path / "seven.png", tmp_path / "blank.png")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0].startswith(f"{tmp_path / 'seven.png'}: {y[0]} (")


@pytest.mark.parametrize("args", [[], ["--no-such-option", "x.png"], ["--model"]], ids=["no files", "unknown option", "model without path"])
def test_usage_error_exits_2(capsys, args):
    code, lines, err = run(capsys, *args)
    assert code == 2 and lines == []
    assert "usage:" in err


def test_usage_error_exits_2_in_a_subprocess():
    result = run_process()
    assert result.returncode == 2
    assert "usage:" in result.stderr and "Traceback" not in result.stderr


def test_missing_model_exits_2_and_says_how_to_make_one(capsys, tmp_path):
    (tmp_path / "seven.png").write_bytes(b"")
    code, lines, err = run(capsys, "--model", tmp_path / "none.onnx", tmp_path / "seven.png")
    assert code == 2 and lines == []
    assert "No model file" in err and "make train" in err and "make export" in err


def test_missing_model_in_a_subprocess(tmp_path):
    result = run_process("--model", tmp_path / "none.onnx", tmp_path / "seven.png")
    assert result.returncode == 2 and result.stdout == ""
    assert "make train" in result.stderr and "make export" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    "model, words",
    [
        (FIXTURES / "wrong_input_name.onnx", "inputs are ['input_1']"),
        (FIXTURES / "wrong_output.onnx", "output 'probabilities' has shape"),
        (FIXTURES / "fixed_batch.onnx", "batch size is fixed"),
        (FIXTURES / "flat_input.onnx", "input 'image' has shape"),
    ],
    ids=lambda v: v.name if isinstance(v, Path) else "",
)
def test_wrong_contract_model_exits_2(capsys, tmp_path, model, words):
    code, lines, err = run(capsys, "--model", model, tmp_path / "seven.png")
    assert code == 2 and lines == []
    assert "does not fit the app" in err and words in err and "make export" in err


def test_broken_model_exits_2(capsys, tmp_path):
    model = tmp_path / "digit_cnn.onnx"
    model.write_bytes(os.urandom(1000))
    code, lines, err = run(capsys, "--model", model, tmp_path / "seven.png")
    assert code == 2
    assert "not a usable ONNX model" in err and "make train" in err


def test_other_model_is_used(capsys, tmp_path, mnist_digits):
    x, _ = mnist_digits
    Image.fromarray(large(x[0])).save(tmp_path / "seven.png")
    code, [record] = run_json(capsys, "--model", FIXTURES / "tiny_valid.onnx", tmp_path / "seven.png")
    assert code == 0 and record["status"] in ("ok", "uncertain")


# --number: a number per picture

NUMBER_KEYS = ["file", "number", "status", "digits", "message"]


def number_picture(path: Path, digits: list[np.ndarray], gap: int = 8) -> Path:
    """MNIST digits side by side, dark on light, enlarged like a scan."""
    row = np.concatenate([np.pad(d, ((4, 4), (gap // 2, gap // 2))) for d in digits], axis=1)
    Image.fromarray(large(row)).save(path)
    return path


def test_number_lines(capsys, tmp_path, mnist_digits):
    x, y = mnist_digits
    year = number_picture(tmp_path / "year.png", [x[i] for i in (1, 3, 2, 11)])
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    (tmp_path / "bad.png").write_bytes(b"\x00\x01\x02")
    code, lines, err = run(capsys, "--number", year, tmp_path / "blank.png", tmp_path / "bad.png")
    assert code == 1 and err == ""
    assert "".join(str(y[i]) for i in (1, 3, 2, 11)) == "2016"
    assert lines[0].startswith(f"{year}: 2016 (4 digits, the least sure ") and lines[0].endswith(" %)")
    assert lines[1] == f"{tmp_path / 'blank.png'}: empty — no ink found"
    assert lines[2].startswith(f"{tmp_path / 'bad.png'}: error — the file is not a picture")


def test_number_json(capsys, tmp_path, mnist_digits):
    x, _ = mnist_digits
    year = number_picture(tmp_path / "year.png", [x[i] for i in (1, 3, 2, 11)])
    Image.new("L", (50, 50), 255).save(tmp_path / "blank.png")
    code, lines, _ = run(capsys, "--number", "--json", year, tmp_path / "blank.png", tmp_path / "nowhere.png")
    records = [json.loads(line) for line in lines]
    assert code == 1
    assert [list(r) for r in records] == [NUMBER_KEYS] * 3
    number, blank, missing = records
    assert (number["number"], number["status"], number["message"]) == ("2016", "ok", None)
    assert [d["digit"] for d in number["digits"]] == [2, 0, 1, 6]
    assert all(list(d) == ["digit", "confidence", "status", "box"] and d["status"] == "ok" for d in number["digits"])
    boxes = [d["box"] for d in number["digits"]]
    width, height = Image.open(year).size
    assert all(0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height for x0, y0, x1, y1 in boxes)
    assert all(a[2] <= b[0] + 2 for a, b in zip(boxes, boxes[1:]))  # left to right, side by side
    assert (blank["number"], blank["status"], blank["digits"], blank["message"]) == (None, "empty", [], "empty: no ink found")
    assert (missing["number"], missing["status"], missing["digits"]) == (None, "error", [])
    assert "does not exist" in missing["message"]


def test_number_uncertain_names_the_digit_and_its_guesses(capsys, tmp_path):
    grid = np.full((120, 120), 255, dtype=np.uint8)
    grid[::12, :] = 0
    grid[:, ::12] = 0
    Image.fromarray(grid).save(tmp_path / "grid.png")
    code, [record] = run_json(capsys, "--number", tmp_path / "grid.png")
    code, [line], _ = run(capsys, "--number", tmp_path / "grid.png")
    assert code == 0
    assert record["status"] == "uncertain" and "?" in record["number"]
    assert record["message"].startswith("not sure of digit ") and " or " in record["message"]
    assert line == f"{tmp_path / 'grid.png'}: {record['number']} — {record['message']}"


def test_number_of_one_digit_is_the_digit(capsys, tmp_path, mnist_digits):
    x, _ = mnist_digits
    paths = []
    for i in range(8):
        paths.append(tmp_path / f"digit_{i}.png")
        Image.fromarray(large(x[i])).save(paths[-1])
    _, digits = run_json(capsys, *paths)
    _, numbers = run_json(capsys, "--number", *paths)
    for digit, number in zip(digits, numbers):
        assert [d["digit"] for d in number["digits"]] == [digit["digit"]]
        assert number["digits"][0]["confidence"] == digit["confidence"]
        assert number["status"] == digit["status"]


# ---- standard input, the installed `digits` command, `make run` ----


def test_dash_reads_standard_input(capsys, tmp_path, mnist_digits, monkeypatch):
    x, y = mnist_digits
    Image.fromarray(large(x[0])).save(tmp_path / "seven.png")
    data = (tmp_path / "seven.png").read_bytes()
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(data)))
    code, records = run_json(capsys, "-", tmp_path / "seven.png")
    assert code == 0
    assert [(r["file"], r["digit"]) for r in records] == [("-", y[0]), (str(tmp_path / "seven.png"), y[0])]
    assert records[0]["probabilities"] == records[1]["probabilities"]


def test_dash_with_nothing_on_standard_input_fail(capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.TextIOWrapper(io.BytesIO(b"")))
    code, lines, _ = run(capsys, "-")
    assert code == 1 and lines == ["-: error — standard input is empty (0 bytes)"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    """The project installed as `pip install -e .` installs it, into a fresh virtual environment
    that borrows this one's packages (no network); returns its `digits` command."""
    import sysconfig

    pytest.importorskip("wheel", reason="building the project offline needs `wheel` (requirements-test.txt)")
    venv = tmp_path_factory.mktemp("install") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    python = venv / "bin" / "python"
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        capture_output=True, text=True, check=True,
    ).stdout.strip()
    Path(site, "borrowed.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    result = subprocess.run(
        [python, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation", "--no-index", "-e", str(PROJECT_ROOT)],
        capture_output=True, text=True, timeout=300,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return venv / "bin" / "digits"


def run_digits(installed: Path, *args, cwd: Path, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([installed, *map(str, args)], cwd=cwd, input=stdin, capture_output=True, timeout=120)


def test_digits_predict_works_from_another_folder(installed, tmp_path, mnist_digits):
    x, y = mnist_digits
    Image.fromarray(large(x[0])).save(tmp_path / "seven.png")
    Image.new("L", (40, 40), 255).save(tmp_path / "blank.png")
    for options in ([], ["--json"]):
        result = run_digits(installed, "predict", *options, "seven.png", "blank.png", cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        from_root = subprocess.run(
            [sys.executable, "-m", "app.predict", *options, tmp_path / "seven.png", tmp_path / "blank.png"],
            cwd=PROJECT_ROOT, capture_output=True, timeout=120,
        )
        # The same lines as `python -m app.predict` run from the project, but for the file names.
        assert result.stdout == from_root.stdout.replace(f"{tmp_path}/".encode(), b"")
    assert result.stdout.decode().splitlines()[0].startswith(f'{{"file": "seven.png", "digit": {y[0]}')


def test_digits_predict_reads_standard_input(installed, tmp_path, mnist_digits):
    x, y = mnist_digits
    Image.fromarray(large(x[0])).save(tmp_path / "seven.png")
    result = run_digits(installed, "predict", "-", cwd=tmp_path, stdin=(tmp_path / "seven.png").read_bytes())
    assert result.returncode == 0, result.stderr
    assert result.stdout.decode().startswith(f"-: {y[0]} (")


@pytest.mark.parametrize(
    "args, words", [([], "no command given"), (["frobnicate"], "unknown command 'frobnicate'")], ids=["none", "unknown"]
)
def test_digits_without_a_known_command_fail(installed, tmp_path, args, words):
    result = run_digits(installed, *args, cwd=tmp_path)
    assert result.returncode == 2 and words in result.stderr.decode() and "predict" in result.stderr.decode()


@pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")
def test_make_run_passes_streamlit_arguments():
    result = subprocess.run(
        ["make", "-n", "run", "ARGS=--server.port 8611"], cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stderr
    assert any(line.endswith("streamlit run app/main.py --server.port 8611") for line in result.stdout.splitlines())


def test_blank_paper_photo_is_empty_and_a_faint_digit_is_read(capsys, tmp_path, photos, mnist_digits):
    x, y = mnist_digits
    photos.blank(seed=3).save(tmp_path / "blank-paper.jpg", quality=95)
    photos.digit(x[0], contrast=0.2, seed=0).save(tmp_path / "faint-seven.jpg", quality=95)
    code, lines, _ = run(capsys, tmp_path / "blank-paper.jpg", tmp_path / "faint-seven.jpg")
    assert code == 0
    assert lines[0] == f"{tmp_path / 'blank-paper.jpg'}: empty — no ink found"
    assert lines[1].startswith(f"{tmp_path / 'faint-seven.jpg'}: {y[0]} (")
