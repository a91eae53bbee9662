"""Where tests read the reference data: the data mirror (``../shared/data``, the bytes the config pins) when it
is there, else ``resources/`` as the workflow's rule retrieve_data leaves it. Both have the same layout."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIRROR = ROOT.parent / "shared" / "data"
DATA = MIRROR if MIRROR.is_dir() else ROOT / "resources"
