"""What cgt-sim's own records must look like before they are trusted: a run's manifest.json,
the record of a checkpoint (``checkpoint.json``) and the columns and types of stored tables.

A result folder can be damaged by hand, by another program or by a disk; what is read back is
checked against these schemas (types, not only keys) and a record that does not fit is one
line naming the file and the key, never an AttributeError deep in a report. Keys a schema
does not name are let through (a later version may record more); keys it names must have
their types. The schemas are JSON Schema (Draft 2020-12), checked with ``jsonschema``.
"""

from __future__ import annotations

import functools

import numpy as np

from .errors import ResultError, quoted
from .outputs import COLUMN_TYPES

_YEAR = {"type": "integer", "minimum": 1900, "maximum": 2300}
_TEXT = {"type": "string"}
_KNOTS = {"type": "array", "minItems": 1,
          "items": {"type": "array", "minItems": 2, "maxItems": 2,
                    "prefixItems": [{"type": "string", "format": "date"}, {"type": "number"}]}}
_PARAMETER = {"anyOf": [{"type": ["number", "boolean", "string"]},
                        {"type": "object", "required": ["knots"], "properties": {"knots": _KNOTS}}]}
_PARAMETERS = {"type": "object", "additionalProperties": _PARAMETER}
_UNCERTAIN = {"type": "object", "additionalProperties": {
    "type": "object", "required": ["dist"], "properties": {"dist": _TEXT},
    "additionalProperties": {"anyOf": [{"type": "number"}, {"type": "array", "items": {"type": "number"}}]}}}
_PROGRAMS = {"enum": ["all", "clinical"]}
_NUMBER_OR_NONE = {"type": ["number", "null"]}

SCENARIO_RECORD = {
    "type": "object",
    "properties": {
        "name": _TEXT, "description": _TEXT, "source": _TEXT, "files": {"type": "array", "items": _TEXT},
        "parameters": _PARAMETERS, "origin": {"type": "object", "additionalProperties": _TEXT},
        "uncertain": _UNCERTAIN,
    },
}

# A run's manifest.json (ResultSet.save): only the replication count is required (a ResultSet
# made in Python may record little else); what it records must have its type.
RUN_MANIFEST = {
    "type": "object",
    "required": ["replications"],
    "properties": {
        "written_by": _TEXT, "analysis": _TEXT, "scenario": SCENARIO_RECORD,
        "seed": {"type": "integer", "minimum": 0}, "replications": {"type": "integer", "minimum": 1},
        "executor": _TEXT, "workers": {"type": "integer", "minimum": 1}, "programs": _PROGRAMS,
        "start_year": _YEAR, "horizon_year": _YEAR, "package_version": _TEXT, "wall_time_s": _NUMBER_OR_NONE,
        "created": _TEXT, "resumed_replications": {"type": "integer", "minimum": 0},
        "precision": {"type": "object", "properties": {
            "metric": _TEXT, "year": _YEAR, "target": {"type": "number"}, "level": {"type": "number"},
            "mean": _NUMBER_OR_NONE, "half_width": _NUMBER_OR_NONE, "relative_half_width": _NUMBER_OR_NONE,
            "reached": {"type": "boolean"}, "undefined": {"type": ["string", "null"]},
            "replications_needed": {"type": ["integer", "null"]}, "max_replications": {"type": "integer"}}},
        # the parts of the result's dataset (results.layout_of): [first, last] replications each
        # (each part's shape is checked by results.dataset_files: a schema per item of ten
        # thousand parts would take most of the time of opening a result)
        "layout": {"type": "object", "required": ["parts"], "properties": {
            "version": {"type": "integer", "minimum": 1}, "tables": {"type": "array", "items": _TEXT},
            "parts": {"type": "array", "minItems": 1}}},
    },
}

# checkpoint.json: what the parts beside it are replications of (checkpoint.identity).
CHECKPOINT_RECORD = {
    "type": "object",
    "required": ["seed", "parameters", "uncertain", "package_version", "programs"],
    "properties": {"seed": {"type": "integer", "minimum": 0}, "parameters": _PARAMETERS, "uncertain": _UNCERTAIN,
                   "package_version": _TEXT, "programs": _PROGRAMS},
}

_JSON_TYPES = {dict: "an object", list: "a list", str: "text", bool: "true or false", int: "a whole number",
               float: "a number", type(None): "null"}
_TYPE_WORDS = {"object": "an object", "array": "a list", "string": "text", "integer": "a whole number",
               "number": "a number", "boolean": "true or false", "null": "null"}


@functools.cache
def _validator(name: str):
    import jsonschema

    schema = {"RUN_MANIFEST": RUN_MANIFEST, "CHECKPOINT_RECORD": CHECKPOINT_RECORD}[name]
    return jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker())


