"""Numbers on the page: the Draw and Upload tabs read a number when there are two digits or
more (app/actions.py `read_picture`), show it (app/render_number.py) and save a typed
correction with each digit's crop (app/number_view.py, `actions.save_number_feedback`).

AppTest cannot draw, so the canvas is the stand-in of tests/app/test_page.py (`drawn`),
returning MNIST test digits written side by side; the real browser is test_browser_numbers.py.
"""

import io
import re

import numpy as np
import pytest
from PIL import Image
from test_page import CANVAS, canvas_of, results, run_page

from app import actions, render_number
from app.dataset import DrawingStore
from app.numbers import Digit, NumberReading
from app.reading import Reading, Status
from app.recognizer import Prediction, Recognizer

pytestmark = pytest.mark.usefixtures("data_dir")  # each test: its own empty drawings folder, the committed model


@pytest.fixture(scope="module")
def clear_digits(mnist_digits, recognizer):
    """One MNIST test digit of each kind that the committed model reads "ok" alone."""
    x, y = mnist_digits
    found = {}
    for image, label in zip(x, y):
        if int(label) not in found and recognizer.predict(canvas_of(image)).status == "ok":
            found[int(label)] = image
    assert len(found) == 10
    return found


def written(digits: dict, number: str, size=(CANVAS.width, CANVAS.height), height: int = 150, gap: int = 30) -> np.ndarray:
    """`number` written with the digits of `digits` (a 28x28 picture for each character of
    `number`), side by side on a canvas of `size` (dark pen on white paper), each `height` px
    high, `gap` px of paper between them."""
    paper = Image.new("L", size, 255)
    inks = [Image.fromarray(255 - digits[c if c in digits else int(c)][:, 4:24]).resize((height * 20 // 28, height), Image.Resampling.BILINEAR) for c in number]
    x = (size[0] - sum(i.width for i in inks) - gap * (len(inks) - 1)) // 2
    for ink in inks:
        paper.paste(ink, (x, (size[1] - height) // 2))
        x += ink.width + gap
    return np.asarray(paper.convert("RGBA")).copy()


def prediction(digit: int, confidence: float, second: int = 0) -> Prediction:
    p = np.full(10, (1 - confidence) / 9, np.float32)
    p[digit] = confidence
    if confidence < 0.8:
        p[second], p[(second + 1) % 10 if (second + 1) % 10 != digit else (second + 2) % 10] = 1 - confidence - 0.05, 0.05
        p[[i for i in range(10) if i not in (digit, second)]] = 0.05 / 8
    status = Status.OK if confidence >= 0.8 else Status.UNCERTAIN
    return Prediction(digit, float(confidence), p, status, np.zeros((28, 28), np.float32))


def reading_of(*digits: Prediction, width: int = 300) -> NumberReading:
    boxes = [(20 + 90 * i, 20, 90 + 90 * i, 120) for i in range(len(digits))]
    number = "".join(str(p.digit) if p.status == Status.OK else "?" for p in digits)
    status = Status.OK if "?" not in number else Status.UNCERTAIN
    return NumberReading(number, status, tuple(Digit(p, b) for p, b in zip(digits, boxes)))


# ---- what the page reads ----


def test_read_picture_reads_a_number(recognizer, clear_digits):
    shown = actions.read_picture(recognizer, written(clear_digits, "104"))
    assert isinstance(shown, NumberReading) and shown.number == "104" and shown.status == Status.OK


def test_read_picture_reads_one_digit_as_before(recognizer, clear_digits):
    picture = written(clear_digits, "7")
    shown = actions.read_picture(recognizer, picture)
    assert isinstance(shown, Reading) and shown == actions.analyse(recognizer, picture)


@pytest.mark.parametrize("index", [4, 7], ids=["a 4", "a 9"])
def test_one_digit_in_two_strokes_shows_as_the_digit(recognizer, index):
    """A 4 or a 9 drawn in two strokes, which the strokes alone may divide: the pixels read one
    sure digit, and the page shows the digit as `analyse` reads it."""
    import json

    from bench.drawing import mnist_drawings, render

    drawing = mnist_drawings(1, start=index)[0]
    assert len(drawing.strokes) == 2
    picture = np.asarray(render(drawing.strokes))
    strokes = json.loads(drawing.reports[-1])["drawing"]["raw"]["objects"]
    shown = actions.read_picture(recognizer, picture, strokes)
    assert shown == actions.analyse(recognizer, picture) and shown.digit == drawing.label


class Counting(Recognizer):
    """A recognizer of its own (no evidence maps kept from other tests) that counts its model calls."""

    calls = 0

    def probabilities(self, model_inputs):
        self.calls += 1
        return super().probabilities(model_inputs)


@pytest.mark.parametrize("with_strokes", [False, True], ids=["an upload", "drawn in one stroke"])
def test_one_digit_is_read_once_then_explained(recognizer, with_strokes):
    """One model call reads the digit (`read_number`, which reads it as `predict` does), one more
    makes its evidence map: the page does not read it again to show it."""
    import json

    from bench.drawing import mnist_drawings, render

    drawing = mnist_drawings(1, start=0)[0]  # a 7 in one stroke
    picture = np.asarray(render(drawing.strokes))
    strokes = json.loads(drawing.reports[-1])["drawing"]["raw"]["objects"]
    counting = Counting.load(recognizer.path)
    shown = actions.read_picture(counting, picture, strokes if with_strokes else None)
    assert counting.calls == 2
    analysed = actions.analyse(recognizer, picture)
    assert (shown.status, shown.prediction, shown.digit) == (analysed.status, analysed.prediction, 7)
    assert np.array_equal(shown.evidence, analysed.evidence)


@pytest.mark.parametrize("image", [None, np.full((280, 560, 4), 255, np.uint8)], ids=["untouched", "blank"])
def test_read_picture_of_nothing_is_empty(recognizer, image):
    assert actions.read_picture(recognizer, image).status == Status.EMPTY


def test_read_picture_without_a_model_is_an_error():
    assert actions.read_picture(None, np.zeros((28, 28), np.uint8)).status == Status.ERROR


def test_read_picture_with_strokes_it_cannot_use_reads_the_pixels(recognizer, clear_digits):
    picture = written(clear_digits, "104")
    for strokes in ("not strokes", [{"type": "path", "path": "M 1 2"}, 7], {"objects": None}):
        assert actions.read_picture(recognizer, picture, strokes).number == "104"


# ---- the number card ----


def test_number_html_ok():
    html = render_number.number_html(reading_of(prediction(2, 0.99), prediction(0, 0.95), prediction(4, 0.9)), np.full((140, 300, 4), 255, np.uint8))
    assert 'class="digit-result" data-kind="number" data-status="ok" data-number="204" data-digits="3"' in html
    assert ">204<" in html and "3 digits" in html and "at least 90.0 % sure" in html
    assert html.count('class="dr-part"') == 3 and "<b>0</b> 95.0 %" in html
    assert html.count("data:image/png;base64,") == 4  # three model inputs and the boxes


def test_number_html_says_which_digit_it_is_not_sure_of_and_its_two_guesses():
    reading = reading_of(prediction(2, 0.99), prediction(0, 0.95), prediction(4, 0.55, second=9), prediction(6, 0.97))
    html = render_number.number_html(reading, np.full((140, 400, 3), 255, np.uint8), "upload-result", "picture")
    assert 'data-status="uncertain" data-number="20?6" data-digits="4"' in html
    assert '20<span class="dr-unsure">?</span>6' in html
    assert "Not sure of the 3rd digit: maybe a <b>4</b> (55.0 %) or a <b>9</b> (40.0 %)." in html
    assert html.count("dr-part-unsure") == 1


@pytest.mark.parametrize("n, text", [(1, "1st"), (2, "2nd"), (3, "3rd"), (4, "4th"), (11, "11th"), (12, "12th"), (22, "22nd")])
def test_ordinal(n, text):
    assert render_number.ordinal(n) == text


def test_boxes_picture_outlines_each_digit_on_a_small_copy():
    reading = reading_of(prediction(2, 0.99), prediction(4, 0.5, second=9))
    picture = np.full((280, 600, 4), 255, np.uint8)
    small = render_number.boxes_picture(picture, reading)
    assert small.mode == "RGB" and small.size == (320, 149)
    pixels = np.asarray(small)
    scale = 320 / 600
    # The top edge of each box, in its colour: indigo for a sure digit, amber for the "?".
    for (x0, y0, x1, _), colour in zip([d.box for d in reading.digits], (render_number.SURE_RGB, render_number.UNSURE_RGB)):
        middle = pixels[int(y0 * scale), int((x0 + x1) / 2 * scale)]
        assert tuple(middle) == colour
    assert tuple(pixels[140, 300]) == (255, 255, 255)  # the paper elsewhere stays paper


def test_boxes_picture_of_an_upload_in_any_mode():
    reading = reading_of(prediction(1, 0.99), prediction(7, 0.99))
    for mode in ("L", "RGB", "I;16", "P"):
        assert render_number.boxes_picture(Image.new(mode, (300, 140)), reading).mode == "RGB"


# ---- the typed correction ----


@pytest.mark.parametrize("text, number", [("2046", "2046"), (" 2046 ", "2046"), ("2 046", "2046"), ("007", "007")])
def test_typed_number(text, number):
    assert actions.typed_number(text) == number


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "type the number it was first"),
        (None, "type the number it was first"),
        ("20a6", "type digits only (0-9), like 2046; “20a6” is not a number"),
        ("-12", "type digits only"),
        ("١٢", "type digits only"),  # Arabic-Indic digits are digits to Python, not to the store
        ("1" * 13, "at most 12 digits"),
    ],
)
def test_typed_number_fail(text, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        actions.typed_number(text)


def test_save_number_feedback_saves_the_drawing_and_each_digit(recognizer, clear_digits, data_dir):
    picture = written(clear_digits, "104")
    reading = recognizer.read_number(picture)
    outcome = actions.save_number_feedback(DrawingStore(data_dir), picture, "174", reading, "v1", session="s-1")
    assert outcome.ok and outcome.message.startswith("Saved 174, with its 3 digits.")
    whole, *parts = DrawingStore(data_dir).examples()
    assert (whole.number, whole.predicted) == ("174", "104")
    assert [(p.label, p.predicted) for p in parts] == [(1, 1), (7, 0), (4, 4)]
    for part, digit in zip(parts, reading.digits):
        with Image.open(part.path) as crop:
            x0, y0, x1, y1 = digit.box
            assert x1 - x0 < crop.width < x1 - x0 + 50 and y1 - y0 < crop.height < y1 - y0 + 50


def test_save_number_feedback_of_another_length_keeps_the_whole_only(recognizer, clear_digits, data_dir):
    picture = written(clear_digits, "104")
    reading = recognizer.read_number(picture)
    outcome = actions.save_number_feedback(DrawingStore(data_dir), picture, "1044", reading, "v1")
    assert outcome.ok and "as a whole only: it has 4 digits and the page found 3" in outcome.message
    assert [e.number for e in DrawingStore(data_dir).examples()] == ["1044"]


def test_save_number_feedback_fail(recognizer, clear_digits, data_dir):
    picture = written(clear_digits, "104")
    outcome = actions.save_number_feedback(DrawingStore(data_dir), picture, "1o4", recognizer.read_number(picture), "v1")
    assert not outcome.ok and outcome.message == "Not saved: type digits only (0-9), like 2046; “1o4” is not a number."
    assert DrawingStore(data_dir).examples() == []


# ---- the page ----


def test_draw_a_number_shows_the_number(drawn, clear_digits):
    drawn.image = written(clear_digits, "104")
    at = run_page()
    assert not at.exception
    [result] = results(at)
    assert 'data-kind="number" data-status="ok" data-number="104" data-digits="3"' in result
    assert at.button(key="draw-number-right").label == "Right?"
    assert at.text_input(key="draw-number-typed").label == "No, it was:"
    assert not [s for s in at.selectbox if s.key == "draw-label"]  # the digit's choice is not shown


def test_draw_one_digit_on_the_wide_canvas_shows_the_digit(drawn, clear_digits):
    drawn.image = written(clear_digits, "7")
    at = run_page()
    [result] = results(at)
    assert 'data-status="ok" data-digit="7"' in result and "data-kind" not in result
    assert at.selectbox(key="draw-label").label == "No, it was:"


def test_draw_a_number_with_a_digit_it_is_not_sure_of(drawn, clear_digits, mnist_digits, recognizer, data_dir):
    x, _ = mnist_digits
    # The first test digit the committed model is not sure of between a 1 and a 4.
    drawn.image = next(
        picture for picture in (written({**clear_digits, "?": d}, "1?4") for d in x)
        if recognizer.read_number(picture).number == "1?4"
    )
    reading = recognizer.read_number(drawn.image)
    guess = actions.best_guess(reading)
    (first, _), (second, _) = reading.digits[1].prediction.top2
    at = run_page()
    [result] = results(at)
    assert 'data-status="uncertain" data-number="1?4"' in result
    assert f"Not sure of the 2nd digit: maybe {'an' if first == 8 else 'a'} <b>{first}</b>" in result
    assert f"or {'an' if second == 8 else 'a'} <b>{second}</b>" in result
    assert at.button(key="draw-number-right").label == f"It's {guess}"
    at.button(key="draw-number-right").click().run()
    whole, *parts = DrawingStore(data_dir).examples()
    assert (whole.number, whole.predicted) == (guess, "1?4") and len(parts) == 3


def test_draw_a_number_right_saves_it_with_its_digits(drawn, clear_digits, data_dir):
    drawn.image = written(clear_digits, "104")
    at = run_page()
    at.button(key="draw-number-right").click().run()
    assert not at.exception
    assert any("Saved 104, with its 3 digits" in s.value for s in at.success)
    whole, *parts = DrawingStore(data_dir).examples()
    assert whole.number == "104" and [p.label for p in parts] == [1, 0, 4]
    assert whole.session == at.session_state.visitor


def test_draw_a_number_correction_typed(drawn, clear_digits, data_dir):
    drawn.image = written(clear_digits, "104")
    at = run_page()
    at.text_input(key="draw-number-typed").input("1o4")
    at.button(key="draw-number-save").click().run()
    assert any("type digits only" in e.value for e in at.error)
    assert DrawingStore(data_dir).examples() == []

    at.text_input(key="draw-number-typed").input("174")
    at.button(key="draw-number-save").click().run()
    assert not at.exception
    assert any("Saved 174, with its 3 digits" in s.value for s in at.success)
    assert [e.label for e in DrawingStore(data_dir).examples()] == [None, 1, 7, 4]


def test_draw_a_number_correction_without_a_number_says_so(drawn, clear_digits, data_dir):
    drawn.image = written(clear_digits, "104")
    at = run_page()
    at.button(key="draw-number-save").click().run()
    assert any("type the number it was first" in e.value for e in at.error)


def test_your_drawings_lists_a_number_once_and_takes_it_back(drawn, clear_digits, data_dir):
    drawn.image = written(clear_digits, "104")
    at = run_page(visitor="visitor-a")
    at.button(key="draw-number-right").click().run()
    assert len(DrawingStore(data_dir).examples()) == 4
    at = run_page(tab="Your drawings", visitor="visitor-a")
    assert not at.exception
    assert any("You saved 1 drawing" in m.value for m in at.markdown)
    assert [c.value for c in at.caption if c.value == "104"] == ["104"]
    [take_back] = [b for b in at.button if b.key and b.key.startswith("delete-numbers/")]
    take_back.click().run()
    assert DrawingStore(data_dir).examples() == []


def test_dataset_tab_shows_a_number_as_one_drawing(clear_digits, data_dir, operator):
    store = DrawingStore(data_dir)
    picture = written(clear_digits, "104")
    reading = Recognizer.load().read_number(picture)
    assert actions.save_number_feedback(store, picture, "104", reading, "v1", session="visitor-1").ok
    store.save(np.full((28, 28), 255, np.uint8), 7, predicted=7, session="visitor-2")
    at = run_page(tab="Dataset", operator=True)
    assert not at.exception
    assert any("2 saved drawings, 2 waiting for review" in m.value for m in at.markdown)
    assert {c.value for c in at.caption} >= {"104", "7"}
    [number] = [e for e in store.examples() if e.number]
    at.button(key=f"approve-{number.file}").click().run()
    assert [e.label for e in store.examples(status="approved")] == [None, 1, 0, 4]
    at.button(key="approve-all").click().run()  # nothing waiting: the latest are shown, the number with them
    at.button(key=f"delete-{number.file}").click().run()
    assert not at.exception
    assert [e.label for e in store.examples()] == [7]
    assert any("1 saved drawing, 0 waiting for review" in m.value for m in at.markdown)


def test_upload_a_number(recognizer, clear_digits):
    buffer = io.BytesIO()
    Image.fromarray(written(clear_digits, "104")).convert("L").save(buffer, "PNG")
    upload = actions.read_upload(buffer.getvalue(), "room.png")
    shown = actions.read_picture(recognizer, upload.image)
    assert isinstance(shown, NumberReading) and shown.number == "104"
    assert 'class="upload-result" data-kind="number"' in render_number.number_html(shown, upload.image, "upload-result", "picture")
