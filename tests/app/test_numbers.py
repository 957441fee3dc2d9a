"""Reading whole numbers: digits found the way people write them, read left to right, and one
digit read exactly as `predict` reads it."""

import numpy as np
import pytest
from PIL import Image, ImageDraw

from app.numbers import EMPTY_NUMBER, NumberReading
from app.preprocess import find_ink
from app.segment import between, components, cut_seams
from app.strokes import digits_drawn, stroke_digits, stroke_masks, strokes_in
from bench.writing import fabric_path
from tests.support.flood import flood_labels

HEIGHT = 280


@pytest.fixture(scope="module")
def sure_digits(recognizer, mnist_digits):
    """MNIST test digits the model reads right and sure when they are alone, by label: these
    tests are about finding the digits, not about reading them."""
    x, y = mnist_digits
    found = {}
    for digit, label in zip(x, y):
        p = recognizer.predict(255 - np.kron(digit, np.ones((4, 4), np.uint8)))
        if p.digit == label and p.confidence > 0.99:
            found.setdefault(int(label), []).append(digit)
    return found


def style(ink: Image.Image, name: str) -> Image.Image:
    """White-on-black ink ('L') on the page's canvases."""
    if name == "transparent":
        black = Image.new("L", ink.size)
        return Image.merge("RGBA", (black, black, black, ink))
    share = np.asarray(ink, dtype=np.float32)[..., None] / 255
    paper, pen = (np.array([24, 28, 38]), np.array([245, 245, 245])) if name == "dark" else (np.array([255, 255, 255]), np.array([20, 20, 80]))
    return Image.fromarray((paper + share * (pen - paper)).astype(np.uint8), "RGB")


def written(digits, gap=40, size=150, slope=0.0, sizes=None, width=None) -> tuple[Image.Image, list]:
    """MNIST digits side by side on a wide canvas (white ink on black), and where each went."""
    sizes = sizes or [1.0] * len(digits)
    inks = []
    for digit, scale in zip(digits, sizes):
        ink = Image.fromarray(digit).resize((round(size * scale),) * 2, Image.Resampling.BICUBIC)
        inks.append(ink.crop(ink.point(lambda v: 255 if v > 60 else 0).getbbox()))  # its visible ink
    width = width or 40 + sum(i.width for i in inks) + gap * (len(inks) - 1) + 40
    canvas = Image.new("L", (width, max(HEIGHT, int(size * 1.6) + abs(int(slope * width)))))
    x, places = 40, []
    base = canvas.height / 2 + size / 2 - slope * width / 2
    for ink in inks:
        y = int(base + slope * x - ink.height)
        canvas.paste(ink, (x, y))
        places.append((x, y, x + ink.width, y + ink.height))
        x += ink.width + gap
    return canvas, places


def stroke(points, width: float) -> dict:
    """One stroke as the canvas reports it (a fabric.js path in canvas pixels)."""
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    path = [["M", *points[0]]]
    for a, b in zip(points, points[1:]):
        path.append(["Q", a[0], a[1], (a[0] + b[0]) / 2, (a[1] + b[1]) / 2])
    path.append(["L", *points[-1]])
    return {"type": "path", "left": min(xs) - width / 2, "top": min(ys) - width / 2, "strokeWidth": width, "path": path}


def drawn(strokes_points, width=16, size=(700, HEIGHT)) -> tuple[Image.Image, list[dict]]:
    """Strokes drawn with a round pen as the canvas draws them, and the canvas's record of them."""
    ink = Image.new("L", size)
    draw = ImageDraw.Draw(ink)
    for points in strokes_points:
        draw.line(points, fill=255, width=width, joint="curve")
        for x, y in (points[0], points[-1]):
            draw.ellipse([x - width / 2, y - width / 2, x + width / 2, y + width / 2], fill=255)
    return ink, [stroke(p, width) for p in strokes_points]


def digits_of(reading: NumberReading) -> str:
    return "".join(str(d.prediction.digit) for d in reading.digits)


# One digit


@pytest.mark.parametrize("name", ["dark", "light", "transparent"])
def test_one_digit_reads_exactly_as_predict(recognizer, mnist_digits, name):
    x, _ = mnist_digits
    for digit in x[:40]:
        picture = style(written([digit], size=180, width=700)[0], name)
        reading = recognizer.read_number(picture)
        assert len(reading.digits) == 1 and reading.whole
        assert reading.digits[0].prediction == recognizer.predict(picture)


