"""The JSON Schema of scenario files (``cgt-sim schema``), built from the parameter catalogue: every
form of value the scenario loader takes, so that an editor checks a file as the loader would."""

from __future__ import annotations

import re

from .parameters import CATALOGUE
from .scenario import DISTRIBUTIONS, fixed_for_run, support_bounds
from .timeline import DATE_TEXT, FIRST_YEAR, LAST_YEAR, YEAR_TEXT

# A number written as text (YAML 1.1 reads 50e6 or 1.5e3 as text; the loader takes them as
# numbers). Its range is checked by the loader only.
NUMBER_TEXT = {"type": "string", "description": "a number written as text, such as 50e6",
               "pattern": r"^\s*[+-]?(\d(_?\d)*(\.(\d(_?\d)*)?)?|\.\d(_?\d)*)([eE][+-]?\d(_?\d)*)?\s*$"}


# A date, as the loader takes it (timeline.parse_date): a year, as a whole number or as text, or
# a calendar day YYYY-MM-DD ("format": "date" checks the day exists where formats are checked).
DATE = {"anyOf": [{"type": "integer", "minimum": FIRST_YEAR, "maximum": LAST_YEAR},
                  {"type": "string", "pattern": f"^{YEAR_TEXT}$"},
                  {"type": "string", "pattern": f"^{DATE_TEXT}$", "format": "date"}],
        "description": f"a date (YYYY-MM-DD) or a year ({FIRST_YEAR}-{LAST_YEAR})"}
# A date as a key of steps: the same forms as text (a key is text in JSON; a year written
# 2026.0 in YAML is the key "2026.0").
DATE_KEY = {"anyOf": [{"pattern": f"^{YEAR_TEXT}(\\.0+)?$"}, {"pattern": f"^{DATE_TEXT}$", "format": "date"}]}


def _or_text(number: dict) -> dict:
    """A numeric schema that also takes the number written as text."""
    return {"anyOf": [number, NUMBER_TEXT]}


def scenario_json_schema() -> dict:
    """JSON Schema of scenario files: every form of value the loader takes in ``set`` (a plain
    value, a step, a ramp, steps, a list of these), the distributions of ``uncertain`` and ``levers``, and keys
    given dotted or as nested mappings (``manufacturing: {suites_2015: {jiangsu: 40}}``)."""
    props, dists = {}, {}
    for key, p in CATALOGUE.items():
        if p.kind == "bool":
            props[key] = {"type": "boolean", "description": p.doc}
            continue
        if p.kind == "date":
            props[key] = {**DATE, "description": p.doc}
            continue
        num = {"type": "number" if p.kind == "float" else "integer"}
        if p.low is not None:
            num["minimum"] = p.low
        if p.high is not None:
            num["maximum"] = p.high
        description = f"{p.doc} [{p.unit}]"
        if not key.startswith("simulation."):
            dists[key] = _distribution_schema(p, num)
        if fixed_for_run(key):  # one value for the whole run
            props[key] = {"description": description, "anyOf": [num, NUMBER_TEXT]}
            continue
        value = _or_text(num)
        dated = {"$ref": "#/$defs/dated", "properties": {"value": value}}
        steps = {"$ref": "#/$defs/steps", "properties": {"steps": {"additionalProperties": value}}}
        changes = {"type": "array", "items": {"$ref": f"#/properties/set/properties/{key}"}}  # applied in order
        props[key] = {"description": description, "anyOf": [num, NUMBER_TEXT, dated, steps, changes]}
    date = DATE
    defs = {"dated": {"type": "object", "properties": {"value": {}, "from": date, "to": date},
                      "required": ["value"], "dependentRequired": {"to": ["from"]}, "additionalProperties": False,
                      "description": "a value from a date (a step), or reached by 'to' (a ramp from 'from')"},
            "steps": {"type": "object", "properties": {"steps": {
                          "type": "object", "minProperties": 1,
                          "propertyNames": DATE_KEY}},
                      "required": ["steps"], "additionalProperties": False,
                      "description": "date: value, each a step from its date"},
            **_distribution_defs()}
    sections = {}
    for section, leaves in (("set", props), ("uncertain", dists), ("levers", dists)):
        patterns = _nested_key_schemas(section, leaves, defs)
        sections[section] = {"type": ["object", "null"], "properties": leaves, "patternProperties": patterns,
                             "additionalProperties": False}  # null: the key given empty, as the loader allows
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "cgt-sim scenario",
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "name": {"type": "string", "pattern": "^(?!\\.)(?!.*\\.\\.)[\\w.-]+$",
                     "description": "names the result folder results/<name>: letters, digits, _, - and ., "
                                    "not starting with '.'"},
            "extends": {"type": "string"},
            "description": {"type": "string"},
            "source": {"anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}}],
                       "description": "citation of the scenario: text, or source keys (A004, NMPA_IND...)"},
            "calibrated": {"type": "string"},
            "notes": {"type": "string"},
            "set": sections["set"],
            "uncertain": sections["uncertain"],
            "levers": {**sections["levers"], "description": "policy choices a scenario discovery explores, each "
                       "over the support of a distribution as in uncertain (a run keeps the scenario's value)"},
        },
        "$defs": defs,
    }


