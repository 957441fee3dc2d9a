"""The page's tabs of saved drawings and the operator's sign-in (laid out by app/page.py).

A visitor's "Your drawings" lists what this browser tab saved and can take it back; the
operator's "Dataset" shows every drawing, approves and deletes them and downloads the approved
ones (a one-time link to app/zip_download.py's streamed route). Who the operator is comes from
app/sign_in.py. Layout and wording only.
"""

from __future__ import annotations

import logging
import os

import streamlit as st

from app import actions, render, sign_in, zip_download
from app.dataset import DrawingStore

RECENT = 24  # drawings shown at once
LINK_RENEWAL = 60  # seconds between checks that the ZIP link has some minutes left
ZIP_LINK = "zip-link"  # session state: this session's current one-time ZIP link
log = logging.getLogger("digits.page")


@st.cache_data(show_spinner=False, max_entries=1024)
def thumbnail(path: str) -> bytes:
    # Saved drawings never change (a new name for each), so the path is a safe key.
    return render.thumbnail(path)


def operator_ui() -> bool:
    """The operator's sign-in in the sidebar (st.login, or the token); True for the operator."""
    state = st.session_state
    mode = sign_in.sign_in_mode(_secrets(), os.environ)
    with st.sidebar.expander("Operator", icon=":material/admin_panel_settings:"):
        if mode.kind == "off":
            st.caption(mode.note)
            return False
        if mode.kind == "oidc":
            if not st.user.is_logged_in:
                st.button("Sign in", key="operator-login", on_click=st.login)
                return False
            allowed = sign_in.is_operator_email(mode, st.user.get("email"))
            if not allowed:
                st.caption("Signed in, but not as an operator.")
            st.button("Sign out", key="operator-logout", on_click=st.logout)
            return allowed
        if state.get("operator"):
            st.caption("Signed in as the operator.")
            st.button("Sign out", key="operator-signout", on_click=lambda: state.update(operator=False))
            return True
        with st.form("operator-sign-in", border=False):
            typed = st.text_input("Operator token", type="password", key="operator-token")
            if st.form_submit_button("Sign in"):
                state.operator = sign_in.gate_for(mode.token).check(typed)
                if state.operator:
                    st.rerun()  # the whole page again, now with the operator's view
                st.error("That is not the operator's token.")
        return bool(state.get("operator"))


def _secrets():
    """.streamlit/secrets.toml as a mapping; empty when there is none."""
    try:
        return dict(st.secrets)
    except Exception:  # no secrets file, or one that does not parse: no sign-in configured
        return {}


def your_drawings_ui() -> None:
    """What this browser tab saved, and nothing else; each can be taken back."""
    store = DrawingStore()
    visitor = st.session_state.visitor
    if deleted := st.session_state.pop("deleted", None):
        st.toast(deleted)
    mine = store.recent(RECENT * 4, session=visitor, parts=False)  # a number stands for its digits
    if not mine:
        st.info(
            "You have saved nothing in this visit. Draw a digit or a number, then press **Right?**, or say what "
            "it was (a digit or “not a digit”; a number typed) and **Save correction**."
        )
        return
    st.markdown(f"#### You saved {len(mine)} drawing{'s' if len(mine) != 1 else ''}")
    st.caption("Only you and the operator see these. Taking one back deletes it from this server.")
    gallery(store, mine, visitor=visitor)


def dataset_ui() -> None:
    """The operator's view: every saved drawing, review, export."""
    store = DrawingStore()
    if message := st.session_state.pop("deleted", None):
        st.toast(message)
    counts, pending = store.counts(), store.examples(status="pending", parts=False)
    total = len(store.examples(parts=False))  # a whole number with its digits is one drawing
    st.markdown(f"#### {total} saved drawing{'s' if total != 1 else ''}, {len(pending)} waiting for review")
    st.caption(
        f"Kept in `{store.root}` (set DIGITS_DATA_DIR to change), {store.used_bytes() / 2**20:.1f} MiB of its "
        f"{store.limits.quota_bytes / 2**20:.0f} MiB quota. Training uses approved drawings only: "
        f"`python -m train --extra-data {store.root} --fine-tune`, then `make export`."
    )
    if total == 0:
        st.info("Nothing saved yet.")
        return
    st.altair_chart(render.counts_chart(counts))
    with st.container(horizontal=True, gap="small"):
        st.button("Approve all pending", key="approve-all", icon=":material/done_all:", disabled=not pending,
                  on_click=approve_examples, args=(store, None))
        zip_link_ui(str(store.root))
    st.markdown("**Waiting for review**" if pending else "**Latest**")
    gallery(store, pending[::-1][:RECENT] if pending else store.recent(RECENT, parts=False))


@st.fragment(run_every=LINK_RENEWAL)
def zip_link_ui(root: str) -> None:
    """The link to the approved drawings' ZIP, streamed by the server; renewed before it expires
    and after each use, since a link works once."""
    if not zip_download.LINKS.mounted:
        st.caption("To download the ZIP here, start the page with `streamlit run app/main.py` (its server has the route); or run "
                   "`python -m app.dataset export drawings.zip` on the server.")
        return
    state = st.session_state
    token = state.get(ZIP_LINK, "").rpartition("/")[2]
    if zip_download.LINKS.seconds_left(token) < 2 * LINK_RENEWAL:
        state[ZIP_LINK] = zip_download.link(DrawingStore(root), status="approved")
    st.link_button("Download approved (ZIP)", state[ZIP_LINK], icon=":material/download:",
                   on_click=lambda: state.pop(ZIP_LINK, None))


def gallery(store: DrawingStore, examples, visitor: str | None = None) -> None:
    """Thumbnails with Delete (the operator: also Approve) or, for a visitor, Take back; a whole
    number's buttons act on it and its digits together."""
    with st.container(horizontal=True, gap="small"):
        for example in examples:
            with st.container(width=104, border=True, gap="small", horizontal_alignment="center"):
                st.image(thumbnail(str(example.path)), width=80)
                st.caption(render.example_caption(example))
                if visitor is None and example.status == "pending":
                    st.button("Approve", key=f"approve-{example.file}", type="tertiary", icon=":material/check:",
                              on_click=approve_examples, args=(store, [example.file]))
                st.button(
                    "Take back" if visitor else "Delete", key=f"delete-{example.file}", type="tertiary",
                    icon=":material/delete:", on_click=delete_example, args=(store, example.file, visitor),
                )


def delete_example(store: DrawingStore, file: str, visitor: str | None) -> None:
    st.session_state.deleted = actions.delete_example(store, file, session=visitor).message


def approve_examples(store: DrawingStore, files: list[str] | None) -> None:
    st.session_state.deleted = actions.approve(store, files).message
