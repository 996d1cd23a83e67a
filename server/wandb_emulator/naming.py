"""Naming rules: the checks of names the W&B server enforces (project, entity, team,
registry, run and artifact type names), raising InvalidName."""

from __future__ import annotations

from .domain.errors import InvalidInput

NAME_MAXLEN = 128
INVALID_NAME_CHARS = frozenset("/\\#?%:\r\n")
ARTIFACT_TYPE_SEP_CHARS = frozenset("/:")


class InvalidName(InvalidInput):
    """A name that breaks a naming rule (a ValueError, like every InvalidInput)."""


def _refuse_control_characters(kind: str, name: str) -> None:
    if any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F for c in name):
        raise InvalidName(f"invalid {kind} name {name!r}: cannot contain control characters")


def check_name(kind: str, name: str | None) -> str:
    """Validate a project or entity name (`kind` names it in the message)."""
    if not name or not name.strip():
        raise InvalidName(f"{kind} name cannot be empty")
    if len(name) > NAME_MAXLEN:
        raise InvalidName(f"{kind} name must be at most {NAME_MAXLEN} characters")
    _refuse_control_characters(kind, name)
    if bad := INVALID_NAME_CHARS.intersection(name):
        listed = ", ".join(repr(c) for c in sorted(bad))
        raise InvalidName(f"invalid {kind} name {name!r}: cannot contain {listed}")
    return name


def check_artifact_type_name(name: str) -> str:
    if not name:
        raise InvalidName("artifact type name cannot be empty")
    if len(name) > NAME_MAXLEN:
        raise InvalidName(f"artifact type names must be at most {NAME_MAXLEN} characters")
    _refuse_control_characters("artifact type", name)
    if ARTIFACT_TYPE_SEP_CHARS.intersection(name):
        raise InvalidName(f"invalid artifact type {name!r}: cannot contain '/' or ':'")
    return name
