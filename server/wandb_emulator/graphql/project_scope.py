"""The projects of an entity the viewer may see, as a listing scope, and what a project
filter document sees of each (shared by registry, collection and version listings)."""

from typing import Any

from .. import auth
from ..records import ProjectRec
from ..store import projects
from ..store.database import Conn
from ..store.listing import Where
from .context import Info
from .registries.documents import project_document


async def visible_projects(info: Info, entity_id: int) -> Where:
    """The projects of the entity the viewer may see, as a listing scope (known per
    viewer and entity until the next COMMIT)."""
    context = info.context

    async def scope() -> Where:
        entity = await context.loaders.entity.load(entity_id)
        if entity is None:
            return auth.NOTHING
        async with context.db.read() as conn:
            visible = await auth.visible_projects(conn, context.viewer, entity)
        return projects.of_entity(entity_id) & visible

    return await context.db.results.remember(
        "visible_projects", (context.viewer.id, entity_id), scope
    )


async def project_documents(conn: Conn, found: list[ProjectRec]) -> list[dict[str, Any]]:
    return [project_document(p) for p in found]
