import strawberry

from ...domain.reads import accounts
from ..context import Info
from .types import Entity, Organization


@strawberry.type
class OrgQueries:
    @strawberry.field(description="An organization the viewer belongs to; null otherwise.")
    async def organization(
        self, info: Info, name: str | None = None, id: strawberry.ID | None = None
    ) -> Organization | None:
        org = await accounts.organization(info.context.reads, name=name, global_id=id)
        return Organization(rec=org) if org else None

    @strawberry.field
    async def entity(self, info: Info, name: str | None = None) -> Entity | None:
        entity = await accounts.entity_by_name(info.context.reads, name)
        return Entity(rec=entity) if entity else None
