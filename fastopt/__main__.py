"""``python -m fastopt``: the command line (see :mod:`fastopt.cli`)."""

import sys

from .cli import main

sys.exit(main())
