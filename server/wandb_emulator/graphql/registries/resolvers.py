"""Project lookups shared by Query and Entity, filtered by what the viewer may see."""

from __future__ import annotations

from typing import Any

from ... import auth
from ...filters import matches, parse_filter, sort_key_for
from ...store import projects
from ...store.records import ProjectRec
from ..context import Info
from ..pagination import paginate
from ..scalars import JSONString
from .documents import project_document
from .types import Project, ProjectConnection, ProjectEdge

_PROJECT_ORDER_FIELDS = {
    "name": "name",
    "created_at": "created_at",
    "createdAt": "created_at",
    "updated_at": "updated_at",
    "updatedAt": "updated_at",
    "id": "id",
}


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
    ctx = info.context
    filter_doc = parse_filter(filters)
    key, descending = sort_key_for(order, _PROJECT_ORDER_FIELDS, "id")
    async with ctx.db.read() as conn:
        candidates = await projects.projects_of_entity(conn, entity_id)
        visible = [p for p in candidates if await auth.can_view_project(conn, ctx.viewer, p)]
    docs = [(project_document(p), p) for p in visible]
    selected = [(doc, p) for doc, p in docs if matches(filter_doc, doc)]
    selected.sort(key=lambda pair: (pair[0][key] or "", pair[1].id), reverse=descending)
    page = paginate([p for _, p in selected], first, after, ctx.config.max_page_size)
    return ProjectConnection(
        edges=[ProjectEdge(node=Project(rec=p), cursor=c) for c, p in page.items],
        page_info=page.page_info,
        total_count=page.total_count,
    )
