"""The app's entry point: `streamlit run app/main.py` (`make run`), http://localhost:8501.

Streamlit imports this file once to find its server, `app`: Streamlit's own, plus the route of
the operator's streamed ZIP download (app/zip_download.py), mounted through `st.App`. Then it
runs the file for every visitor, which draws the page (app/page.py).
"""

import sys
from pathlib import Path

# `streamlit run` puts app/ on sys.path, not the project root that `from app...` needs.
PROJECT_ROOT = Path(__file__).resolve().parent.parent
if str(PROJECT_ROOT) not in sys.path:
    sys.path.insert(0, str(PROJECT_ROOT))

import streamlit as st

if __name__ == "__main__":  # a visitor's run
    from app.page import main

    main()
else:  # `streamlit run` looking for the server
    from streamlit import config

    from app.zip_download import routes

    app = st.App(__file__, routes=routes(config.get_option("server.baseUrlPath")))
