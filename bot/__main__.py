"""`python -m bot` runs the `prbot` command."""

import sys

from bot.cli import main

sys.exit(main())
