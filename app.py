"""Streamlit entry point: ``streamlit run app.py`` (``./dev.sh app`` adds the right server flags).

The pages live in ``tricks_kb.ui``; this file only starts them.
"""

import sys
from pathlib import Path

try:
    from tricks_kb.ui.nav import main
except ImportError:  # not installed: run from a checkout
    sys.path.insert(0, str(Path(__file__).resolve().parent / "src"))
    from tricks_kb.ui.nav import main

main()
