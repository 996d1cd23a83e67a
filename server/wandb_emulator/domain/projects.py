"""Entities and projects named in requests: resolving them, and the project a write goes
into (created on first use where the actor may create projects).

`writable_project` takes a connection rather than a `Tx`: it is one step of a larger
write (a run, an artifact) and announces nothing itself.
"""

from __future__ import annotations

from .. import auth
from ..naming import check_name
from ..records import EntityRec, ProjectRec, UserRec
from ..store import accounts, projects
from ..store.database import Conn
from .errors import NotFound

DEFAULT_PROJECT = "uncategorized"


async def named_or_default_entity(conn: Conn, actor: UserRec, name: str | None) -> EntityRec | None:
    """The named entity, or the actor's default entity when no name is given."""
    if name:
        return await accounts.entity_by_name(conn, name)
    return await accounts.entity_by_id(conn, actor.default_entity_id or actor.entity_id)


async def target_entity(conn: Conn, actor: UserRec, name: str | None) -> EntityRec:
    entity = await named_or_default_entity(conn, actor, name)
    if entity is None:
        raise NotFound(f"entity {name!r} not found")
    return entity


async def writable_project(
    conn: Conn,
    actor: UserRec,
    entity_name: str | None,
    project_name: str | None,
    *,
    create: bool,
) -> ProjectRec:
    """The project the actor writes into; created on first use when `create` is set."""
    entity = await target_entity(conn, actor, entity_name)
    name = check_name("project", project_name or DEFAULT_PROJECT)
    project = await projects.project_by_name(conn, entity.id, name)
    if project is None:
        if not create:
            raise NotFound(f"project {entity.name}/{name} not found")
        await auth.check(conn, actor, auth.Action.CREATE_PROJECTS_IN, entity)
        return await projects.create_project(conn, entity.id, name, access="USER_READ")
    named = f"{entity.name}/{name}"
    await auth.check(conn, actor, auth.Action.WRITE_INTO_PROJECT, project, named=named)
    return project
