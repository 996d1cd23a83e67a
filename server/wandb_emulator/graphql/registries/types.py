from typing import TYPE_CHECKING, Annotated

import strawberry

from ...auth import REGISTRY_ROLES
from ...domain.reads import artifacts as artifact_reads
from ...domain.reads import automations as automation_reads
from ...domain.reads import collections as collection_reads
from ...domain.reads import projects as project_reads
from ...domain.reads import runs as run_reads
from ...domain.reads import sweeps as sweep_reads
from ...domain.reads.loaders import then
from ...domain.reads.paging import Paged
from ...ids import encode_id
from ...records import EntityRec, ProjectRec, UserRec
from ..artifacts.types import (
    Artifact,
    ArtifactCollection,
    ArtifactCollectionConnection,
    ArtifactCollectionMembership,
    ArtifactCollectionType,
    ArtifactType,
    ArtifactTypeConnection,
    artifact_type_connection,
    collection_connection,
    collection_kinds,
    collection_node,
)
from ..context import Info
from ..fields import context_field, global_id_field, record_field, source_field
from ..lazy import lazy_type
from ..pagination import CountedConnection, PageInfo
from ..runs.types import Run, RunConnection, run_connection
from ..scalars import DateTime, JSONString
from ..sweeps.types import Sweep, SweepConnection, sweep_connection
from ..users.types import User

if TYPE_CHECKING:
    from ..automations.types import Trigger
    from ..orgs.types import Entity

# Organizations and teams (orgs.types) and automations come later in the import order.
_Entity = Annotated["Entity", strawberry.lazy("wandb_emulator.graphql.orgs.types")]
_Trigger = Annotated["Trigger", strawberry.lazy("wandb_emulator.graphql.automations.types")]


@strawberry.type
class Role:
    name: str

    @source_field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("Role", REGISTRY_ROLES.index(self.name) + 1))


@strawberry.type
class ProjectMember:
    user: strawberry.Private[UserRec]
    role: Role

    @source_field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("User", self.user.id))

    @source_field
    def name(self) -> str | None:
        return self.user.name

    @source_field
    def username(self) -> str | None:
        return self.user.username

    @source_field
    def email(self) -> str | None:
        return self.user.email

    @source_field
    def photo_url(self) -> str | None:
        return None

    @source_field
    def account_type(self) -> str | None:
        return self.user.account_type


@strawberry.type
class ProjectTeamMember:
    team_rec: strawberry.Private[EntityRec]
    role: Role

    @source_field
    def team(self) -> _Entity:
        return lazy_type(_Entity)(rec=self.team_rec)


@strawberry.type
class View:
    """A saved view or report. None exist here: the emulator has no way to save one."""

    id: strawberry.ID
    name: str | None
    display_name: str | None
    description: str | None
    user: User | None
    spec: JSONString | None
    updated_at: DateTime | None
    created_at: DateTime | None


@strawberry.type
class ViewEdge:
    node: View | None
    cursor: str


@strawberry.type
class ViewConnection:
    edges: list[ViewEdge]
    page_info: PageInfo


def _known(entity: EntityRec | None) -> EntityRec:
    assert entity is not None, "a project's entity exists"
    return entity


