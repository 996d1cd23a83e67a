"""Resolving entities and projects named in requests, with the permission checks
every domain applies the same way."""

from __future__ import annotations

from .. import auth
from ..store import accounts, projects
from ..store.database import Conn
from ..store.records import EntityRec, ProjectRec, UserRec
from ..validation import check_name
from .errors import ApiError, PermissionDenied

DEFAULT_PROJECT = "uncategorized"


async def named_or_default_entity(
    conn: Conn, viewer: UserRec, name: str | None
) -> EntityRec | None:
    """The named entity, or the viewer's default entity when no name is given."""
    if name:
        return await accounts.entity_by_name(conn, name)
    return await accounts.entity_by_id(conn, viewer.default_entity_id or viewer.entity_id)


async def target_entity(conn: Conn, viewer: UserRec, name: str | None) -> EntityRec:
    entity = await named_or_default_entity(conn, viewer, name)
    if entity is None:
        raise ApiError(f"entity {name!r} not found")
    return entity


async def may_create_in(conn: Conn, viewer: UserRec, entity: EntityRec) -> bool:
    if entity.kind == "ORGANIZATION" and entity.organization_id is not None:
        org = await accounts.org_by_id(conn, entity.organization_id)
        return org is not None and await auth.can_create_registry(conn, viewer, org)
    return await auth.entity_role(conn, viewer, entity) in ("admin", "member")


async def writable_project(
    conn: Conn,
    viewer: UserRec,
    entity_name: str | None,
    project_name: str | None,
    *,
    create: bool,
) -> ProjectRec:
    """The project the viewer writes into; created on first use when `create` is set."""
    entity = await target_entity(conn, viewer, entity_name)
    name = check_name("project", project_name or DEFAULT_PROJECT)
    project = await projects.project_by_name(conn, entity.id, name)
    if project is None:
        if not create:
            raise ApiError(f"project {entity.name}/{name} not found")
        if not await may_create_in(conn, viewer, entity):
            raise PermissionDenied(f"permission denied: cannot create projects in {entity.name!r}")
        return await projects.create_project(conn, entity.id, name, access="USER_READ")
    role = await auth.project_role(conn, viewer, project)
    if role is None:
        raise ApiError(f"project {entity.name}/{name} not found")
    if not auth.role_at_least(role, "member"):
        raise PermissionDenied(f"permission denied: cannot write to {entity.name}/{name}")
    return project
