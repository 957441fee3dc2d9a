"""What only the browser knows: the width the Draw tab has, and the uploads Streamlit refused
before the page saw them; and the canvas component's own toolbar taken away.

    >>> width = content_width()      # CSS pixels of the tab's content; None until measured
    >>> refused_upload()             # ("huge.png", "13.0MB") when the uploader turned a file away

A tiny Streamlit component (components v2, so its script runs in the page itself): it reports
the width of the block it sits in when it first shows and whenever it changes (a phone turned,
the sidebar opened), and it hides streamlit-drawable-canvas's hover toolbar in every canvas on
the page. That toolbar (send, undo, redo, edit, reset) has no switch; invisible until hovered,
it lies over the canvas's top edge, where on a touch screen a tap wipes the drawing or turns on
moving strokes. The page's own Undo and Clear replace it. Streamlit's uploader refuses a file
over its size limit without the page ever receiving it, and shows only an icon; the script
reports the refused file so that the page can say why in its own words.
"""

from __future__ import annotations

import re

import streamlit as st

KEY = "dr-viewport"
UPLOADS_KEY = "dr-uploads"

_JS = """
export default function (component) {
  const { parentElement, setStateValue, data } = component;
  const host = parentElement.host || parentElement;
  const block = host.closest('[data-testid="stVerticalBlock"]') || document.body;
  const NO_TOOLBAR = "dr-no-toolbar";

  // Every canvas component lives in its own shadow root: give each a rule that removes the toolbar.
  const hideToolbars = () => {
    for (const other of document.querySelectorAll('[data-testid="stBidiComponentIsolated"]')) {
      const root = other.shadowRoot;
      if (root && !root.getElementById(NO_TOOLBAR)) {
        const style = document.createElement("style");
        style.id = NO_TOOLBAR;
        style.textContent = ".dc-toolbar { display: none !important; }";
        root.appendChild(style);
      }
    }
  };
  // A file chip Streamlit marked invalid (over its size limit) carries "name, size" as its label.
  let refused = null;
  const watchUploads = () => {
    const chip = document.querySelector('[data-testid="stFileChip"][aria-invalid="true"]');
    const label = chip ? chip.getAttribute("aria-label") : null;
    if (label !== refused) {
      refused = label;
      setStateValue("refused", label);
    }
  };
  const changed = data && data.uploads ? () => { hideToolbars(); watchUploads(); } : hideToolbars;
  changed();
  const mutations = new MutationObserver(changed);
  mutations.observe(document.body, { childList: true, subtree: true });

  let sent = null;
  let timer = null;
  const report = () => {
    const width = Math.round(block.getBoundingClientRect().width);
    if (width > 0 && (sent === null || Math.abs(width - sent) >= 4)) {
      sent = width;
      setStateValue("width", width);
    }
  };
  const sizes = new ResizeObserver(() => {
    if (!(data && data.width)) return;
    clearTimeout(timer);
    timer = setTimeout(report, sent === null ? 0 : 150);
  });
  sizes.observe(block);
  return () => {
    clearTimeout(timer);
    sizes.disconnect();
    mutations.disconnect();
  };
}
"""

_component = st.components.v2.component("digit_recognizer.viewport", js=_JS, isolate_styles=False)


def content_width() -> int | None:
    """The width in CSS pixels of the block this is called in, as the browser last reported it;
    None before the first report (and wherever no browser runs the script, as in AppTest)."""
    result = _component(key=KEY, data={"width": True}, default={"width": None}, on_width_change=lambda: None, height=0)
    width = getattr(result, "width", None)
    return width if isinstance(width, (int, float)) and width > 0 else None


def refused_upload() -> tuple[str, str] | None:
    """(file name, size as Streamlit wrote it) of the file the uploader on this page refused, or
    None; call it where the uploader is (a refusal reruns that part of the page)."""
    result = _component(
        key=UPLOADS_KEY, data={"uploads": True}, default={"refused": None}, on_refused_change=lambda: None, height=0
    )
    label = getattr(result, "refused", None)
    if not isinstance(label, str) or ", " not in label:
        return None
    name, size = label.rsplit(", ", 1)
    return name, re.sub(r"(\d)([KMG]?B)$", r"\1 \2", size)  # "13.0MB" as the page writes it: "13.0 MB"