@strawberry.type
class Project:
    rec: strawberry.Private[ProjectRec]

    id = global_id_field("Project")

    @source_field
    def internal_id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("ProjectInternalId", self.rec.id))

    name = record_field("name", str)

    description = record_field("description", str | None)

    access = record_field("access", str | None)

    created_at = record_field("created_at", DateTime)

    updated_at = record_field("updated_at", DateTime | None)

    allow_all_artifact_types_in_registry = record_field("allow_all_artifact_types", bool)

    @source_field
    def read_only(self) -> bool | None:
        return False

    @context_field
    def entity(self, info: Info) -> _Entity:
        return then(
            info.context.loaders.entity.load_now(self.rec.entity_id),
            lambda entity: lazy_type(_Entity)(rec=_known(entity)),
        )

    @context_field
    def entity_name(self, info: Info) -> str:
        return then(
            info.context.loaders.entity.load_now(self.rec.entity_id),
            lambda entity: _known(entity).name,
        )

    @strawberry.field(description="The owner of a project in a personal entity.")
    async def user(self, info: Info) -> User | None:
        owner = await project_reads.project_owner(info.context.reads, self.rec)
        return User(rec=owner) if owner else None

    @source_field
    def is_benchmark(self) -> bool:
        return False

    @source_field
    def views(self) -> JSONString | None:
        return JSONString("{}")

    @strawberry.field
    async def run(
        self,
        info: Info,
        name: str | None = None,
        desc: Annotated[
            str | None, strawberry.argument(description="Accepted and ignored, as on W&B servers.")
        ] = None,
    ) -> Run | None:
        found = await run_reads.project_run(info.context.reads, self.rec, name)
        return Run(rec=found) if found else None

    @strawberry.field
    async def bucket(
        self,
        info: Info,
        name: str | None = None,
        missing_ok: bool | None = None,
        desc: Annotated[
            str | None, strawberry.argument(description="Accepted and ignored, as on W&B servers.")
        ] = None,
    ) -> Run | None:
        found = await run_reads.project_run(info.context.reads, self.rec, name)
        return Run(rec=found) if found else None

    @source_field(description="The project's git repository; projects here record none.")
    def repo(self) -> str | None:
        return None

    @source_field(description="The project's docker image; projects here record none.")
    def docker_image(self) -> str | None:
        return None

    @strawberry.field(
        description="Saved views and reports of the project. Views cannot be saved here, "
        "so the list is empty."
    )
    def all_views(
        self,
        view_type: str | None = "runs",
        view_name: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ViewConnection:
        return ViewConnection(edges=[], page_info=PageInfo(end_cursor=after, has_next_page=False))

    async def _runs(
        self,
        info: Info,
        filters: JSONString | None = None,
        order: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RunConnection:
        page = await run_reads.project_runs(
            info.context.reads, self.rec, filters, order, first, after
        )
        return run_connection(page)

    runs = strawberry.field(resolver=_runs)

    buckets = strawberry.field(resolver=_runs, description="`runs`, by its legacy name.")

    @strawberry.field
    async def run_count(self, info: Info, filters: JSONString | None = None) -> int:
        return await run_reads.project_run_count(info.context.reads, self.rec, filters)

    @strawberry.field
    async def sweep(self, info: Info, sweep_name: str) -> Sweep | None:
        found = await sweep_reads.project_sweep(info.context.reads, self.rec, sweep_name)
        return Sweep(rec=found) if found else None

    @strawberry.field
    async def sweeps(
        self,
        info: Info,
        filters: JSONString | None = None,
        order: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> SweepConnection:
        page = await sweep_reads.project_sweeps(
            info.context.reads, self.rec, filters, order, first, after
        )
        return sweep_connection(page)

    @strawberry.field
    async def total_sweeps(self, info: Info) -> int:
        return await sweep_reads.project_sweep_count(info.context.reads, self.rec)

    @strawberry.field
    async def artifact_types(
        self,
        info: Info,
        include_all: bool | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ArtifactTypeConnection:
        page = await artifact_reads.project_artifact_types(
            info.context.reads, self.rec, include_all, first, after
        )
        return artifact_type_connection(page)

    @strawberry.field
    async def artifact_type(self, info: Info, name: str | None = None) -> ArtifactType | None:
        found = await artifact_reads.project_artifact_type(info.context.reads, self.rec, name)
        return ArtifactType(rec=found) if found else None

    @strawberry.field
    async def artifact(
        self, info: Info, name: str | None = None, enable_tracking: bool | None = None
    ) -> Artifact | None:
        found = await artifact_reads.project_artifact(info.context.reads, self.rec, name)
        return Artifact(rec=found) if found else None

    @strawberry.field
    async def artifact_collection(
        self, info: Info, name: str | None = None
    ) -> ArtifactCollection | None:
        found = await artifact_reads.project_collection(info.context.reads, self.rec, name)
        return collection_node(found) if found else None

    @strawberry.field
    async def artifact_collections(
        self,
        info: Info,
        filters: JSONString | None = None,
        order: str | None = None,
        first: int | None = None,
        after: str | None = None,
        collection_types: list[ArtifactCollectionType] | None = None,
    ) -> ArtifactCollectionConnection:
        page = await collection_reads.collections_page(
            info.context.reads,
            [self.rec.id],
            collection_kinds(collection_types),
            filters,
            order,
            first,
            after,
        )
        return collection_connection(page)

    @strawberry.field
    async def artifact_collection_membership(
        self, info: Info, name: str | None = None
    ) -> ArtifactCollectionMembership | None:
        found = await artifact_reads.project_membership(info.context.reads, self.rec, name)
        return ArtifactCollectionMembership(rec=found) if found else None

    @strawberry.field
    async def triggers(self, info: Info) -> list[_Trigger]:
        found = await automation_reads.project_triggers(info.context.reads, self.rec)
        return [lazy_type(_Trigger)(rec=t) for t in found]

    @strawberry.field
    async def members(self, info: Info) -> list[ProjectMember]:
        members = await project_reads.user_members(info.context.reads, self.rec)
        return [ProjectMember(user=user, role=Role(name=role)) for user, role in members]

    @strawberry.field
    async def team_members(self, info: Info) -> list[ProjectTeamMember]:
        members = await project_reads.team_members(info.context.reads, self.rec)
        return [ProjectTeamMember(team_rec=team, role=Role(name=role)) for team, role in members]


@strawberry.type
class ProjectConnection(CountedConnection[Project]):
    @classmethod
    def of_projects(cls, page: Paged[ProjectRec]) -> "ProjectConnection":
        return cls.from_page(page, lambda p: Project(rec=p))
