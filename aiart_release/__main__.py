"""``python -m aiart_release`` runs the CLI."""

import sys

from .cli import main

sys.exit(main())
