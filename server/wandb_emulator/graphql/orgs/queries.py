import strawberry

from ... import auth
from ...ids import decode_id
from ...store import accounts
from ..context import Info
from .types import Entity, Organization


@strawberry.type
class OrgQueries:
    @strawberry.field(description="An organization the viewer belongs to; null otherwise.")
    async def organization(
        self, info: Info, name: str | None = None, id: strawberry.ID | None = None
    ) -> Organization | None:
        ctx = info.context
        async with ctx.db.read() as conn:
            if id is not None:
                org = await accounts.org_by_id(conn, decode_id(id, "Organization"))
            else:
                org = await accounts.org_by_name(conn, name) if name else None
            if org is None or not await auth.can_view_org(conn, ctx.viewer, org):
                return None
        return Organization(rec=org)

    @strawberry.field
    async def entity(self, info: Info, name: str | None = None) -> Entity | None:
        if not name:
            return None
        async with info.context.db.read() as conn:
            entity = await accounts.entity_by_name(conn, name)
        return Entity(rec=entity) if entity else None
