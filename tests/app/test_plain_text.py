"""Text from visitors and model files shows as text, never as Markdown or HTML."""

import re

import pytest

from app import actions
from app.plain_text import literal

# Backslash escapes as CommonMark reads them: a backslash before ASCII punctuation is dropped.
UNESCAPE = re.compile(r"\\([!-/:-@\[-`{-~])")


@pytest.mark.parametrize(
    "text",
    [
        "[click here](http://evil.example/steal)",
        "![tracker](http://evil.example/pixel.png).png",
        "<img src=x onerror=alert(1)>.png",
        "**bold** _it_ `code` ~~gone~~ # heading",
        "1. a list? - or + this",
        "www.evil.example and http://evil.example",
        "a\nnew\n\nparagraph",
        "$x^2$ :material/warning: :smile:",
    ],
)
def test_markdown_shows_the_text_as_given(text):
    shown = literal(text)
    assert UNESCAPE.sub(r"\1", shown) == " ".join(text.split())
    assert not re.search(r"(?<!\\)[\[\]()<>`*_!|~]", shown), shown
    assert "\n" not in shown and "http://" not in shown and "www." not in shown


@pytest.mark.parametrize("name", ["seven.gif", "digit.png", "IMG 2041.JPG", "scan-03.tiff"])
def test_ordinary_names_unchanged(name):
    assert literal(name) == name


def test_long_text_cut():
    assert literal("x" * 500) == "x" * 199 + "…"


def test_upload_name_is_text_in_messages():
    name = "[prize](http://evil.example) ![x](http://evil.example/p.png).png"
    upload = actions.read_upload(b"", name)
    assert upload.error.startswith(literal(name))
    assert "](http" not in upload.error and "![" not in upload.error