def _distribution_schema(p, num: dict) -> dict:
    """``uncertain`` entry of parameter p: one of the distributions (their own fields only, from
    ``$defs``), with p's range on the values drawn; normal and lognormal must be cut by low/high
    wherever p's valid range ends."""
    branches = []
    for dist in DISTRIBUTIONS:
        branch = {"$ref": f"#/$defs/dist:{dist}"}
        cuts = support_bounds(p, dist)
        if cuts:
            branch["required"] = cuts
        branches.append(branch)
    value = _or_text(num)
    return {"type": "object", "oneOf": branches,
            "properties": {"low": value, "high": value, "mode": value, "values": {"items": value}}}


def _distribution_defs() -> dict:
    """``$defs`` of the distributions of ``uncertain``: the fields each takes, and which it needs."""
    def number(**bounds):
        return _or_text({"type": "number", **bounds})

    at_least_0 = number(minimum=0)
    fields = {"low": number(), "high": number(), "mode": number(), "mean": number(), "sd": at_least_0,
              "median": number(exclusiveMinimum=0), "sigma": at_least_0,
              "values": {"type": "array", "minItems": 1, "items": number()},
              "weights": {"type": "array", "items": at_least_0}}
    return {f"dist:{dist}": {"type": "object",
                             "properties": {"dist": {"const": dist}, **{k: fields[k] for k in sorted(need | optional)}},
                             "required": ["dist"] + sorted(need), "additionalProperties": False}
            for dist, (need, optional) in DISTRIBUTIONS.items()}


def _nested_key_schemas(section: str, leaves: dict, defs: dict) -> dict:
    """The nested form of a section's keys: one $defs entry per dotted prefix of the parameter
    keys (its properties: the rest of each key below it, dotted or nested again); returns the
    section's patternProperties, which admit each prefix as a key."""
    prefixes = key_prefixes(leaves)
    for prefix in prefixes:
        below = {}
        for key in leaves:
            if key.startswith(prefix + "."):
                below[key[len(prefix) + 1:]] = {"$ref": f"#/properties/{section}/properties/{key}"}
        for other in prefixes:
            if other.startswith(prefix + "."):
                below[other[len(prefix) + 1:]] = {"$ref": f"#/$defs/{section}:{other}"}
        defs[f"{section}:{prefix}"] = {"type": "object", "properties": below, "additionalProperties": False}
    return {"^" + re.escape(prefix) + "$": {"$ref": f"#/$defs/{section}:{prefix}"} for prefix in prefixes}


def key_prefixes(keys, whole: bool = False) -> list[str]:
    """The dotted prefixes of parameter keys in first-seen order ("a" and "a.b" of "a.b.c"),
    and the keys themselves when ``whole``."""
    found: dict = {}
    for key in keys:
        parts = key.split(".")
        for i in range(1, len(parts) + whole):
            found.setdefault(".".join(parts[:i]))
    return list(found)


