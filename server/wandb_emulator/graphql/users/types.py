from typing import TYPE_CHECKING, Annotated

import strawberry

from ...domain.reads import accounts as account_reads
from ...domain.reads import automations as automation_reads
from ...domain.reads.loaders import then
from ...records import ApiKeyRec, UserRec
from ..context import Info
from ..fields import context_field, global_id_field, record_field, source_field
from ..lazy import lazy_type
from ..scalars import DateTime, JSONString

if TYPE_CHECKING:
    from ..orgs.types import EntityConnection, Organization
    from ..registries.types import ProjectConnection

# Organizations and teams (orgs.types) come later in the areas' import order.

_Organization = Annotated["Organization", strawberry.lazy("wandb_emulator.graphql.orgs.types")]
_EntityConnection = Annotated[
    "EntityConnection", strawberry.lazy("wandb_emulator.graphql.orgs.types")
]
_ProjectConnection = Annotated[
    "ProjectConnection", strawberry.lazy("wandb_emulator.graphql.registries.types")
]


@strawberry.type
class ApiKey:
    rec: strawberry.Private[ApiKeyRec]

    id = global_id_field("ApiKey")

    @source_field
    def name(self) -> str:
        """Keys are only ever shown by a short prefix, as on the real server."""
        return self.rec.key[:6]

    description = record_field("description", str | None)


@strawberry.type
class ApiKeyEdge:
    node: ApiKey | None


@strawberry.type
class ApiKeyConnection:
    edges: list[ApiKeyEdge]


@strawberry.type
class User:
    rec: strawberry.Private[UserRec]

    id = global_id_field("User")

    name = record_field("name", str)

    username = record_field("username", str | None)

    email = record_field("email", str | None)

    admin = record_field("admin", bool | None)

    created_at = record_field("created_at", DateTime)

    @source_field
    def deleted_at(self) -> DateTime | None:
        return None

    @source_field
    def photo_url(self) -> str | None:
        return None

    account_type = record_field("account_type", str | None)

    @source_field
    def flags(self) -> JSONString | None:
        return JSONString("{}")

    @context_field(description="Name of the user's default entity.")
    def entity(self, info: Info) -> str | None:
        entity_id = self.rec.default_entity_id or self.rec.entity_id
        return then(
            info.context.loaders.entity.load_now(entity_id),
            lambda entity: entity.name if entity else None,
        )

    @strawberry.field
    async def api_keys(self, info: Info) -> ApiKeyConnection | None:
        keys = await account_reads.api_keys_of(info.context.reads, self.rec)
        return ApiKeyConnection(edges=[ApiKeyEdge(node=ApiKey(rec=k)) for k in keys])

    @strawberry.field
    async def teams(self, info: Info) -> _EntityConnection | None:
        teams = await account_reads.teams_of(info.context.reads, self.rec)
        return lazy_type(_EntityConnection).of(teams)

    @strawberry.field
    async def organizations(self, info: Info) -> list[_Organization]:
        orgs = await account_reads.organizations_of(info.context.reads, self.rec)
        return [lazy_type(_Organization)(rec=org) for org in orgs]

    @strawberry.field
    async def projects(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> _ProjectConnection:
        page = await automation_reads.projects_of_user(info.context.reads, self.rec, first, after)
        return lazy_type(_ProjectConnection).of_projects(page)


@strawberry.type
class UserEdge:
    node: User | None


@strawberry.type
class UserConnection:
    edges: list[UserEdge]
