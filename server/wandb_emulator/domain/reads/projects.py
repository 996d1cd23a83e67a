"""Projects and registries: found by name, listed per entity, with their members and
where they live. Only the projects the viewer may see."""

from __future__ import annotations

from typing import Any

from ... import auth
from ...records import EntityRec, OrganizationRec, ProjectRec, RegistryRole, UserRec
from ...store import accounts, projects
from ...store.database import Conn
from ...store.listing import Where
from ..projects import named_or_default_entity
from .paging import ListedPage, list_page
from .session import ReadSession


async def visible_projects(reads: ReadSession, entity_id: int) -> Where:
    """The projects of the entity the viewer may see, as a listing scope (known per
    viewer and entity until the next COMMIT)."""

    async def scope() -> Where:
        entity = await reads.loaders.entity.load(entity_id)
        if entity is None:
            return auth.NOTHING
        async with reads.db.read() as conn:
            visible = await auth.visible_projects(conn, reads.viewer, entity)
        return projects.of_entity(entity_id) & visible

    return await reads.db.results.remember("visible_projects", (reads.viewer.id, entity_id), scope)


def project_document(rec: ProjectRec) -> dict[str, Any]:
    """The fields a registry filter can test."""
    return {
        "id": rec.id,
        "project_id": rec.id,
        "name": rec.name,
        "entity_id": rec.entity_id,
        "description": rec.description,
        "created_at": rec.created_at,
        "createdAt": rec.created_at,
        "updated_at": rec.updated_at,
        "updatedAt": rec.updated_at,
    }


async def project_documents(conn: Conn, found: list[ProjectRec]) -> list[dict[str, Any]]:
    return [project_document(p) for p in found]


async def entity_named(reads: ReadSession, name: str | None) -> EntityRec | None:
    """The named entity, or the viewer's default entity when no name is given."""
    async with reads.db.read() as conn:
        return await named_or_default_entity(conn, reads.viewer, name)


async def visible_project(reads: ReadSession, entity_id: int, name: str) -> ProjectRec | None:
    async with reads.db.read() as conn:
        project = await projects.project_by_name(conn, entity_id, name)
        if project is None or not await auth.allows(
            conn, reads.viewer, auth.Action.VIEW_PROJECT, project
        ):
            return None
    return project


async def project_named(
    reads: ReadSession, entity_name: str | None, name: str | None
) -> ProjectRec | None:
    """`entity/name` (the viewer's default entity when none is named), if visible."""
    if not name:
        return None
    entity = await entity_named(reads, entity_name)
    return None if entity is None else await visible_project(reads, entity.id, name)


async def visible_project_by_id(reads: ReadSession, project_id: int) -> ProjectRec | None:
    async with reads.db.read() as conn:
        project = await projects.project_by_id(conn, project_id)
        if project is None or not await auth.allows(
            conn, reads.viewer, auth.Action.VIEW_PROJECT, project
        ):
            return None
    return project


async def projects_page(
    reads: ReadSession,
    entity_id: int,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[ProjectRec]:
    """The entity's projects the viewer may see, filtered, ordered and paged."""
    return await list_page(
        reads,
        projects.PROJECTS,
        await visible_projects(reads, entity_id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=project_documents,
    )


async def visible_projects_of(
    reads: ReadSession, entity_id: int, name_prefix: str = ""
) -> list[ProjectRec]:
    """Every project of the entity (with this name prefix) the viewer may see."""
    async with reads.db.read() as conn:
        found = await projects.projects_of_entity(conn, entity_id, name_prefix)
        return [
            p for p in found if await auth.allows(conn, reads.viewer, auth.Action.VIEW_PROJECT, p)
        ]


async def project_owner(reads: ReadSession, project: ProjectRec) -> UserRec | None:
    """The user owning the project's entity, when it is a personal one."""
    async with reads.db.read() as conn:
        return await accounts.user_by_entity(conn, project.entity_id)


async def location(
    reads: ReadSession, project: ProjectRec
) -> tuple[EntityRec, OrganizationRec | None]:
    """The project's entity and, for an organization's entity, the organization."""
    async with reads.db.read() as conn:
        entity = await accounts.entity_by_id(conn, project.entity_id)
        assert entity is not None, "a project's entity exists"
        org = None
        if entity.kind == "ORGANIZATION" and entity.organization_id is not None:
            org = await accounts.org_by_id(conn, entity.organization_id)
    return entity, org


async def viewer_role(reads: ReadSession, project: ProjectRec) -> RegistryRole | None:
    async with reads.db.read() as conn:
        return await auth.project_role(conn, reads.viewer, project)


async def allowed_type_names(reads: ReadSession, project: ProjectRec) -> list[str] | None:
    """The artifact types a registry allows; None when it allows every type."""
    if project.allow_all_artifact_types:
        return None
    async with reads.db.read() as conn:
        return [
            t.name for t in await projects.artifact_types_of(conn, project.id, allowed_only=True)
        ]


async def user_members(
    reads: ReadSession, project: ProjectRec
) -> list[tuple[UserRec, RegistryRole]]:
    async with reads.db.read() as conn:
        return await projects.user_members(conn, project.id)


async def team_members(
    reads: ReadSession, project: ProjectRec
) -> list[tuple[EntityRec, RegistryRole]]:
    async with reads.db.read() as conn:
        return await projects.team_members(conn, project.id)
