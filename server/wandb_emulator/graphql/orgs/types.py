from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from ...domain.reads import accounts as account_reads
from ...domain.reads import automations as automation_reads
from ...domain.reads import collections as collection_reads
from ...domain.reads import projects as project_reads
from ...domain.reads.loaders import then
from ...ids import encode_id
from ...records import EntityRec, InviteRec, OrganizationRec, TeamMemberRec
from ..artifacts.types import (
    ArtifactCollectionConnection,
    ArtifactCollectionMembershipConnection,
    ArtifactCollectionType,
    collection_connection,
    collection_kinds,
    membership_connection,
)
from ..context import Info
from ..fields import context_field, global_id_field, record_field, source_field
from ..lazy import lazy_type
from ..registries.types import Project, ProjectConnection
from ..scalars import DateTime, Int64, JSONString
from ..users.types import User

if TYPE_CHECKING:
    from ..automations.types import IntegrationConnection, Secret, TriggerConnection

# Automations come later in the import order.
_AUTOMATIONS = "wandb_emulator.graphql.automations.types"
_TriggerConnection = Annotated["TriggerConnection", strawberry.lazy(_AUTOMATIONS)]
_IntegrationConnection = Annotated["IntegrationConnection", strawberry.lazy(_AUTOMATIONS)]
_Secret = Annotated["Secret", strawberry.lazy(_AUTOMATIONS)]


@strawberry.type
class Member:
    """A member of a team, or a pending invitation to it."""

    id: str | None
    role: str | None
    pending: bool | None
    email: str | None
    username: str | None
    name: str
    photo_url: str | None = None
    account_type: str | None = "USER"
    api_key: str | None = None

    @source_field
    def admin(self) -> bool | None:
        return self.role == "admin"

    @classmethod
    def of_member(cls, rec: TeamMemberRec) -> "Member":
        user = rec.user
        return cls(
            id=encode_id("User", user.id),
            role=rec.role,
            pending=False,
            email=user.email,
            username=user.username,
            name=user.name,
            account_type=user.account_type,
        )

    @classmethod
    def of_invite(cls, invite: InviteRec) -> "Member":
        return cls(
            id=encode_id("Invite", invite.id),
            role="admin" if invite.admin else "member",
            pending=True,
            email=invite.email,
            username=invite.username,
            name=invite.username or invite.email or "",
        )


@strawberry.type
class AdvancedRegistryFeatures:
    advanced_search: bool


@strawberry.enum(description="What a feature flag's ramp is keyed by.")
class RampIDType(Enum):
    OrgName = "OrgName"
    UserName = "UserName"
    EntityName = "EntityName"


@strawberry.type
class FeatureFlag:
    ramp_key: str
    is_enabled: bool


@strawberry.type
class Organization:
    rec: strawberry.Private[OrganizationRec]

    id = global_id_field("Organization")

    name = record_field("name", str)

    created_at = record_field("created_at", DateTime)

    @context_field
    def org_entity(self, info: Info) -> "Entity | None":
        if self.rec.org_entity_id is None:
            return None
        return then(
            info.context.loaders.entity.load_now(self.rec.org_entity_id),
            lambda entity: Entity(rec=entity) if entity else None,
        )

    @source_field(description="Set only for CoreWeave organizations; never here.")
    def core_weave_organization_id(self) -> str | None:
        return None

    @strawberry.field(
        description="Feature flags ramped for the organization: W&B's gradual rollouts. "
        "Nothing is ramped here: every emulated feature is on for all (serverInfo.features)."
    )
    def feature_flags(
        self, ramp_id_type: Annotated[RampIDType, strawberry.argument(name="rampIDType")]
    ) -> list[FeatureFlag]:
        return []

    @source_field(description="Registry versions support the advanced filter/order fields.")
    def advanced_registry_features(self) -> AdvancedRegistryFeatures | None:
        return AdvancedRegistryFeatures(advanced_search=True)

    @strawberry.field
    async def triggers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order: str | None = None,
        filters: JSONString | None = None,
    ) -> _TriggerConnection:
        page = await automation_reads.org_triggers(
            info.context.reads, self.rec, first, after, order, filters
        )
        return lazy_type(_TriggerConnection).of_triggers(page)


