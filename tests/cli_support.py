"""Running the command line as a user does: ``python -m trafficscreen.cli`` in a child process."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from paths import ROOT


def run_cli(args: list[str], stdin: str | None = None, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    """The finished process, its output as text; never raises on a non-zero exit code."""
    return subprocess.run(
        [sys.executable, "-m", "trafficscreen.cli", *args],
        input=stdin,
        text=True,
        capture_output=True,
        cwd=cwd,
        check=False,
    )
