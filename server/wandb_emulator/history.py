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