@strawberry.type
class Entity:
    rec: strawberry.Private[EntityRec]

    id = global_id_field("Entity")

    name = record_field("name", str)

    @source_field
    def available(self) -> bool | None:
        return True

    @source_field
    def photo_url(self) -> str | None:
        return None

    @source_field
    def read_only(self) -> bool | None:
        return False

    @source_field
    def read_only_admin(self) -> bool:
        return False

    is_team = record_field("is_team", bool)

    @source_field
    def entity_type(self) -> str | None:
        return self.rec.kind.lower()

    @source_field
    def private_only(self) -> bool:
        return False

    @source_field
    def storage_bytes(self) -> Int64:
        return Int64(0)

    @source_field
    def code_saving_enabled(self) -> bool:
        return False

    @source_field
    def default_access(self) -> str:
        return "USER_READ"

    @source_field
    def is_paid(self) -> bool | None:
        return False

    @source_field
    def limits(self) -> JSONString | None:
        return JSONString("{}")

    created_at = record_field("created_at", DateTime)

    @strawberry.field
    async def members(self, info: Info) -> list[Member]:
        members, invites = await account_reads.team_members(info.context.reads, self.rec)
        return [*map(Member.of_member, members), *map(Member.of_invite, invites)]

    @strawberry.field
    async def organization(self, info: Info) -> Organization | None:
        org = await account_reads.entity_organization(info.context.reads, self.rec)
        return Organization(rec=org) if org else None

    @strawberry.field(description="The user owning this personal entity.")
    async def user(self, info: Info) -> User | None:
        user = await account_reads.owner_of(info.context.reads, self.rec)
        return User(rec=user) if user else None

    @strawberry.field
    async def project(self, info: Info, name: str | None = None) -> Project | None:
        if not name:
            return None
        found = await project_reads.visible_project(info.context.reads, self.rec.id, name)
        return Project(rec=found) if found else None

    @strawberry.field
    async def projects(
        self,
        info: Info,
        filters: JSONString | None = None,
        order: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ProjectConnection:
        page = await project_reads.projects_page(
            info.context.reads, self.rec.id, filters, order, first, after
        )
        return ProjectConnection.of_projects(page)

    @strawberry.field
    async def artifact_collections(
        self,
        info: Info,
        project_filters: JSONString | None = None,
        filters: JSONString | None = None,
        collection_types: list[ArtifactCollectionType] | None = None,
        order: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ArtifactCollectionConnection:
        page = await collection_reads.entity_artifact_collections(
            info.context.reads,
            self.rec,
            project_filters,
            filters,
            collection_kinds(collection_types),
            order,
            first,
            after,
        )
        return collection_connection(page)

    @strawberry.field
    async def artifact_memberships(
        self,
        info: Info,
        project_filters: JSONString | None = None,
        collection_filters: JSONString | None = None,
        filters: JSONString | None = None,
        order: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> ArtifactCollectionMembershipConnection:
        page = await collection_reads.entity_artifact_memberships(
            info.context.reads,
            self.rec,
            project_filters,
            collection_filters,
            filters,
            order,
            first,
            after,
        )
        return membership_connection(page)

    @source_field
    def xxhash_digests_enabled(self) -> bool:
        """Artifacts are digested with MD5 here; wandb-core asks before hashing."""
        return False

    @strawberry.field
    async def integrations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        before: str | None = None,
        last: int | None = None,
    ) -> _IntegrationConnection:
        page = await automation_reads.entity_integrations(
            info.context.reads, self.rec, first, after
        )
        return lazy_type(_IntegrationConnection).of_integrations(page)

    @strawberry.field
    async def triggers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        order: str | None = None,
        filters: JSONString | None = None,
    ) -> _TriggerConnection:
        page = await automation_reads.entity_triggers(
            info.context.reads, self.rec, first, after, order, filters
        )
        return lazy_type(_TriggerConnection).of_triggers(page)

    @strawberry.field
    async def secrets(self, info: Info) -> list[_Secret]:
        found = await automation_reads.entity_secrets(info.context.reads, self.rec)
        return [lazy_type(_Secret)(rec=s) for s in found]


@strawberry.type
class EntityEdge:
    node: Entity | None


@strawberry.type
class EntityConnection:
    edges: list[EntityEdge]

    @classmethod
    def of(cls, entities: list[EntityRec]) -> "EntityConnection":
        return cls(edges=[EntityEdge(node=Entity(rec=e)) for e in entities])