def _what(value) -> str:
    return next((word for kind, word in _JSON_TYPES.items() if type(value) is kind), type(value).__name__)


def problem(record, schema: str) -> tuple[str | None, str] | None:
    """Why ``record`` does not fit ``schema`` ("RUN_MANIFEST" or "CHECKPOINT_RECORD"), as
    (the dotted key, what is wrong), or None when it fits."""
    from jsonschema.exceptions import best_match

    error = best_match(_validator(schema).iter_errors(record))
    if error is None:
        return None
    while error.validator == "anyOf" and error.context:  # the alternative that came closest
        error = best_match(error.context)
    key = ".".join(str(p) for p in error.absolute_path) or None
    found = error.instance
    if error.validator == "type":
        kinds = error.validator_value if isinstance(error.validator_value, list) else [error.validator_value]
        what = f"must be {' or '.join(_TYPE_WORDS.get(k, k) for k in kinds)} (got {_what(found)}: {quoted(found, 40)})"
    elif error.validator == "required":
        missing = [k for k in error.validator_value if not isinstance(found, dict) or k not in found]
        what = f"lacks {', '.join(missing)}"
    elif error.validator in ("minimum", "maximum"):
        what = f"must be {'>=' if error.validator == 'minimum' else '<='} {error.validator_value} (got {quoted(found)})"
    elif error.validator == "enum":
        what = f"must be one of {', '.join(map(str, error.validator_value))} (got {quoted(found)})"
    elif error.validator == "format":
        what = f"must be a date such as 2026-01-01 (got {quoted(found)})"
    elif error.validator in ("minItems", "maxItems"):
        what = f"has the wrong number of items ({quoted(found)})"
    else:
        what = f"is not of the form cgt-sim writes (got {quoted(found)})"
    return key, what


def check_manifest(manifest, file) -> None:
    """A run's manifest that does not fit ``RUN_MANIFEST`` is a ResultError naming ``file``
    (its manifest.json) and the key."""
    found = problem(manifest, "RUN_MANIFEST")
    if found is not None:
        key, what = found
        raise ResultError(file, key, f"{what}: the manifest is damaged; write the result again with `cgt-sim run`")


def check_record(record, file) -> None:
    """A checkpoint record that does not fit ``CHECKPOINT_RECORD``: a ResultError naming
    ``file`` and the key."""
    found = problem(record, "CHECKPOINT_RECORD")
    if found is not None:
        key, what = found
        raise ResultError(file, key, f"{what}: the record of these unfinished replications is damaged; delete the "
                          "folder to start afresh, or choose another `out`")


# --------------------------------------------------------------------------- tables

def expected_columns(table: str, uncertain=(), member: bool = False) -> dict[str, str]:
    """The columns of a stored table and their types (pandas dtype names), as a run of this
    version writes them; the sampled table: replication, the ensemble member (a run over an
    ensemble, ``member``) and a number per uncertain parameter."""
    if table == "sampled":
        return {"replication": "int32", **({"member": "int64"} if member else {}),
                **{key: "float64" for key in uncertain}}
    return dict(COLUMN_TYPES[table])


def arrow_types(schema) -> dict[str, str]:
    """The columns of a Parquet file's (pyarrow) schema and the pandas dtype each reads as."""
    import pyarrow as pa

    out = {}
    for field in schema:
        if field.name.startswith("__index_level_"):
            continue
        if pa.types.is_dictionary(field.type):
            out[field.name] = "category"
        else:
            try:
                out[field.name] = np.dtype(field.type.to_pandas_dtype()).name
            except (NotImplementedError, TypeError):
                out[field.name] = str(field.type)
    return out


def table_problem(table: str, found: dict[str, str], uncertain=(), member: bool = False) -> str | None:
    """Why a table with columns and types ``found`` is not a ``table`` of this version (its
    columns in their order, each of its type), or None."""
    wanted = expected_columns(table, uncertain, member)
    if table == "sampled":  # (its draws in the order the scenario declares them)
        same = set(found) == set(wanted)
    else:
        same = list(found) == list(wanted)
    if not same:
        lacking = [c for c in wanted if c not in found]
        extra = [c for c in found if c not in wanted]
        if lacking:
            return f"lacks the column {quoted(lacking[0])[1:-1]}" + (f" and {len(lacking) - 1} more" if len(lacking) > 1
                                                                    else "")
        if extra:
            return f"has a column this version does not write: {quoted(extra[0])}"
        return "has its columns in another order than this version writes them"
    for column, kind in wanted.items():
        if found[column] != kind:
            return f"its {column} column holds {found[column]}, not {kind}"
    return None
