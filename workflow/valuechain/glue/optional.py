"""Optional dependencies: each is an extra of the package (pyproject.toml), imported only by the step that uses it,
so that a missing one stops that step with the pip command that installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

# module -> the extra that installs it
EXTRAS = {"sklearn": "links", "bicm": "links", "pymrio": "mrio", "rdata": "rdata"}


def require(module: str) -> ModuleType:
    """Import ``module`` (a key of :data:`EXTRAS`), or raise ImportError naming the extra to install."""
    try:
        return importlib.import_module(module)
    except ImportError as err:
        raise ImportError(f"this step needs {module}: pip install 'valuechain[{EXTRAS[module]}]' "
                          f"(or -e '.[{EXTRAS[module]}]' in a checkout)") from err