@pytest.mark.parametrize(
    "picture",
    [np.full((280, 700), 255, np.uint8), np.zeros((280, 700, 4), np.uint8), Image.new("RGB", (1, 1), "white")],
    ids=["white canvas", "transparent canvas", "one pixel"],
)
def test_empty(recognizer, picture):
    assert recognizer.read_number(picture) == EMPTY_NUMBER
    assert (EMPTY_NUMBER.number, EMPTY_NUMBER.status, EMPTY_NUMBER.digits) == (None, "empty", ())


# Numbers from pixels (uploads, the CLI)


NUMBERS = ["2026", "42", "907", "1111", "385", "60", "714", "5839"]


@pytest.mark.parametrize("number", NUMBERS)
@pytest.mark.parametrize("gap", [12, 60], ids=["close", "wide"])
def test_number_reads_left_to_right(recognizer, sure_digits, number, gap):
    digits = [sure_digits[int(c)][k % 3] for k, c in enumerate(number)]
    picture = style(written(digits, gap=gap)[0], ["dark", "light", "transparent"][len(number) % 3])
    reading = recognizer.read_number(picture)
    assert digits_of(reading) == number
    assert reading.number == number and reading.status == "ok"
    assert reading.unsure == () and not reading.whole


@pytest.mark.parametrize("slope", [-0.2, 0.2], ids=["falling", "rising"])
def test_sloped_number_reads_in_order(recognizer, sure_digits, slope):
    digits = [sure_digits[d][1] for d in (3, 1, 4, 8)]
    assert digits_of(recognizer.read_number(written(digits, gap=30, slope=slope)[0])) == "3148"


def test_uneven_sizes_read_in_order(recognizer, sure_digits):
    digits = [sure_digits[d][0] for d in (7, 2, 9, 5)]
    picture, _ = written(digits, gap=30, sizes=[1.0, 0.7, 1.15, 0.8])
    assert digits_of(recognizer.read_number(picture)) == "7295"


def test_boxes_are_where_the_digits_are(recognizer, sure_digits):
    """Boxes are in the picture's pixels, also when a large picture is reduced to be read."""
    digits = [sure_digits[d][0] for d in (4, 0, 6)]
    picture, places = written(digits, gap=80, size=300)
    assert picture.width > 512
    reading = recognizer.read_number(picture)
    assert len(reading.digits) == 3
    near = 3 * picture.width / 512  # three pixels of the reduced picture
    for digit, place in zip(reading.digits, places):
        assert all(abs(a - b) <= near for a, b in zip(digit.box, place)), (digit.box, place)


def test_uncertain_digit_shows_as_question_mark(recognizer, sure_digits):
    picture, places = written([sure_digits[2][0], sure_digits[6][0]], gap=220)
    draw = ImageDraw.Draw(picture)
    middle = (places[0][2] + places[1][0]) // 2
    draw.ellipse([middle - 70, 70, middle + 70, 210], fill=255)  # a blot between the 2 and the 6
    reading = recognizer.read_number(picture)
    assert reading.status == "uncertain"
    assert reading.number.startswith("2") and reading.number.endswith("6") and "?" in reading.number
    assert reading.unsure and all(reading.number[i] == "?" for i in reading.unsure)
    assert all(len(reading.digits[i].prediction.top2) == 2 for i in reading.unsure)


# Touching digits, strokes


def ring(cx, cy, rx=45, ry=70):
    return [(cx + rx * np.sin(t), cy - ry * np.cos(t)) for t in np.linspace(0, 2 * np.pi, 40)]


TOUCHING = {
    "00": [ring(120, 140), ring(120 + 90 + 12, 140)],  # the two rings overlap by the pen's width
    "10": [[(100, 70), (100, 210)], ring(100 + 60, 140)],
    "100": [[(100, 70), (100, 210)], ring(100 + 60, 140), ring(100 + 60 + 100, 140)],
}
# The 1 under the end of the 7's bar: by their columns the strokes are one digit.
UNDER_THE_BAR = [[(100, 60), (200, 60), (140, 225)], [(196, 64), (196, 225)]]


@pytest.mark.parametrize("number", list(TOUCHING))
def test_touching_digits_are_split_by_their_strokes(recognizer, number):
    ink, strokes = drawn(TOUCHING[number])
    assert components(np.asarray(ink) > 100)[1] == 1  # one piece of ink
    assert digits_of(recognizer.read_number(style(ink, "light"), strokes)) == number


