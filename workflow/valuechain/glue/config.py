"""Checking the config before anything runs: keys that moved are read at their old place with a warning, so that
config files written for an earlier version keep working until they are updated, and every violation of the
schema is one short line naming the key (:func:`config_errors`)."""

from __future__ import annotations

from typing import Any, Mapping, MutableMapping

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


def _place(path) -> str:
    return ".".join(str(p) for p in path) or "the config"


def _error_message(error) -> str:
    """One line for one schema violation: where, what is wrong, and for an unknown key the known ones it is
    closest to."""
    import difflib

    where = _place(error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        lines = []
        for key in unknown:
            close = difflib.get_close_matches(key, known, n=1, cutoff=0.6)
            hint = f"did you mean {close[0]}?" if close else f"the keys there are {', '.join(known)}"
            lines.append(f"config: unknown key {_place([*error.absolute_path, key])}: {hint}")
        return "\n".join(lines)
    if error.validator == "required":
        return f"config: {where} needs {error.message.split(' is a required')[0]} (see config/config.default.yaml)"
    value = repr(error.instance)
    # a long value is shown cut, and named "it" in the rule it breaks ("it is too long")
    rule = error.message.replace(value, "it") if len(value) > 80 else error.message
    value = value if len(value) <= 80 else value[:77] + "..."
    rule = rule if len(rule) <= 160 else rule[:157] + "..."
    return f"config: {where} = {value}: {rule}"


def config_errors(config: Mapping[str, Any], schema: Mapping[str, Any]) -> list[str]:
    """Every violation of ``schema`` (JSON Schema) by ``config``, one short line each, in the order of their place
    in the config: an unknown key named with the known key it is likely a misspelling of ("did you mean"), a bad
    value with its place and the rule it breaks; never the schema or the whole config."""
    import jsonschema

    validator = jsonschema.validators.validator_for(schema)(schema)
    errors = sorted(validator.iter_errors(config), key=lambda e: [str(p) for p in e.absolute_path])
    return [line for e in errors for line in _error_message(e).splitlines()]
