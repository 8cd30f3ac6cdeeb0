"""``python -m trafficscreen.cli``: the same as the ``trafficscreen`` command."""

import sys

from ._main import main

sys.exit(main())
