"""`python -m tricks_kb`: run the command line."""

import sys

from .cli import main

sys.exit(main())