class Doubting:
    """A stand-in for the model that doubts a 7 with a stroke too many (more ink than a 7 has:
    a 7 at 0.3) and reads the rest surely: a 1 when it is thin, else a 7."""

    def probabilities(self, batch):
        out = []
        for x in batch:
            cols = np.flatnonzero(x.max(axis=0) > 0.3)
            digit = 1 if cols[-1] + 1 - cols[0] < 8 else 7
            sure = 0.3 if np.count_nonzero(x > 0.3) > 85 else 0.99
            p = np.full(10, (1 - sure) / 9)
            p[digit] = sure
            out.append(p)
        return np.array(out, np.float32)


def test_strokes_drawn_as_one_digit_are_cut_where_one_digits_strokes_end_when_the_model_doubts_them():
    from app.numbers import read_number

    ink, strokes = drawn(UNDER_THE_BAR)
    assert digits_drawn(strokes) == 1  # by their columns, one digit
    reading = read_number(Doubting(), style(ink, "light"), strokes)
    assert digits_of(reading) == "71" and reading.status == "ok"
    seven, one = reading.digits
    assert seven.box[0] < one.box[0] and one.box[2] - one.box[0] < 40  # the 1 on its own: its stroke only


class Unsure:
    """A stand-in for the model that reads anything as a 4 at 0.3: no cut reads better."""

    def probabilities(self, batch):
        p = np.full((len(batch), 10), 0.7 / 9, np.float32)
        p[:, 4] = 0.3
        return p


def test_strokes_drawn_as_one_digit_that_no_cut_reads_better_are_read_whole():
    """Doubted, a 4's two strokes are tried as two digits; read better as one, the reading is
    the whole ink's, as `predict` reads it, and says so."""
    from app.numbers import read_number

    ink, strokes = drawn(TWO_STROKES[4], width=14)
    reading = read_number(Unsure(), style(ink, "dark"), strokes)
    assert len(reading.digits) == 1 and reading.status == "uncertain" and reading.whole


def test_touching_digits_are_cut_from_pixels(recognizer):
    """Without strokes the cut is the model's judgement of where one digit ends: it finds both
    rings (which of them it reads right is the cut's weak point, see bench.numbers)."""
    ink, _ = drawn(TOUCHING["00"])
    reading = recognizer.read_number(style(ink, "light"))
    assert len(reading.digits) == 2
    assert reading.digits[0].box[2] <= reading.digits[1].box[2]


@pytest.mark.parametrize("digit, over, lean", [(3, 16, 0.35), (8, 28, 0.35), (9, 28, 0.35), (5, 16, -0.35)])
def test_a_1_leaning_into_the_digit_before_it_is_cut_from_pixels_along_its_slant(recognizer, sure_digits, digit, over, lean):
    """The 1's foot (or, leaning back, its head) stands inside the columns of the digit it
    touches, so no upright path separates them; a path at the 1's slant does."""
    canvas, [(x0, y0, x1, y1)] = written([sure_digits[digit][0]], gap=0)
    foot = x1 - over if lean > 0 else x1 - over - lean * (y1 - y0)
    ImageDraw.Draw(canvas).line([(foot + lean * (y1 - y0), y0), (foot, y1)], fill=255, width=16)
    assert recognizer.read_number(style(canvas, "light")).number == f"{digit}1"


def test_a_grid_is_not_cut_into_sure_digits_along_slanted_lines(recognizer):
    """Cut along a slant, a grid's halves can look like a 6 and a 9; a piece cut so must read
    sure (SLANT_SURE) to count as a digit, so a grid stays "not sure" as a number too."""
    from bench.conditions import NON_DIGITS

    rng = np.random.default_rng(0)
    readings = [recognizer.read_number(NON_DIGITS["grid of lines"](rng)) for _ in range(60)]
    assert all(r.status == "uncertain" for r in readings)


def laid_over(sure_digits, number: str, over: int = 12) -> Image.Image:
    """Sure MNIST digits written touching: each laid `over` pixels over the last one's right edge."""
    inks = [written([sure_digits[int(c)][k % 3]], gap=0)[0] for k, c in enumerate(number)]
    boxes = [ink.getbbox() for ink in inks]
    canvas = np.zeros((HEIGHT, 60 + sum(b[2] - b[0] for b in boxes)), np.uint8)
    x = 30
    for ink, (x0, _, x1, _) in zip(inks, boxes):
        part = np.asarray(ink)[:, x0:x1]
        canvas[:, x : x + x1 - x0] = np.maximum(canvas[:, x : x + x1 - x0], part)
        x += x1 - x0 - over
    return style(Image.fromarray(canvas), "light")


