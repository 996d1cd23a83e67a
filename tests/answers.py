"""Comparing GraphQL answers made at different moments (tests/test_differential.py,
tests/test_execution.py): what depends on the clock is masked."""

from __future__ import annotations

import re
from typing import Any

# Values that depend on the moment a request runs, not on the path that answered it.
_MOMENT = [
    (re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:?\d{2})?"), "<time>"),
    (re.compile(r"(/storage/(?:upload|blob)/)[^/?\"]+"), r"\1<signed>"),
    (
        re.compile(r"([?&](?:X-Amz-Date|X-Amz-Signature|expires|signature|token)=)[^&\"]+"),
        r"\1<signed>",
    ),
]


def moment_free(value: Any) -> Any:
    """`value` (a decoded JSON answer) with times and URL signatures masked."""
    if isinstance(value, str):
        for pattern, replacement in _MOMENT:
            value = pattern.sub(replacement, value)
        return value
    if isinstance(value, dict):
        return {key: moment_free(item) for key, item in value.items()}
    if isinstance(value, list):
        return [moment_free(item) for item in value]
    return value
