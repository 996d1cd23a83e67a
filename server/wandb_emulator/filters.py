"""MongoDB-style filter documents, as the SDK sends them in `filters: JSONString`.

`matches(filter, doc)` evaluates a filter against a plain dict. Values that are
lists behave like MongoDB arrays: `{"tag": "x"}` matches when any element is "x".
Dotted keys (`metadata.lr`) reach into nested dicts. Filters nest at most
jsonlimits.MAX_JSON_DEPTH deep, and `$regex` runs on RE2, whose matching time is
linear in the input (no backreferences or lookarounds, which need backtracking).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from functools import lru_cache
from typing import Any

from . import jsonlimits

_MISSING = object()


class FilterError(ValueError):
    pass


def parse_filter(raw: str | None) -> dict[str, Any]:
    if raw is None or raw == "":
        return {}
    try:
        value = jsonlimits.loads(raw)
    except jsonlimits.TooDeep as exc:
        raise FilterError(f"invalid filter: {exc}") from exc
    except json.JSONDecodeError as exc:
        raise FilterError(f"invalid filter JSON: {exc.msg}") from exc
    if not isinstance(value, dict):
        raise FilterError("filter must be a JSON object")
    return value


def matches(filter_doc: Mapping[str, Any], doc: Mapping[str, Any]) -> bool:
    return all(_match_key(key, cond, doc) for key, cond in filter_doc.items())


def _match_key(key: str, cond: Any, doc: Mapping[str, Any]) -> bool:
    if key == "$and":
        return all(matches(sub, doc) for sub in _as_list(cond, key))
    if key == "$or":
        return any(matches(sub, doc) for sub in _as_list(cond, key))
    if key == "$nor":
        return not any(matches(sub, doc) for sub in _as_list(cond, key))
    if key.startswith("$"):
        raise FilterError(f"unknown top-level operator {key!r}")
    return _match_value(_lookup(doc, key), cond)


def _as_list(cond: Any, op: str) -> list[Mapping[str, Any]]:
    if not isinstance(cond, list) or not all(isinstance(c, dict) for c in cond):
        raise FilterError(f"{op} expects a list of filter objects")
    return cond


def _lookup(doc: Mapping[str, Any], path: str) -> Any:
    if path in doc:
        return doc[path]
    current: Any = doc
    for part in path.split("."):
        if isinstance(current, Mapping) and part in current:
            current = current[part]
        else:
            return _MISSING
    return current


def _match_value(value: Any, cond: Any) -> bool:
    if isinstance(cond, dict) and cond and all(k.startswith("$") for k in cond):
        return all(_apply_op(op, operand, value) for op, operand in cond.items())
    return _equals(value, cond)


def _candidates(value: Any) -> list[Any]:
    """The values a scalar comparison is tried against (array elements, or the value)."""
    if value is _MISSING:
        return []
    if isinstance(value, list):
        return value
    return [value]


def _equals(value: Any, operand: Any) -> bool:
    if value is _MISSING:
        return operand is None
    if value == operand:
        return True
    return isinstance(value, list) and operand in value


def _compare(pred: Callable[[Any, Any], bool]) -> Callable[[Any, Any], bool]:
    def check(operand: Any, value: Any) -> bool:
        for candidate in _candidates(value):
            try:
                if candidate is not None and pred(candidate, operand):
                    return True
            except TypeError:
                continue
        return False

    return check


MAX_REGEX_CHARS = 1000


@lru_cache(maxsize=256)
def compiled_pattern(text: str) -> Any:
    """`text` compiled by RE2 (linear-time matching); FilterError when it is invalid,
    too long, or needs backtracking (backreferences, lookarounds)."""
    if len(text) > MAX_REGEX_CHARS:
        raise FilterError(f"$regex longer than {MAX_REGEX_CHARS} characters")
    import re2  # deliberately here: the first $regex loads RE2, not the server's start

    options = re2.Options()
    options.log_errors = False
    try:
        return re2.compile(text, options=options)
    except re2.error as exc:
        detail = exc.args[0].decode() if exc.args and isinstance(exc.args[0], bytes) else exc
        raise FilterError(
            f"invalid $regex {text!r}: {detail} (patterns run on a linear-time engine:"
            " no backreferences or lookarounds)"
        ) from None


def regexp(pattern: str, value: Any) -> bool:
    """SQLite's REGEXP (`value REGEXP pattern`): the matcher's `$regex` on one value."""
    return isinstance(value, str) and compiled_pattern(pattern).search(value) is not None


def _regex(operand: Any, value: Any) -> bool:
    if not isinstance(operand, str):
        raise FilterError("$regex expects a string")
    return any(regexp(operand, c) for c in _candidates(value))


def _in(operand: Any, value: Any) -> bool:
    if not isinstance(operand, list):
        raise FilterError("$in expects a list")
    return any(_equals(value, item) for item in operand)


def _contains(operand: Any, value: Any) -> bool:
    if isinstance(value, str):
        return isinstance(operand, str) and operand in value
    return isinstance(value, list) and operand in value


def _all(operand: Any, value: Any) -> bool:
    if not isinstance(operand, list):
        raise FilterError("$all expects a list")
    return isinstance(value, list) and all(item in value for item in operand)


def _not(operand: Any, value: Any) -> bool:
    return not _match_value(value, operand)


_OPS: dict[str, Callable[[Any, Any], bool]] = {
    "$eq": lambda operand, value: _equals(value, operand),
    "$ne": lambda operand, value: not _equals(value, operand),
    "$gt": _compare(lambda a, b: a > b),
    "$gte": _compare(lambda a, b: a >= b),
    "$lt": _compare(lambda a, b: a < b),
    "$lte": _compare(lambda a, b: a <= b),
    "$in": _in,
    "$nin": lambda operand, value: not _in(operand, value),
    "$exists": lambda operand, value: (value is not _MISSING) == bool(operand),
    "$regex": _regex,
    "$contains": _contains,
    "$size": lambda operand, value: isinstance(value, list) and len(value) == operand,
    "$all": _all,
    "$not": _not,
}


def _apply_op(op: str, operand: Any, value: Any) -> bool:
    try:
        check = _OPS[op]
    except KeyError:
        raise FilterError(f"unknown operator {op!r}") from None
    return check(operand, value)


def sort_key_for(order: str | None, allowed: Mapping[str, str], default: str) -> tuple[str, bool]:
    """Parse "+field"/"-field"/"field" into (document key, descending)."""
    if not order:
        return allowed[default], False
    descending = order.startswith("-")
    name = order.lstrip("+-")
    if name not in allowed:
        raise FilterError(f"cannot order by {name!r}")
    return allowed[name], descending
