"""JSON parsing with a nesting bound, for every document a client sends.

Deeply nested JSON costs recursion further down (the journal's copies, filter
evaluation, serialization), so anything nested deeper than MAX_JSON_DEPTH is refused
where it is parsed, with a clear message.
"""

from __future__ import annotations

import json
from typing import Any

MAX_JSON_DEPTH = 64


class TooDeep(ValueError):
    pass


def depth_error(max_depth: int) -> TooDeep:
    return TooDeep(f"JSON nested deeper than {max_depth} levels")


def check_depth(value: Any, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Return `value` unchanged; raise TooDeep if its containers nest beyond `max_depth`."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        current, depth = stack.pop()
        children = (
            current.values()
            if isinstance(current, dict)
            else current
            if isinstance(current, list)
            else ()
        )
        for child in children:
            if isinstance(child, (dict, list)):
                if depth + 1 > max_depth:
                    raise depth_error(max_depth)
                stack.append((child, depth + 1))
    return value


def loads(text: str | bytes | bytearray, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """json.loads, refusing documents nested deeper than `max_depth` (TooDeep).

    Malformed JSON raises json.JSONDecodeError (or UnicodeDecodeError) as usual.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise depth_error(max_depth) from None
    return check_depth(value, max_depth)