@pytest.mark.parametrize("number, over", [("21", 12), ("21", 20), ("33", 20), ("61", 20), ("76", 20)])
def test_a_touching_pair_read_as_one_doubted_digit_is_cut_when_its_parts_read_sure(recognizer, sure_digits, number, over):
    """From pixels, a piece wider than WIDE_DOUBT line heights that the model doubts is
    likelier two digits than one: without that, one doubted digit costs less than two sure ones."""
    assert recognizer.read_number(laid_over(sure_digits, number, over)).number == number


def test_the_cut_search_reads_only_the_pieces_the_best_way_could_pass_through(recognizer, sure_digits, monkeypatch):
    """A touching piece is tried as many pieces; each is read only while the best way of
    cutting could still go through it. The readings are those of reading every piece."""
    import app.numbers
    from app.numbers import SLANT_SURE, WIDE_DOUBT, _best_path, _score, centre_digit, judge

    def read_all(recognizer, last, spans, whole_p, whole_x, group, line, doubt=0.0):  # the eager search it replaced
        h, w = group.pixels.shape
        pieces = {(0, last): ((0, 0, w, h), whole_x)}
        cut = {k: piece for k, (cut_out, _) in spans.items() if (piece := cut_out()) is not None}
        pieces.update({k: (box, x) for k, (box, ink) in cut.items() if (x := centre_digit(ink)) is not None})
        keys = [k for k in pieces if k != (0, last)]
        p = {(0, last): whole_p, **dict(zip(keys, recognizer.probabilities(np.stack([pieces[k][1] for k in keys]))))}
        scores = {}
        for k, (box, x) in pieces.items():
            width = box[2] - box[0]
            doubted = doubt and width > WIDE_DOUBT * line and judge(p[k], x).status != "ok"
            slanted = k in spans and spans[k][1] and p[k].max() < SLANT_SURE
            scores[k] = -np.inf if slanted else _score(p[k], width, line, box[3] - box[1]) - (doubt if doubted else 0.0)
        chosen = _best_path(last, scores)
        gx, gy = group.box[:2]
        out = [(p[k], pieces[k][1], (gx + b[0], gy + b[1], gx + b[2], gy + b[3])) for k in chosen for b in [pieces[k][0]]]
        return sorted(out, key=lambda piece: piece[2][0] + piece[2][2]), sum(scores[k] for k in chosen)

    read = {"n": 0}
    probabilities = recognizer.probabilities

    def counted(x):
        read["n"] += len(x)
        return probabilities(x)

    monkeypatch.setattr(recognizer, "probabilities", counted)
    pictures = [laid_over(sure_digits, number) for number in ("00", "314", "2026", "857", "49")]
    lazy = [recognizer.read_number(p) for p in pictures]
    lazy_reads, read["n"] = read["n"], 0
    monkeypatch.setattr(app.numbers, "_best_cut", read_all)
    eager = [recognizer.read_number(p) for p in pictures]
    assert [(r.number, [d.box for d in r.digits]) for r in lazy] == [(r.number, [d.box for d in r.digits]) for r in eager]
    assert sum(len(r.digits) for r in lazy) > len(pictures)  # they were cut
    assert lazy_reads < 0.7 * read["n"], (lazy_reads, read["n"])


def test_a_groups_ink_under_each_of_its_strokes_in_the_order_they_were_drawn():
    from app.segment import whole

    ink, strokes = drawn(UNDER_THE_BAR)
    picture = style(ink, "light")
    found = find_ink(picture)
    under = strokes_in(whole(found), stroke_masks(found, strokes))
    assert len(under) == 2
    bar_and_stem, one = under
    assert one.any(axis=0).nonzero()[0].min() > bar_and_stem.shape[1] * 0.6  # the 1, drawn second, on the right
    assert (bar_and_stem | one)[found.pixels > 0.5].all()  # together they hold all the ink
    assert not strokes_in(whole(found), stroke_masks(found, strokes), most=1)  # more strokes than asked for: none


