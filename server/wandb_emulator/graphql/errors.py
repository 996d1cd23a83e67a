"""Errors resolvers raise, and the W&B-style formatting of all GraphQL errors."""

from __future__ import annotations

import re
from typing import Any

from graphql import GraphQLError


class ApiError(Exception):
    """An error whose message is meant for the client, as the W&B server words it."""


class PermissionDenied(ApiError):
    def __init__(self, message: str = "permission denied") -> None:
        super().__init__(message)


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
