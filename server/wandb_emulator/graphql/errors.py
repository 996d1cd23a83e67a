"""Errors resolvers raise, and the W&B-style formatting of all GraphQL errors.

`ApiError` is the domain layer's error under its GraphQL-era name: whatever the domain
refuses (permission refusals come from the gate, `auth.check`) reaches the client with
its message unchanged.
"""

import re
from typing import Any

from graphql import GraphQLError

from ..domain.errors import DomainError as ApiError

__all__ = [
    "NOT_EMULATED_CODE",
    "ApiError",
    "NotEmulated",
    "asks_for_unknown_schema",
    "format_error",
    "not_emulated_error",
    "w_and_b_message",
]

# graphql-core validation messages that mean "the schema has no such thing": the
# client asked for something the emulator does not implement (yet).
_UNKNOWN_SCHEMA_ELEMENT = (
    "Cannot query field",
    "Unknown type",
    "Unknown argument",
    "not to include unknown field",
)
NOT_EMULATED_CODE = "NOT_EMULATED"


class NotEmulated(ApiError):
    def __init__(self, operation: str) -> None:
        super().__init__(f"not emulated: {operation}")


_SINGLE_QUOTED = re.compile(r"'([^'\s]*)'")


def w_and_b_message(message: str) -> str:
    """graphql-core quotes names with ' ; the W&B server (and the SDK's checks) use "."""
    return _SINGLE_QUOTED.sub(r'"\1"', message)


def format_error(error: GraphQLError, *, validation: bool) -> dict[str, Any]:
    formatted = dict(error.formatted)
    if validation:
        formatted["message"] = w_and_b_message(error.message)
    return formatted


def asks_for_unknown_schema(errors: list[GraphQLError]) -> bool:
    return any(
        any(marker in error.message for marker in _UNKNOWN_SCHEMA_ELEMENT) for error in errors
    )


def not_emulated_error(operation: str | None) -> dict[str, object]:
    return {
        "message": f"not emulated: {operation or '(anonymous)'}",
        "extensions": {"code": NOT_EMULATED_CODE},
    }