# Which digit each stroke is, from the boxes (x0, y0, x1, y1) in the order they were drawn.
STROKE_ORDER = {
    "a 4 in two strokes": ([(10, 0, 90, 70), (60, 10, 75, 100)], [0, 0]),
    "a 5, its bar last": ([(10, 5, 80, 100), (20, 0, 85, 8)], [0, 0]),
    "a 5 begun with its bar, then a 1": ([(30, 0, 90, 10), (0, 5, 55, 100), (100, 0, 115, 100)], [0, 0, 1]),
    "a 1 then a 0, touching": ([(40, 0, 52, 100), (50, 0, 120, 100)], [0, 1]),
    "a 7 crossed after the next digit": ([(0, 0, 70, 100), (90, 0, 160, 100), (10, 50, 60, 58)], [0, 1, 0]),
    "written right to left": ([(200, 0, 260, 100), (100, 0, 160, 100)], [1, 0]),
}


@pytest.mark.parametrize("boxes, owners", list(STROKE_ORDER.values()), ids=list(STROKE_ORDER))
def test_strokes_belong_to_the_digit_being_written(boxes, owners):
    assert stroke_digits(boxes) == owners


TWO_STROKES = {
    4: [[(140, 60), (95, 165), (215, 165)], [(185, 90), (185, 230)]],  # the upright lifted off the angle
    5: [[(110, 80), (105, 140), (150, 130), (185, 160), (180, 205), (145, 225), (105, 210)], [(120, 58), (200, 56)]],
    7: [[(100, 60), (210, 60), (140, 225)], [(130, 145), (205, 145)]],  # a crossed 7
    1: [[(120, 100), (160, 60), (160, 200)], [(115, 226), (205, 226)]],  # a 1 with a separate foot
}


@pytest.mark.parametrize("digit", list(TWO_STROKES))
@pytest.mark.parametrize("with_strokes", [False, True], ids=["pixels", "strokes"])
def test_strokes_of_one_digit_stay_together(recognizer, digit, with_strokes):
    ink, strokes = drawn(TWO_STROKES[digit], width=14)
    reading = recognizer.read_number(style(ink, "dark"), strokes if with_strokes else None)
    assert reading.number == str(digit)


@pytest.mark.parametrize("rx, width", [(130, 10), (150, 16)], ids=["wide", "very wide"])
def test_strokes_drawn_as_one_digit_read_as_predict_reads_them(recognizer, rx, width):
    """A 0 twice as wide as tall, drawn in one stroke: the strokes say one digit, so it is not
    cut in two (a 0 and a 7, from its pixels alone), and the answer is `predict`'s."""
    ink, strokes = drawn([ring(300, 140, rx=rx, ry=70)], width=width)
    picture = style(ink, "dark")
    reading = recognizer.read_number(picture, strokes)
    assert len(reading.digits) == 1 and reading.whole
    assert reading.digits[0].prediction == recognizer.predict(picture)


@pytest.mark.parametrize(
    "strokes, count",
    [(TWO_STROKES[4], 1), (TWO_STROKES[7], 1), (TOUCHING["10"], 2), (TOUCHING["100"], 3), ([], 0)],
    ids=["a 4", "a crossed 7", "10 touching", "100 touching", "no strokes"],
)
def test_how_many_digits_the_strokes_were_drawn_as(strokes, count):
    assert digits_drawn(drawn(strokes)[1] if strokes else []) == count


def test_a_digit_its_strokes_divide_is_not_read_whole_even_when_joined_again(recognizer):
    """A 4 whose two strokes the canvas says are two digits: the model joins them again, but
    from the strokes' parts, not from all the ink as `predict` reads it; from its pixels alone
    it is read whole."""
    import json

    from bench.drawing import mnist_drawings, render

    drawing = mnist_drawings(1, start=4)[0]
    picture = np.asarray(render(drawing.strokes))
    strokes = json.loads(drawing.reports[-1])["drawing"]["raw"]["objects"]
    assert digits_drawn(strokes) == 2
    with_strokes = recognizer.read_number(picture, strokes)
    assert with_strokes.number == "4" and not with_strokes.whole
    assert recognizer.read_number(picture).whole


