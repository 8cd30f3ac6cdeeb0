"""Run every benchmark in this folder and print one table (``make bench``).

Each ``bench_*.py`` module exposes ``run()`` returning rows of (name, value, unit) and may expose
``notes()`` returning lines of context. Figures are from this run on this machine.
"""

from __future__ import annotations

import importlib
import os
import platform
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))


def main() -> int:
    only = set(sys.argv[1:])
    print(
        f"# trafficscreen benchmarks — Python {platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    for path in sorted(HERE.glob("bench_*.py")):
        name = path.stem
        if only and name not in only:
            continue
        module = importlib.import_module(name)
        print(f"\n## {name}")
        for label, value, unit in module.run():
            print(f"{label:72s} {value:12.2f} {unit}")
        for line in getattr(module, "notes", list)():
            print(f"  {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
