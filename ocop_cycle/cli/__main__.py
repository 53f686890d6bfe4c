"""``python -m ocop_cycle.cli``."""

import sys

from ocop_cycle.cli import main

sys.exit(main())
