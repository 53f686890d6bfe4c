"""``python -m ocop_cycle``: the ``ocop-cycle`` command."""

import sys

from ocop_cycle.cli import main

sys.exit(main())
