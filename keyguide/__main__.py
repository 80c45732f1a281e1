"""`python -m keyguide <command>`: the writers' command line (see keyguide/cli.py)."""

import sys

from keyguide.cli import main

sys.exit(main())
