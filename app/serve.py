"""The page's server: Streamlit's own, plus the route of the operator's streamed ZIP download
(app/zip_download.py), mounted through Streamlit's `st.App`.

    $ streamlit run app/serve.py          # http://localhost:8501 (`make run`); the page is app/main.py

`streamlit run app/main.py` still serves the page, without that route: the Dataset tab then
points the operator to `python -m app.dataset export` instead of offering the download.
"""

import sys
from pathlib import Path

# `streamlit run` puts app/ on sys.path, not the project root that `from app...` needs.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import streamlit as st
from streamlit import config

from app.zip_download import routes

app = st.App("main.py", routes=routes(config.get_option("server.baseUrlPath")))
