from __future__ import annotations

import strawberry

from ...store import accounts
from ..context import Info
from .resolvers import projects_page, visible_project
from .types import Project, ProjectConnection


async def _project(info: Info, name: str | None, entity_name: str | None) -> Project | None:
    if not name:
        return None
    ctx = info.context
    async with ctx.db.read() as conn:
        if entity_name:
            entity = await accounts.entity_by_name(conn, entity_name)
        else:
            entity = await accounts.entity_by_id(
                conn, ctx.viewer.default_entity_id or ctx.viewer.entity_id
            )
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
        ctx = info.context
        async with ctx.db.read() as conn:
            if entity_name:
                entity = await accounts.entity_by_name(conn, entity_name)
            else:
                entity = await accounts.entity_by_id(
                    conn, ctx.viewer.default_entity_id or ctx.viewer.entity_id
                )
        if entity is None:
            return None
        return await projects_page(info, entity.id, None, order, first, after)

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
