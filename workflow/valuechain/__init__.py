"""valuechain: product-level global value chains from regional trade data (README.md, docs/)."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("valuechain")
except PackageNotFoundError:  # imported from a source tree that was never installed
    __version__ = "unknown"
