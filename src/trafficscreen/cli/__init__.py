"""The ``trafficscreen`` command: the only part of the package that knows argparse, exit codes and
standard error.

:mod:`._main` builds the parser and maps errors to exit codes; each other module registers the commands
of one part of the library (``register(subparsers)``) and imports that part only when a command runs, so
``trafficscreen --help`` loads no optional dependency. The library reports problems by raising
:class:`~trafficscreen.errors.TrafficscreenError`; only here do they become a line on standard error.
"""

from ._main import build_parser, main

__all__ = ["build_parser", "main"]
