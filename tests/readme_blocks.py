"""The README's code blocks, and running one of its commands in a copy of the workflow (test_readme,
test_explorer and the shared demo run of conftest)."""

import re
import shlex
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = [(m.group(1), m.group(2)) for m in re.finditer(r"```(\w*)\n(.*?)```", README, re.S)]


def in_this_environment(argv: list[str]) -> list[str]:
    """``argv`` with its program taken from the environment the tests run in (``python`` is this interpreter, and
    a tool installed beside it, such as ``snakemake`` or ``valuechain-icio``, is that one), so that the commands
    run as in an activated virtual environment whether or not it is activated."""
    if argv[0] == "python":
        return [sys.executable, *argv[1:]]
    beside = Path(sys.executable).parent / argv[0]
    return [str(beside), *argv[1:]] if beside.is_file() else argv


def run(work, command: str, timeout=900) -> str:
    proc = subprocess.run(in_this_environment(shlex.split(command)), cwd=work, capture_output=True, text=True,
                          timeout=timeout)
    assert proc.returncode == 0, f"{command}\n{proc.stdout[-2000:]}\n{proc.stderr[-3000:]}"
    return proc.stdout


def command_of(fragment: str) -> str:
    """The README command line containing ``fragment`` (comments dropped)."""
    lines = [line.split("  #")[0].strip() for _, body in BLOCKS for line in body.splitlines() if fragment in line]
    assert len(lines) == 1, (fragment, lines)
    return lines[0]
