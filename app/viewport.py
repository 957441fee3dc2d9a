"""The width the Draw tab has in the browser, and the canvas component's own toolbar taken away.

    >>> width = content_width()      # CSS pixels of the tab's content; None until measured

A tiny Streamlit component (components v2, so its script runs in the page itself): it reports
the width of the block it sits in when it first shows and whenever it changes (a phone turned,
the sidebar opened), and it hides streamlit-drawable-canvas's hover toolbar in every canvas on
the page. That toolbar (send, undo, redo, edit, reset) has no switch; invisible until hovered,
it lies over the canvas's top edge, where on a touch screen a tap wipes the drawing or turns on
moving strokes. The page's own Undo and Clear replace it.
"""

from __future__ import annotations

import streamlit as st

KEY = "dr-viewport"

_JS = """
export default function (component) {
  const { parentElement, setStateValue } = component;
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
  hideToolbars();
  const mutations = new MutationObserver(hideToolbars);
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
    result = _component(key=KEY, default={"width": None}, on_width_change=lambda: None, height=0)
    width = getattr(result, "width", None)
    return width if isinstance(width, (int, float)) and width > 0 else None
