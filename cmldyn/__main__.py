"""``python -m cmldyn``: exits with whatever cli.main() returns."""

import sys

from .cli import main

sys.exit(main())
