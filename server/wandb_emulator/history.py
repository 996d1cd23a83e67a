"""Reading a run's history rows: step ranges, key selection and even sampling."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

STEP = "_step"


def parse_rows(lines: Sequence[str]) -> list[dict[str, Any]]:
    """History lines (JSON objects) as dicts; lines that are not objects are skipped."""
    rows = []
    for line in lines:
        try:
            row = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(row, dict):
            rows.append(row)
    return rows


def in_steps(rows: list[dict[str, Any]], min_step: int | None, max_step: int | None) -> list[dict]:
    """Rows with min_step <= _step < max_step (either bound may be open)."""

    def inside(row: dict[str, Any]) -> bool:
        step = row.get(STEP)
        if not isinstance(step, int):
            return min_step is None and max_step is None
        return (min_step is None or step >= min_step) and (max_step is None or step < max_step)

    return [row for row in rows if inside(row)]


def with_keys(rows: list[dict[str, Any]], keys: Sequence[str]) -> list[dict[str, Any]]:
    """Rows that have every key, reduced to those keys."""
    return [{key: row[key] for key in keys} for row in rows if all(key in row for key in keys)]


def sample(rows: list[Any], limit: int | None) -> list[Any]:
    """At most `limit` rows, evenly spread, always keeping the first and the last."""
    if limit is None or limit <= 0 or len(rows) <= limit:
        return rows
    if limit == 1:
        return [rows[-1]]
    stride = (len(rows) - 1) / (limit - 1)
    return [rows[round(i * stride)] for i in range(limit)]


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested metrics (`{"dict": {"a": 1}}`) as dotted keys (`dict.a`); media values
    (objects with a `_type`) stay whole."""
    flat: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and value and "_type" not in value:
            flat.update(flatten(value, f"{name}."))
        else:
            flat[name] = value
    return flat


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if value is None:
        return "nil"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dict):
        return str(value.get("_type") or "map")
    return type(value).__name__


def keys_summary(rows: list[dict[str, Any]]) -> dict[str, Any]:
    """`historyKeys`: the last step and, per (dotted) key, the types seen with their
    counts and the last value logged."""
    keys: dict[str, dict[str, Any]] = {}
    last_step = -1
    for row in rows:
        step = row.get(STEP)
        if isinstance(step, int) and not isinstance(step, bool):
            last_step = max(last_step, step)
        for key, value in flatten(row).items():
            entry = keys.setdefault(key, {"typeCounts": {}, "previousValue": None})
            counts = entry["typeCounts"]
            counts[_type_name(value)] = counts.get(_type_name(value), 0) + 1
            entry["previousValue"] = value
    return {
        "lastStep": last_step,
        "keys": {
            key: {
                "typeCounts": [{"type": t, "count": n} for t, n in entry["typeCounts"].items()],
                "previousValue": entry["previousValue"],
            }
            for key, entry in sorted(keys.items())
        },
    }
