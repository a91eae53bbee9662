"""Config keys that moved: read at their old place with a warning, so that config files written for an earlier
version keep working until they are updated."""

from __future__ import annotations

from typing import Any, MutableMapping

#: Old place -> new place of every moved key (paths of keys, outermost first).
MOVED: dict[tuple[str, ...], tuple[str, ...]] = {
    ("clean", "hs_digits"): ("hs_digits",),
}


def _pop(config: MutableMapping[str, Any], path: tuple[str, ...]) -> tuple[bool, Any]:
    node = config
    for key in path[:-1]:
        node = node.get(key)
        if not isinstance(node, MutableMapping):
            return False, None
    if path[-1] not in node:
        return False, None
    return True, node.pop(path[-1])


def move_renamed_keys(config: MutableMapping[str, Any]) -> list[str]:
    """Move every key of :data:`MOVED` found at its old place to its new one, in place; one warning per key moved.

    The old place wins: the defaults file always sets the new one, so a value at the old place is the user's."""
    warnings = []
    for old, new in MOVED.items():
        found, value = _pop(config, old)
        if not found:
            continue
        node = config
        for key in new[:-1]:
            node = node.setdefault(key, {})
        node[new[-1]] = value
        warnings.append(
            f"config key {'.'.join(old)} is now {'.'.join(new)} (same meaning); read {value!r} from "
            f"{'.'.join(old)}: rename it in your config file"
        )
    return warnings
