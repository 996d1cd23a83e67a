import strawberry

from ...domain.projects import named_or_default_entity
from ..context import Info
from .resolvers import projects_page, visible_project
from .types import Project, ProjectConnection


async def _project(info: Info, name: str | None, entity_name: str | None) -> Project | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        entity = await named_or_default_entity(conn, info.context.viewer, entity_name)
    if entity is None:
        return None
    project = await visible_project(info, entity.id, name)
    return Project(rec=project) if project else None


@strawberry.type
class ProjectQueries:
    @strawberry.field(description="The projects of an entity (the viewer's default entity).")
    async def models(
        self,
        info: Info,
        entity_name: str | None = None,
        first: int | None = None,
        after: str | None = None,
        order: str | None = None,
    ) -> ProjectConnection | None:
        async with info.context.db.read() as conn:
            entity = await named_or_default_entity(conn, info.context.viewer, entity_name)
        if entity is None:
            return None
        page = await projects_page(info, entity.id, None, order, first, after)
        return ProjectConnection.of_projects(page)

    @strawberry.field
    async def project(
        self, info: Info, name: str | None = None, entity_name: str | None = None
    ) -> Project | None:
        return await _project(info, name, entity_name)

    @strawberry.field(description="The legacy name of `project`.")
    async def model(
        self, info: Info, name: str | None = None, entity_name: str | None = None
    ) -> Project | None:
        return await _project(info, name, entity_name)
