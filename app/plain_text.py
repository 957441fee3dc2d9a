"""Text that came from a visitor or a model file, made safe to show in Streamlit's Markdown
(st.info, st.error, st.warning, st.caption and labels all render Markdown, with links and
images): every character that could start a link, an image, emphasis, code, HTML or a list is
escaped with a backslash, so the words appear exactly as given and nothing else does.

    >>> literal("[win](http://evil.example) ![](http://evil.example/p.png).png")
    '\\[win\\]\\(http:\\/\\/evil.example\\) \\!\\[\\]\\(http:\\/\\/evil.example\\/p.png\\).png'
    >>> literal("seven.gif")                        # ordinary names are unchanged
    'seven.gif'
"""

from __future__ import annotations

import re

MAX_CHARS = 200  # a file name or a model's version; longer text is cut with an ellipsis
# CommonMark lets any ASCII punctuation be backslash-escaped; these can start something.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~$&:/@=])")
_LIST_START = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")  # "1. " starts a list; "10.0" does not


def literal(text: object, max_chars: int = MAX_CHARS) -> str:
    """`text` as Markdown that shows exactly its characters: on one line, at most `max_chars`."""
    text = " ".join(str(text).split())  # newlines would end a paragraph and start a block
    if len(text) > max_chars:
        text = text[: max_chars - 1] + "…"
    text = _SPECIAL.sub(r"\\\1", text)
    text = text.replace("www.", "www\\.")  # a bare www. becomes a link in GitHub Markdown
    return _LIST_START.sub(r"\1\\\2", text)
