"""Lookups with permission checks shared by the artifact mutations."""

from __future__ import annotations

import re

from .... import auth
from ....ids import decode_id
from ....store import artifacts, projects
from ....store.database import Conn
from ....store.records import ArtifactRec, CollectionRec, ProjectRec, UserRec
from ...errors import ApiError, PermissionDenied

_VERSION_ALIAS = re.compile(r"^v\d+$")


async def artifact_for_write(conn: Conn, viewer: UserRec, global_id: str) -> ArtifactRec:
    """An artifact the viewer may change: write access to its source project."""
    artifact = await artifacts.artifact_by_id(conn, decode_id(global_id, "Artifact"))
    if artifact is None or not await auth.can_view_artifact(conn, viewer, artifact):
        raise ApiError(f"artifact {global_id!r} not found")
    sequence = await artifacts.collection_by_id(conn, artifact.sequence_id)
    assert sequence is not None
    await require_write(conn, viewer, sequence.project_id)
    return artifact


async def visible_artifact(conn: Conn, viewer: UserRec, global_id: str) -> ArtifactRec:
    artifact = await artifacts.artifact_by_id(conn, decode_id(global_id, "Artifact"))
    if artifact is None or not await auth.can_view_artifact(conn, viewer, artifact):
        raise ApiError(f"artifact {global_id!r} not found")
    return artifact


async def require_write(conn: Conn, viewer: UserRec, project_id: int) -> ProjectRec:
    project = await projects.project_by_id(conn, project_id)
    role = await auth.project_role(conn, viewer, project) if project else None
    if project is None or role is None:
        raise ApiError("project not found")
    if not auth.role_at_least(role, "member"):
        raise PermissionDenied(f"permission denied: {role} role cannot modify {project.name!r}")
    return project


async def collection_for_write(
    conn: Conn, viewer: UserRec, global_id: str, kind: str | None = None
) -> CollectionRec:
    collection = await artifacts.collection_by_id(conn, decode_id(global_id, "ArtifactCollection"))
    if collection is None or (kind is not None and collection.kind != kind):
        raise ApiError(f"artifact collection {global_id!r} not found")
    await require_write(conn, viewer, collection.project_id)
    return collection


def user_aliases(aliases: list[str]) -> list[str]:
    """Validated aliases to set; `latest` is dropped, the server moves it by itself."""
    return [check_alias(a) for a in aliases if a != artifacts.LATEST]


def check_alias(alias: str) -> str:
    if not alias or "/" in alias or ":" in alias:
        raise ApiError(f"invalid alias {alias!r}: aliases cannot be empty or contain '/' or ':'")
    if alias == artifacts.LATEST or _VERSION_ALIAS.match(alias):
        raise ApiError(f"the alias {alias!r} is assigned by the server")
    return alias


# Refusals worded for how the caller reached the collection: logging into it (a
# sequence) or linking into it (a portfolio).
_WRONG_KIND = {
    "SEQUENCE": "{name!r} is a portfolio of linked artifacts; log to another name",
    "PORTFOLIO": "{name!r} holds logged artifacts; link into a portfolio instead",
}
_WRONG_TYPE = {
    "SEQUENCE": "artifact {name!r} already exists with type {existing!r};"
    " cannot create another with type {wanted!r}",
    "PORTFOLIO": "collection {name!r} holds artifacts of type {existing!r}, not {wanted!r}",
}


async def collection_of_kind(
    conn: Conn,
    project_id: int,
    name: str,
    kind: str,
    type_name: str,
    *,
    client_id: str | None = None,
) -> CollectionRec:
    """The project's collection `name`, created on first use; it must be of `kind`
    and hold `type_name` artifacts."""
    existing = await artifacts.collection_by_name(conn, project_id, name)
    if existing is None:
        artifact_type = await artifacts.ensure_artifact_type(conn, project_id, type_name)
        return await artifacts.create_collection(
            conn, project_id, artifact_type.id, name, kind, client_id=client_id
        )
    if existing.kind != kind:
        raise ApiError(_WRONG_KIND[kind].format(name=name))
    existing_type = await artifacts.artifact_type_name(conn, existing.type_id)
    if existing_type != type_name:
        raise ApiError(
            _WRONG_TYPE[kind].format(name=name, existing=existing_type, wanted=type_name)
        )
    return existing