def test_two_stroke_digits_in_a_number(recognizer):
    shifted = [[[(x + dx, y) for x, y in s] for s in TWO_STROKES[d]] for d, dx in ((4, 0), (5, 170), (7, 340), (1, 500))]
    ink, strokes = drawn([s for digit in shifted for s in digit], width=14, size=(800, HEIGHT))
    for given in (None, strokes):
        assert recognizer.read_number(style(ink, "transparent"), given).number == "4571"


def test_a_dot_drawn_beside_a_number_is_not_a_digit(recognizer):
    """A flick of the pen left of `01`: with the strokes it is a digit of its own by its
    columns; like a speck of ink from pixels, it joins the digit nearest to it."""
    ink, strokes = drawn([[(60, 120), (63, 122)], ring(220, 140), [(350, 70), (350, 210)]])
    picture = style(ink, "light")
    assert digits_drawn(strokes) == 3
    assert digits_of(recognizer.read_number(picture, strokes)) == digits_of(recognizer.read_number(picture)) == "01"


def test_a_digit_drawn_as_two_short_strokes_is_measured_as_tall_as_it_is(recognizer):
    """A 3 whose lower bowl, drawn second, sits well to the right: by their columns the strokes
    are two digits, each half as tall as the 3. The writing's height is the 3's (strokes whose
    boxes overlap count as one), so the whole is not too wide for one digit, and it reads as 3."""
    def arc(cx, cy, rx, ry, start, end):
        t = np.radians(np.linspace(start, end, 24))
        return list(zip(cx + rx * np.cos(t), cy + ry * np.sin(t)))

    ink, strokes = drawn([arc(130, 95, 40, 35, -160, 90), arc(200, 175, 48, 40, -90, 160)])
    assert digits_drawn(strokes) == 2
    assert digits_of(recognizer.read_number(style(ink, "light"), strokes)) == "3"


def test_many_digits_drawn_in_a_row_cost_a_few_model_inputs_each(recognizer, monkeypatch):
    """75 dashes side by side, each a digit by its strokes: at most three neighbours are tried
    as one digit (MAX_JOIN), so the work grows with the digits, not with their square."""
    inputs = []
    read = recognizer.probabilities
    monkeypatch.setattr(recognizer, "probabilities", lambda x: inputs.append(len(x)) or read(x))
    ink, strokes = drawn([[(10 + 7 * i, 120 + i % 3 * 5), (12 + 7 * i, 160)] for i in range(75)], width=8, size=(560, HEIGHT))
    reading = recognizer.read_number(style(ink, "light"), strokes)
    assert len(reading.digits) == digits_drawn(strokes) == 75
    assert sum(inputs) <= 3 * 75


def test_strokes_as_the_whole_json_data(recognizer):
    ink, strokes = drawn(TOUCHING["00"])
    picture = style(ink, "light")
    assert recognizer.read_number(picture, {"version": "6.0", "objects": strokes}) == recognizer.read_number(picture, strokes)


def test_strokes_that_are_not_this_drawing_are_ignored(recognizer, sure_digits):
    picture, _ = written([sure_digits[d][0] for d in (8, 3)])
    _, elsewhere = drawn([[(600, 20), (690, 30)]])
    others = [{"type": "rect", "left": 3}, {"path": "M 0 0"}, {"path": [["M", "x", 1]]}, "text"]
    others += [{"path": [["M", 1, 2], 7]}, {"path": [["M", 1, 2, 3]]}, {"path": [{"M": 1}]}, {"path": [["M", None, 2]]}]
    expected = recognizer.read_number(picture)
    assert digits_of(expected) == "83"
    assert recognizer.read_number(picture, elsewhere) == expected
    assert recognizer.read_number(picture, others) == expected


@pytest.mark.parametrize("strokes", ["M 0 0 L 5 5", 42], ids=["string", "number"])
def test_strokes_not_a_list_fail(recognizer, sure_digits, strokes):
    picture, _ = written([sure_digits[1][0]])
    with pytest.raises(ValueError, match="json_data"):
        recognizer.read_number(picture, strokes)


@pytest.mark.parametrize(
    "array, words",
    [(np.zeros((28, 28), np.float32), "uint8"), (np.zeros((28, 28, 2), np.uint8), "HxW, HxWx3 or HxWx4")],
    ids=["float32", "2 channels"],
)
def test_bad_picture_fail(recognizer, array, words):
    with pytest.raises(ValueError, match=words):
        recognizer.read_number(array)


# Connected pieces


