"""Resolving entities and projects named in requests: the domain's functions, under the
names the GraphQL layer has always imported them by."""

from __future__ import annotations

from ..auth import can_create_in as may_create_in
from ..domain.projects import (
    DEFAULT_PROJECT,
    named_or_default_entity,
    target_entity,
    writable_project,
)

__all__ = [
    "DEFAULT_PROJECT",
    "may_create_in",
    "named_or_default_entity",
    "target_entity",
    "writable_project",
]
