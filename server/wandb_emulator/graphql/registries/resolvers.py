"""Project lookups shared by Query and Entity, filtered by what the viewer may see.
Records and pages of records."""

from ... import auth
from ...records import ProjectRec
from ...store import projects
from ..context import Info
from ..listing import ListedPage, list_page
from ..project_scope import project_documents, visible_projects


async def visible_project(info: Info, entity_id: int, name: str) -> ProjectRec | None:
    ctx = info.context
    async with ctx.db.read() as conn:
        project = await projects.project_by_name(conn, entity_id, name)
        if project is None or not await auth.can_view_project(conn, ctx.viewer, project):
            return None
    return project


async def projects_page(
    info: Info,
    entity_id: int,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[ProjectRec]:
    """The entity's projects the viewer may see, filtered, ordered and paged."""
    return await list_page(
        info,
        projects.PROJECTS,
        await visible_projects(info, entity_id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=project_documents,
    )
