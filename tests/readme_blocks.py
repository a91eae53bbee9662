"""The README's code blocks, and running one of its commands in a copy of the workflow (test_readme,
test_explorer and the shared demo run of conftest)."""

import re
import shlex
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", README, re.S)]


def run(work, command: str, timeout=900) -> str:
    proc = subprocess.run(shlex.split(command), cwd=work, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def command_of(fragment: str) -> str:
    """The README command line containing ``fragment`` (comments dropped)."""
    lines = [line.split("  #")[0].strip() for _, body in BLOCKS for line in body.splitlines() if fragment in line]
    assert len(lines) == 1, (fragment, lines)
    return lines[0]
