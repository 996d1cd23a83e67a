from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import strawberry

from ...auth import REGISTRY_ROLES
from ...ids import encode_id
from ...store import accounts, projects
from ...store.records import EntityRec, ProjectRec, UserRec
from ..artifacts import resolvers as artifact_resolvers
from ..automations import resolvers as automation_resolvers
from ..context import Info
from ..fields import global_id_field, record_field
from ..pagination import Counter, PageInfo, total_count_field
from ..runs import resolvers as run_resolvers
from ..scalars import DateTime, JSONString
from ..sweeps import types as sweep_types

if TYPE_CHECKING:
    from ..orgs.types import Entity
    from ..users.types import User

_Entity = Annotated["Entity", strawberry.lazy("wandb_emulator.graphql.orgs.types")]
_User = Annotated["User", strawberry.lazy("wandb_emulator.graphql.users.types")]


@strawberry.type
class Role:
    name: str

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Role", REGISTRY_ROLES.index(self.name) + 1))


@strawberry.type
class ProjectMember:
    user: strawberry.Private[UserRec]
    role: Role

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("User", self.user.id))

    @strawberry.field
    def name(self) -> str | None:
        return self.user.name

    @strawberry.field
    def username(self) -> str | None:
        return self.user.username

    @strawberry.field
    def email(self) -> str | None:
        return self.user.email

    @strawberry.field
    def photo_url(self) -> str | None:
        return None

    @strawberry.field
    def account_type(self) -> str | None:
        return self.user.account_type


@strawberry.type
class ProjectTeamMember:
    team_rec: strawberry.Private[EntityRec]
    role: Role

    @strawberry.field
    def team(self) -> _Entity:
        from ..orgs.types import Entity

        return Entity(rec=self.team_rec)


@strawberry.type
class Project:
    rec: strawberry.Private[ProjectRec]

    id = global_id_field("Project")

    @strawberry.field
    def internal_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("ProjectInternalId", self.rec.id))

    name = record_field("name", str)

    description = record_field("description", str | None)

    access = record_field("access", str | None)

    created_at = record_field("created_at", DateTime)

    updated_at = record_field("updated_at", DateTime | None)

    allow_all_artifact_types_in_registry = record_field("allow_all_artifact_types", bool)

    @strawberry.field
    def read_only(self) -> bool | None:
        return False

    @strawberry.field
    async def entity(self, info: Info) -> _Entity:
        from ..orgs.types import Entity

        entity = await info.context.loaders.entity.load(self.rec.entity_id)
        assert entity is not None
        return Entity(rec=entity)

    @strawberry.field
    async def entity_name(self, info: Info) -> str:
        entity = await info.context.loaders.entity.load(self.rec.entity_id)
        assert entity is not None
        return entity.name

    @strawberry.field(description="The owner of a project in a personal entity.")
    async def user(self, info: Info) -> _User | None:
        from ..users.types import User

        async with info.context.db.read() as conn:
            owner = await accounts.user_by_entity(conn, self.rec.entity_id)
        return User(rec=owner) if owner else None

    @strawberry.field
    def is_benchmark(self) -> bool:
        return False

    @strawberry.field
    def views(self) -> JSONString | None:
        return JSONString("{}")

    run = strawberry.field(resolver=run_resolvers.project_run)
    bucket = strawberry.field(resolver=run_resolvers.project_bucket)
    runs = strawberry.field(resolver=run_resolvers.project_runs)
    run_count = strawberry.field(resolver=run_resolvers.project_run_count)
    sweep = strawberry.field(resolver=sweep_types.project_sweep)
    artifact_types = strawberry.field(resolver=artifact_resolvers.project_artifact_types)
    artifact_type = strawberry.field(resolver=artifact_resolvers.project_artifact_type)
    artifact = strawberry.field(resolver=artifact_resolvers.project_artifact)
    artifact_collection = strawberry.field(resolver=artifact_resolvers.project_artifact_collection)
    artifact_collections = strawberry.field(
        resolver=artifact_resolvers.project_artifact_collections
    )
    artifact_collection_membership = strawberry.field(
        resolver=artifact_resolvers.project_membership
    )
    triggers = strawberry.field(resolver=automation_resolvers.project_triggers)

    @strawberry.field
    async def members(self, info: Info) -> list[ProjectMember]:
        async with info.context.db.read() as conn:
            members = await projects.user_members(conn, self.rec.id)
        return [ProjectMember(user=user, role=Role(name=role)) for user, role in members]

    @strawberry.field
    async def team_members(self, info: Info) -> list[ProjectTeamMember]:
        async with info.context.db.read() as conn:
            members = await projects.team_members(conn, self.rec.id)
        return [ProjectTeamMember(team_rec=team, role=Role(name=role)) for team, role in members]


@strawberry.type
class ProjectEdge:
    node: Project | None
    cursor: str


@strawberry.type
class ProjectConnection:
    edges: list[ProjectEdge]
    page_info: PageInfo
    counter: strawberry.Private[Counter]
    total_count = total_count_field()
