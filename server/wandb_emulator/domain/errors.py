"""Errors the domain layer raises. Their messages are what clients see, worded as the
W&B server words them (the SDK matches on some of them)."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal meant for the client.

    `http_status`, when set, is the status of the response if the refused operation is
    the only thing the request asked for (the SDK branches on 404 and 409 in places)."""

    http_status: int | None = None


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it exists."""


class Conflict(DomainError):
    """A name is already taken."""

    http_status = 409


class PermissionDenied(DomainError):
    """The actor sees the thing but may not do this. Raised only by the permission gate
    (`auth.check`), which tells it from NotFound (the actor may not see the thing)."""

    def __init__(self, message: str = "permission denied") -> None:
        super().__init__(message)


class InvalidInput(DomainError, ValueError):
    """Arguments that break a naming or shape rule (a ValueError too, for callers that
    validate input before any domain call)."""
