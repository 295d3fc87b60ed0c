"""What ``./dev.sh app`` serves: ``app.py`` wrapped in ``st.App`` with security headers, offline.

``streamlit run serve.py`` finds ``app`` below; the pages are the ones ``app.py`` starts.
"""

import sys
from pathlib import Path

import streamlit as st
from starlette.middleware import Middleware

try:
    from tricks_kb.ui.server import SecurityHeaders, stay_offline
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    from tricks_kb.ui.server import SecurityHeaders, stay_offline

stay_offline()
app = st.App(Path(__file__).resolve().parent / "app.py", middleware=[Middleware(SecurityHeaders)])
