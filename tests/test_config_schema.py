"""The configuration schema (workflow/schemas/config.schema.yaml) and the defaults (config/config.default.yaml):
every property of the schema is documented, and the defaults and the schema describe the same keys."""

import copy
from pathlib import Path

import yaml
from jsonschema import Draft202012Validator
from snakemake.utils import validate

from valuechain.glue.config import MOVED, move_renamed_keys

ROOT = Path(__file__).resolve().parents[1]
SCHEMA_FILE = ROOT / "workflow" / "schemas" / "config.schema.yaml"
SCHEMA = yaml.safe_load(SCHEMA_FILE.read_text())
DEFAULTS = yaml.safe_load((ROOT / "config" / "config.default.yaml").read_text())

# Options of a conversion ($defs/conversion) besides `from`: each conversion gives only the ones its kind needs
# (valuechain.glue.retrieve.convert_rdata: object, element, layout, rownames, rename, dropna; convert_csv: columns, or
# layout published_network with names).
CONVERSION_OPTIONS = ("object", "element", "layout", "rownames", "rename", "dropna", "columns", "names")

# Schema properties the defaults leave out by design, as generic paths (* stands for any entry of a map), with why.
OPTIONAL = {
    # The demo world's calibration constants: valuechain.trade.demo.DemoSettings has their defaults (0.03, 2e6, 1000,
    # 1.2) and from_config takes them from the config only when given.
    "demo.partner_floor": "default in DemoSettings",
    "demo.region_sigma": "default in DemoSettings",
    "demo.detection": "default in DemoSettings",
    "demo.min_value": "default in DemoSettings",
    # Keys of a data set that only some data sets need (valuechain.glue.retrieve.data_files, scripts/retrieve_data.py).
    "data.*.repository": "only the project's own tables, committed in the repository",
    "data.*.countries": "only one-file-per-country entries (wiod2016_niot)",
    "data.*.url_sha256": "only converted downloads, whose file differs from the download; forbidden with countries",
    "data.*.convert": "only downloads that are not the mirror's file as published; forbidden with countries",
    **{f"{entry}.convert.{option}": "a conversion gives only the options its kind needs"
       for entry in ("data.*", "reference.files.*") for option in CONVERSION_OPTIONS},
}


def follow(node):
    """``node`` with its ``$ref`` (a local ``#/...`` pointer) followed, as often as needed."""
    while isinstance(node, dict) and "$ref" in node:
        target = SCHEMA
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def schema_properties(node, path=""):
    """``(path, schema)`` of every property of the schema below ``node``: the entries of ``properties`` at any
    depth, including those of an ``additionalProperties`` object schema (``data.*.folder``), of the alternatives of
    ``oneOf``/``anyOf``/``allOf`` (``links.thresholds.t1``) and of ``$defs`` (``$defs.conversion.from``). A
    ``$ref`` entry is the referenced definition's, listed there. ``if``/``then``/``else`` only narrow properties
    declared beside them, so they are not walked."""
    if not isinstance(node, dict):
        return
    for key, sub in (node.get("properties") or {}).items():
        if isinstance(sub, dict) and "$ref" in sub:
            continue
        yield f"{path}.{key}" if path else key, sub
        yield from schema_properties(sub, f"{path}.{key}" if path else key)
    extra = node.get("additionalProperties")
    if isinstance(extra, dict) and "$ref" not in extra:
        yield from schema_properties(extra, f"{path}.*" if path else "*")
    for keyword in ("oneOf", "anyOf", "allOf"):
        for alternative in node.get(keyword, []):
            yield from schema_properties(alternative, path)
    for name, definition in (node.get("$defs") or {}).items():
        yield from schema_properties(definition, f"{path}.$defs.{name}" if path else f"$defs.{name}")


def object_schema(node):
    """The schema a mapping value is checked against: ``node`` itself, or its object alternative of ``oneOf``/
    ``anyOf`` (``data.*.sha256``: a digest or a map of them); None when no alternative takes a mapping."""
    node = follow(node)
    if "properties" in node or "additionalProperties" in node:
        return node
    objects = [follow(a) for keyword in ("oneOf", "anyOf") for a in node.get(keyword, [])
               if follow(a).get("type") == "object" or "properties" in follow(a)]
    return objects[0] if objects else None


