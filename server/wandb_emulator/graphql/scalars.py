"""Custom scalars of the W&B schema."""

import json
from typing import Any, NewType

import strawberry
from strawberry.types.scalar import ScalarDefinition

from .errors import ApiError


def parse_json_object(value: str, field: str) -> dict[str, Any]:
    """The JSON object a JSONString argument holds; a clear error for anything else."""
    try:
        parsed = json.loads(value)
    except json.JSONDecodeError as exc:
        raise ApiError(f"{field} must be a JSON object: {exc.msg}") from exc
    if not isinstance(parsed, dict):
        raise ApiError(f"{field} must be a JSON object")
    return parsed


def json_object(value: str | None, field: str) -> str | None:
    """Check that a JSONString argument holds a JSON object; the text is kept as sent."""
    if value is not None:
        parse_json_object(value, field)
    return value


def _parse_json_string(value: Any) -> str:
    if isinstance(value, str):
        return value
    return json.dumps(value)


JSONString = NewType("JSONString", str)
DateTime = NewType("DateTime", str)
Int64 = NewType("Int64", int)
Duration = NewType("Duration", int)


def _parse_duration(value: Any) -> int:
    """A duration in milliseconds (run.alert's `wait_duration`, which the SDK converts
    from seconds), as a number or numeric string; anything else is refused."""
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise ValueError(f"a Duration is a number of milliseconds, not {value!r}")
    milliseconds = float(value)
    if milliseconds != milliseconds or milliseconds in (float("inf"), float("-inf")):
        raise ValueError(f"a Duration is a number of milliseconds, not {value!r}")
    return int(milliseconds)


# The Python types above stand for these GraphQL scalars (StrawberryConfig.scalar_map).
SCALAR_MAP: dict[object, ScalarDefinition] = {
    JSONString: strawberry.scalar(
        name="JSONString",
        description="A JSON document encoded as a string.",
        serialize=lambda value: value,
        parse_value=_parse_json_string,
    ),
    DateTime: strawberry.scalar(
        name="DateTime",
        description="A UTC timestamp in ISO 8601 form.",
        serialize=lambda value: value,
        parse_value=str,
    ),
    Int64: strawberry.scalar(
        name="Int64",
        description="A 64-bit integer.",
        serialize=int,
        parse_value=int,
    ),
    Duration: strawberry.scalar(
        name="Duration",
        description="A duration in milliseconds.",
        serialize=int,
        parse_value=_parse_duration,
    ),
}
