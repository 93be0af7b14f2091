"""``python -m aiart_release`` runs the CLI (the pre-commit hook without click)."""

import sys

from .entry import main

sys.exit(main())