@pytest.mark.parametrize(
    "rows, count",
    [
        (["#..#", "#..#"], 2),
        (["#...", ".#..", "..#."], 1),  # corners touch: one stroke
        (["###", "#.#", "###"], 1),
        (["#.#.#", "#.#.#"], 3),
        (["....", "...."], 0),
    ],
    ids=["two bars", "diagonal", "ring", "three bars", "empty"],
)
def test_components(rows, count):
    mask = np.array([[c == "#" for c in row] for row in rows])
    labels, n = components(mask)
    assert n == count
    assert np.array_equal(labels > 0, mask)


def test_a_seam_passes_between_leaning_digits_through_the_one_place_they_touch():
    pixels = np.zeros((100, 48), np.float32)  # cropped to its ink, as a group is
    for y in range(100):  # two strokes leaning right, 30 columns apart
        x = y // 8
        pixels[y, x : x + 6] = 1.0
        pixels[y, x + 30 : x + 36] = 1.0
    pixels[48:52, 10:40] = 1.0  # and a bridge between them
    seams = cut_seams(pixels, least=4, most=3)
    crossed = [int(sum(pixels[y, seam[y]] for y in range(100))) for seam in seams]
    best = seams[int(np.argmin(crossed))]
    assert min(crossed) <= 4  # only the bridge, where the seam must cross it
    assert all(y // 8 + 6 <= best[y] < y // 8 + 30 for y in range(100))  # between the strokes
    left = between(pixels, np.zeros(100, np.int64), best).pixels
    assert left.shape[1] < 30  # the left stroke (and its part of the bridge) only


def test_a_slanted_seam_passes_between_digits_that_lean_further_than_an_upright_one_can_follow():
    pixels = np.zeros((100, 64), np.float32)
    lean = [round(0.35 * (99 - y)) for y in range(100)]  # leaning right as italics do, 0.35 columns a row
    for y, x in enumerate(lean):  # two strokes 20 columns apart
        pixels[y, x : x + 6] = 1.0
        pixels[y, x + 26 : x + 32] = 1.0
    pixels[48:52, 20:44] = 1.0  # and a bridge between them

    def apart(seam):  # between the strokes in every row
        return all(x + 6 <= seam[y] < x + 26 for y, x in enumerate(lean))

    slanted = [seam for seam in cut_seams(pixels, least=4, most=5, shear=0.35) if apart(seam)]
    assert slanted and min(int(sum(pixels[y, seam[y]] for y in range(100))) for seam in slanted) <= 4  # only the bridge
    assert not any(apart(seam) for seam in cut_seams(pixels, least=4, most=5))
    assert not any(apart(seam) for seam in cut_seams(pixels, least=4, most=5, shear=-0.35))  # the other slant


@pytest.mark.parametrize("seed", range(6))
def test_components_are_the_pieces_a_flood_fill_finds_numbered_in_reading_order(seed):
    rng = np.random.default_rng(seed)
    mask = rng.random((40, 60)) < [0.3, 0.45, 0.55][seed % 3]  # many pieces, some long and winding
    labels, n = components(mask)
    assert np.array_equal(labels, flood_labels(mask)) and n == labels.max()


@pytest.mark.parametrize("digit", list(TWO_STROKES))
def test_the_page_reads_strokes_drawn_as_one_digit_as_one_digit(recognizer, digit):
    from app.actions import read_picture
    from app.reading import Reading

    ink, strokes = drawn(TWO_STROKES[digit], width=14)
    shown = read_picture(recognizer, style(ink, "dark"), {"objects": strokes})
    assert isinstance(shown, Reading) and shown.prediction.digit == digit


def test_the_page_reads_strokes_drawn_as_digits_as_a_number(recognizer):
    from app.actions import read_picture

    ink, strokes = drawn(TOUCHING["100"])
    assert read_picture(recognizer, style(ink, "light"), {"objects": strokes}).number == "100"


def test_beside_the_strokes_reading_the_page_cuts_the_pixels_upright_only(recognizer, monkeypatch):
    """The pixels' reading is the page's second opinion when the strokes divide the drawing:
    slanted cuts, slower, are left to uploads (and to strokes drawn as one digit)."""
    from app.actions import read_picture

    calls = []
    read_number = recognizer.read_number
    monkeypatch.setattr(recognizer, "read_number", lambda *a, **k: calls.append((a, k)) or read_number(*a, **k))
    ink, strokes = drawn(TOUCHING["100"])
    read_picture(recognizer, style(ink, "light"), {"objects": strokes})
    assert [(given is None, k["slanted"]) for (_, given), k in calls] == [(False, False), (True, False)]
    calls.clear()
    read_picture(recognizer, style(ink, "light"))  # an upload
    assert [(given is None, k["slanted"]) for (_, given), k in calls] == [(True, True)]


def test_a_strokes_mask_is_its_pen_path_with_round_ends_and_corners():
    points = np.array([(60.0, 40.0), (110.0, 200.0), (160.0, 40.0)])  # a V: a sharp corner at the bottom
    pen = 24
    canvas = Image.new("L", (240, 260))
    draw = ImageDraw.Draw(canvas)
    draw.line([tuple(p) for p in points], fill=255, width=pen, joint="curve")
    for x, y in points:
        draw.ellipse([x - pen / 2, y - pen / 2, x + pen / 2, y + pen / 2], fill=255)
    ink = find_ink(canvas)
    found = stroke_masks(ink, [fabric_path(points, pen)])
    assert found is not None and len(found) == 1
    (x0, y0, x1, y1), (painted,) = found.clips[0], found.masks
    mask = np.zeros(ink.pixels.shape, bool)
    mask[y0:y1, x0:x1] = painted
    assert mask[ink.pixels > 0.35].all()  # every bit of the stroke, the corner's outside too
    yy, xx = np.mgrid[: ink.pixels.shape[0], : ink.pixels.shape[1]]
    px, py = xx * ink.scale + ink.left, yy * ink.scale + ink.top  # the mask in canvas pixels
    t = np.linspace(0, 1, 200)[:, None]
    path = np.concatenate([a + t * (b - a) for a, b in zip(points, points[1:])])
    near = np.min(np.hypot(px[..., None] - path[:, 0], py[..., None] - path[:, 1]), axis=-1)
    assert near[mask].max() <= pen / 2 + 4  # and no further than the pen's edge and a margin


def test_each_digits_ink_is_what_its_strokes_cover():
    from app.strokes import digit_groups

    apart, strokes = drawn([ring(120, 140), ring(320, 140)])  # two rings, well apart
    ink = find_ink(apart)
    groups = digit_groups(ink, stroke_masks(ink, strokes))
    assert len(groups) == 2 and groups[0].box[2] < groups[1].box[0]
    assert sum(float(g.pixels.sum()) for g in groups) == pytest.approx(float(ink.pixels.sum()), rel=1e-4)
    touching, strokes = drawn(TOUCHING["00"])  # the rings overlap: each has its own ink only
    ink = find_ink(touching)
    groups = digit_groups(ink, stroke_masks(ink, strokes))
    assert len(groups) == 2 and groups[0].box[0] < groups[1].box[0] < groups[0].box[2]
    assert all(g.width < 0.7 * ink.pixels.shape[1] for g in groups)
    assert sum(float(g.pixels.sum()) for g in groups) > float(ink.pixels.sum())  # where they cross, both


def test_strokes_whose_digits_would_cover_the_picture_many_times_over_are_not_used(recognizer):
    """A ring and, beyond the picture, strokes each wider than all before it: each is a digit of
    its own whose box takes in the whole picture. Painting them all would cost memory and time
    in proportion; such strokes are set aside and the picture is read from its pixels."""
    ink, strokes = drawn([ring(120, 140)])
    far = [stroke([(0.0, 0.0), (1000.0 * 3**k, 300.0)], 16) for k in range(1, 12)]
    assert digits_drawn(strokes + far) > 4
    found = find_ink(ink)
    assert stroke_masks(found, strokes) is not None and stroke_masks(found, strokes + far) is None
    assert recognizer.read_number(ink, strokes + far) == recognizer.read_number(ink)


def test_a_doubted_piece_whose_strokes_cannot_be_tried_as_runs_is_kept(monkeypatch):
    """Strokes are tried as runs only up to a dozen for one piece (`strokes_in` gives none for
    more: a shaded digit, a retraced number); such a piece is read as it is, never dropped."""
    import app.numbers
    from app.numbers import read_number

    monkeypatch.setattr(app.numbers, "strokes_in", lambda group, masks: [])
    ink, strokes = drawn(UNDER_THE_BAR)
    reading = read_number(Doubting(), style(ink, "light"), strokes)
    assert len(reading.digits) == 1 and reading.number == "?"  # the doubted 7, as it was drawn
