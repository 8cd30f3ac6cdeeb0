"""The README's Python example runs as written."""

from __future__ import annotations

import re
import subprocess
import sys

from paths import ROOT

README = ROOT / "README.md"


def test_python_example_runs() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    assert blocks, "README has a Python example"
    proc = subprocess.run([sys.executable, "-c", blocks[0]], capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stderr
    assert "could still rise to" in proc.stdout
    assert '"schema_version"' in proc.stdout