def compare(value, node, path="", generic=""):
    """``(keys of the defaults that are no property of the schema there, schema properties missing from the defaults
    as (path, generic path))`` below ``value``. A map whose schema is ``additionalProperties`` without
    ``properties`` is free-form (ingest.partner_aggregates, clean.drop_regions, public.sha256) and not looked into;
    the entries of a map whose ``additionalProperties`` has ``properties`` (data, reference.files) are each
    compared with that schema."""
    unknown, missing = [], []
    node = object_schema(node) if isinstance(value, dict) else None
    if node is None:
        return unknown, missing
    props = node.get("properties")
    if props is not None:
        for key, sub in value.items():
            here, gen = f"{path}.{key}" if path else key, f"{generic}.{key}" if generic else key
            if key not in props:
                unknown.append(here)
            else:
                u, m = compare(sub, props[key], here, gen)
                unknown += u
                missing += m
        missing += [(f"{path}.{key}" if path else key, f"{generic}.{key}" if generic else key)
                    for key in props if key not in value]
        return unknown, missing
    extra = follow(node.get("additionalProperties"))
    if isinstance(extra, dict) and "properties" in extra:
        for key, sub in value.items():
            u, m = compare(sub, extra, f"{path}.{key}", f"{generic}.*")
            unknown += u
            missing += m
    return unknown, missing


def test_every_schema_property_has_a_description():
    props = list(schema_properties(SCHEMA))
    assert len(props) > 150, f"the walk found only {len(props)} properties"  # the walk itself works
    undocumented = [path for path, sub in props if not (isinstance(sub, dict) and sub.get("description"))]
    assert not undocumented, f"{len(undocumented)} schema properties lack a description: {undocumented}"


def test_every_default_key_is_a_schema_property():
    unknown, _ = compare(DEFAULTS, SCHEMA)
    assert not unknown, f"keys of config/config.default.yaml that the schema does not declare there: {unknown}"


def test_every_schema_property_has_a_default_unless_optional_by_design():
    _, missing = compare(DEFAULTS, SCHEMA)
    without = sorted({path for path, generic in missing if generic not in OPTIONAL})
    assert not without, (f"schema properties without a value in config/config.default.yaml: {without}; give them "
                         "one, or list them in OPTIONAL with the reason")
    # the list stays exact: every optional key is left out somewhere
    stale = sorted(set(OPTIONAL) - {generic for _, generic in missing})
    assert not stale, f"OPTIONAL lists keys that every default gives: {stale}"


def test_the_schema_is_valid_and_the_defaults_validate_against_it():
    Draft202012Validator.check_schema(SCHEMA)
    validate(copy.deepcopy(DEFAULTS), str(SCHEMA_FILE))  # as the workflow does (workflow/rules/common.smk)


def test_a_key_at_its_old_place_is_moved_to_its_new_one_with_a_warning():
    config = {"hs_digits": 4, "clean": {"hs_digits": 6, "years": None}}
    warnings = move_renamed_keys(config)
    assert config == {"hs_digits": 6, "clean": {"years": None}}  # the old place wins over the defaults' new one
    assert warnings == ["config key clean.hs_digits is now hs_digits (same meaning); read 6 from clean.hs_digits: "
                        "rename it in your config file"]
    validate(copy.deepcopy(DEFAULTS) | {"hs_digits": config["hs_digits"]}, str(SCHEMA_FILE))
    assert move_renamed_keys(config) == [] and config["hs_digits"] == 6  # nothing left to move
    assert move_renamed_keys({"clean": None}) == []  # an unset section holds nothing to move


def test_every_moved_key_is_gone_from_its_old_place_and_documented_at_its_new_one():
    for old, new in MOVED.items():
        section = SCHEMA
        for key in old[:-1]:
            section = section["properties"][key]
        assert old[-1] not in section["properties"], old
        node = SCHEMA
        for key in new:
            node = node["properties"][key]
        assert ".".join(old) in node["description"], new


def test_config_problems_are_one_line_each_naming_the_key():
    from valuechain.glue.config import config_errors

    schema = yaml.safe_load(SCHEMA_FILE.read_text())
    assert config_errors(copy.deepcopy(DEFAULTS), schema) == []
    config = copy.deepcopy(DEFAULTS)
    config["reference"]["report_min_share"] = [0.1]
    config["flowz"] = {}
    config["links"]["k"] = "three"
    config["zzz"] = 1
    assert config_errors(config, schema) == [
        "config: unknown key flowz: did you mean flows?",
        f"config: unknown key zzz: the keys there are {', '.join(sorted(schema['properties']))}",
        "config: links.k = 'three': 'three' is not of type 'integer'",
        "config: unknown key reference.report_min_share: did you mean report_min_shares?",
    ]


def test_a_long_value_is_cut_and_the_rule_it_breaks_kept():
    from valuechain.glue.config import config_errors

    config = copy.deepcopy(DEFAULTS) | {"run": "a" * 300}
    assert config_errors(config, yaml.safe_load(SCHEMA_FILE.read_text())) == [f"config: run = '{'a' * 76}...: it is too long"]
