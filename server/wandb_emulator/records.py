"""Plain, immutable records that the data layer returns (one per table row)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, Literal, TypeGuard, get_args

# The closed vocabularies stored in the database, as the type checker sees them. Values
# from the wire (GraphQL arguments, seed files) are checked with the `is_*` guards.
RegistryRole = Literal["restricted_viewer", "viewer", "member", "admin"]  # weakest first
"""A role in a registry or project (team and organization roles are among them)."""
OrgRole = Literal["admin", "member", "viewer"]
TeamRole = Literal["admin", "member"]
EntityKind = Literal["USER", "TEAM", "ORGANIZATION"]
CollectionKind = Literal["SEQUENCE", "PORTFOLIO"]
ProjectAccess = Literal[
    "PRIVATE", "RESTRICTED", "USER_READ", "USER_WRITE", "ENTITY_READ", "ENTITY_WRITE"
]
RegistryVisibility = Literal["organization", "restricted"]
"""Registry visibility as seed files name it: access PRIVATE or RESTRICTED."""

REGISTRY_ROLES: tuple[RegistryRole, ...] = get_args(RegistryRole)
ORG_ROLES: tuple[OrgRole, ...] = get_args(OrgRole)
COLLECTION_KINDS: tuple[CollectionKind, ...] = get_args(CollectionKind)
PROJECT_ACCESS: tuple[ProjectAccess, ...] = get_args(ProjectAccess)


def is_registry_role(value: str) -> TypeGuard[RegistryRole]:
    return value in REGISTRY_ROLES


def is_org_role(value: str) -> TypeGuard[OrgRole]:
    return value in ORG_ROLES


def utc_now() -> str:
    """Timestamps as the W&B server writes them: UTC, second precision, no offset."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


@dataclass(frozen=True)
class EntityRec:
    id: int
    name: str
    kind: EntityKind
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
    account_type: str  # USER | SERVICE
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
    role: TeamRole


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
    access: ProjectAccess | None
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


_BOOL_COLUMNS = {"admin", "accepted", "allowed", "allow_all_artifact_types", "stop_requested"}


@dataclass(frozen=True)
class RunRec:
    id: int
    project_id: int
    name: str
    display_name: str | None
    description: str | None
    notes: str | None
    group_name: str | None
    job_type: str | None
    commit_hash: str | None
    host: str | None
    program: str | None
    sweep_name: str | None
    config: str
    summary_metrics: str
    system_metrics: str
    tags: str
    state: str
    exit_code: int | None
    user_id: int | None
    history_line_count: int
    events_line_count: int
    log_line_count: int
    created_at: str
    updated_at: str
    heartbeat_at: str
    stop_requested: bool
    forked_from_run_id: int | None
    fork_step: int | None


@dataclass(frozen=True)
class RunAlertRec:
    id: int
    run_id: int
    title: str
    text: str
    severity: str  # INFO | WARN | ERROR
    wait_duration_ms: int | None
    created_at: str


@dataclass(frozen=True)
class CustomChartRec:
    id: int
    entity_id: int
    name: str
    display_name: str
    chart_type: str
    access: str
    spec: str
    created_by: int | None
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class RunFileRec:
    run_id: int
    name: str
    blob_key: str | None
    size: int | None
    md5: str | None
    updated_at: str
    storage_path: str | None = None  # its object in a store that takes uploads (layout.py)


@dataclass(frozen=True)
class CollectionRec:
    id: int
    project_id: int
    type_id: int
    name: str
    kind: CollectionKind
    description: str | None
    client_id: str | None
    next_version: int
    created_at: str
    updated_at: str


@dataclass(frozen=True)
class ArtifactRec:
    id: int
    sequence_id: int
    type_id: int
    digest: str
    description: str | None
    metadata: str | None
    state: str
    size: int
    file_count: int
    ttl_duration_seconds: int
    history_step: int | None
    client_id: str | None
    created_by_run_id: int | None
    created_by_user_id: int | None
    pending_aliases: str
    manifest_blob_key: str | None
    manifest_digest: str | None
    manifest_type: str | None
    base_artifact_id: int | None
    created_at: str
    updated_at: str
    distributed_id: str | None
    manifest_path: str | None = None  # the manifest's object, if not content-addressed


@dataclass(frozen=True)
class MembershipRec:
    id: int
    collection_id: int
    artifact_id: int
    version_index: int
    created_at: str


@dataclass(frozen=True)
class AliasRec:
    id: int
    collection_id: int
    artifact_id: int
    alias: str


@dataclass(frozen=True)
class TagRec:
    id: int
    name: str
    category: str


@dataclass(frozen=True)
class ArtifactFileRec:
    artifact_id: int
    name: str
    md5: str
    digest: str | None
    size: int | None
    mimetype: str | None
    blob_key: str | None
    ref: str | None
    updated_at: str
    storage_path: str | None = None  # the object holding its bytes, if not content-addressed


@dataclass(frozen=True)
class MultipartRec:
    id: str
    artifact_id: int
    name: str
    md5: str
    parts: str  # JSON: part number -> blob key
    created_at: str


@dataclass(frozen=True)
class SweepRec:
    id: int
    project_id: int
    name: str
    display_name: str | None
    description: str | None
    method: str
    config: str  # YAML, as the client sent it
    state: str  # RUNNING | PAUSED | CANCELED | FINISHED
    controller: str | None
    scheduler: str | None
    user_id: int | None
    created_at: str
    updated_at: str
    heartbeat_at: str | None


@dataclass(frozen=True)
class SweepProposalRec:
    """A run a sweep proposed to one of its agents (`args` as the agent got them)."""

    sweep_id: int
    position: int
    run_name: str
    agent_id: int | None
    args: str  # JSON: {name: {"value": ...}}
    created_at: str
    stop_requested_at: str | None


@dataclass(frozen=True)
class SweepAgentRec:
    id: int
    sweep_id: int
    name: str
    host: str
    state: str
    user_id: int | None
    created_at: str
    heartbeat_at: str


# ------------------------------------------------------------------ automations


@dataclass(frozen=True)
class SecretRec:
    """A secret's name; its value is read only through `secret_values`."""

    id: int
    entity_id: int
    name: str
    created_at: str


@dataclass(frozen=True)
class IntegrationRec:
    id: int
    entity_id: int
    kind: str  # GENERIC_WEBHOOK | SLACK
    name: str
    url: str | None
    access_token_ref: str | None
    secret_ref: str | None
    slack_team: str | None
    slack_channel: str | None
    created_by: int | None
    created_at: str


@dataclass(frozen=True)
class TriggerRec:
    id: int
    entity_id: int
    name: str
    description: str | None
    enabled: bool
    scope_type: str  # PROJECT | ARTIFACT_COLLECTION
    scope_id: int
    event_type: str
    event_filter: str  # JSON, as the schema returns it
    action_type: str
    action_config: str  # JSON: the action's input fields
    integration_id: int | None
    created_by: int | None
    created_at: str
    updated_at: str
