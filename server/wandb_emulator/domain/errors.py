"""Errors the domain layer raises. Their messages are what clients see, worded as the
W&B server words them (the SDK matches on some of them)."""

from __future__ import annotations


class DomainError(Exception):
    """A refusal meant for the client."""


class NotFound(DomainError):
    """The thing does not exist, or the actor may not know that it exists."""


class PermissionDenied(DomainError):
    def __init__(self, message: str = "permission denied") -> None:
        super().__init__(message)


class InvalidInput(DomainError, ValueError):
    """Arguments that break a naming or shape rule (a ValueError too, for callers that
    validate input before any domain call)."""
