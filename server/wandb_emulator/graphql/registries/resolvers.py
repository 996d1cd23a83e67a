"""Project lookups shared by Query and Entity, filtered by what the viewer may see."""

from __future__ import annotations

from typing import Any

from ... import auth
from ...store import projects
from ...store.records import ProjectRec
from ..context import Info
from ..listing import list_page
from ..project_scope import project_documents, visible_projects
from ..scalars import JSONString
from .types import Project, ProjectConnection, ProjectEdge


async def visible_project(info: Info, entity_id: int, name: str) -> ProjectRec | None:
    ctx = info.context
    async with ctx.db.read() as conn:
        project = await projects.project_by_name(conn, entity_id, name)
        if project is None or not await auth.can_view_project(conn, ctx.viewer, project):
            return None
    return project


async def entity_project(root: Any, info: Info, name: str | None = None) -> Project | None:
    if not name:
        return None
    project = await visible_project(info, root.rec.id, name)
    return Project(rec=project) if project else None


async def entity_projects(
    root: Any,
    info: Info,
    filters: JSONString | None = None,
    order: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> ProjectConnection:
    return await projects_page(info, root.rec.id, filters, order, first, after)


async def projects_page(
    info: Info,
    entity_id: int,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ProjectConnection:
    """The entity's projects the viewer may see, filtered, ordered and paged."""
    page = await list_page(
        info,
        projects.PROJECTS,
        await visible_projects(info, entity_id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=project_documents,
    )
    return ProjectConnection(
        edges=[ProjectEdge(node=Project(rec=p), cursor=c) for c, p in page.items],
        page_info=page.page_info,
        counter=page.counter,
    )
