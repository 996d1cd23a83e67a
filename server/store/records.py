"""Plain, immutable records that the data layer returns (one per table row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any


def utc_now() -> str:
    """Timestamps as the W&B server writes them: UTC, second precision, no offset."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class EntityRec:
    id: int
    name: str
    kind: str  # USER | TEAM | ORGANIZATION
    organization_id: int | None
    created_at: str

    @property
    def is_team(self) -> bool:
        return self.kind != "USER"


@dataclass(frozen=True)
class UserRec:
    id: int
    username: str
    name: str
    email: str | None
    admin: bool
    entity_id: int
    default_entity_id: int | None
    created_at: str


@dataclass(frozen=True)
class ApiKeyRec:
    id: int
    user_id: int
    key: str
    description: str | None
    created_at: str


@dataclass(frozen=True)
class OrganizationRec:
    id: int
    name: str
    org_entity_id: int | None
    created_at: str


@dataclass(frozen=True)
class TeamMemberRec:
    user: UserRec
    role: str


@dataclass(frozen=True)
class InviteRec:
    id: int
    entity_id: int
    email: str | None
    username: str | None
    admin: bool
    accepted: bool
    created_at: str


@dataclass(frozen=True)
class ProjectRec:
    id: int
    entity_id: int
    name: str
    description: str | None
    access: str | None
    allow_all_artifact_types: bool
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class ArtifactTypeRec:
    id: int
    project_id: int
    name: str
    description: str | None
    allowed: bool
    created_at: str


def from_row(cls: type, row: Any) -> Any:
    """Build a record from a row whose columns match the record's fields."""
    values = dict(row)
    for key, value in values.items():
        if key in _BOOL_COLUMNS and value is not None:
            values[key] = bool(value)
    return cls(**values)


_BOOL_COLUMNS = {"admin", "accepted", "allowed", "allow_all_artifact_types"}
