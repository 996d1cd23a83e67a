import strawberry

from ...domain.reads import projects
from ..context import Info
from .types import Project, ProjectConnection


async def _project(info: Info, name: str | None, entity_name: str | None) -> Project | None:
    found = await projects.project_named(info.context.reads, entity_name, name)
    return Project(rec=found) if found else None


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
        reads = info.context.reads
        entity = await projects.entity_named(reads, entity_name)
        if entity is None:
            return None
        page = await projects.projects_page(reads, entity.id, None, order, first, after)
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
