"""Artifact types, collections (sequences and portfolios), versions, memberships,
aliases, tags and manifests."""

from __future__ import annotations

import hashlib
import json
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from ... import auth
from ...ids import encode_id
from ...store import artifacts
from ...store.records import (
    AliasRec,
    ArtifactRec,
    ArtifactTypeRec,
    CollectionRec,
    MembershipRec,
    TagRec,
)
from ..context import Info
from ..fields import global_id_field, record_field
from ..files.types import File, FileConnection
from ..pagination import Counter, PageInfo, total_count_field
from ..runs.types import Run, RunConnection
from ..scalars import DateTime, Int64, JSONString
from ..users.types import User

if TYPE_CHECKING:
    from ..registries.types import Project

_Project = Annotated["Project", strawberry.lazy("wandb_emulator.graphql.registries.types")]


@strawberry.enum
class ArtifactCollectionType(Enum):
    SEQUENCE = "SEQUENCE"
    PORTFOLIO = "PORTFOLIO"


@strawberry.enum
class ArtifactState(Enum):
    PENDING = "PENDING"
    COMMITTED = "COMMITTED"
    DELETED = "DELETED"


@strawberry.enum
class ArtifactCollectionState(Enum):
    READY = "READY"
    DELETED = "DELETED"


@strawberry.enum
class ArtifactDigestAlgorithm(Enum):
    MANIFEST_MD5 = "MANIFEST_MD5"
    MANIFEST_XXH128 = "MANIFEST_XXH128"


@strawberry.enum
class ArtifactManifestType(Enum):
    FULL = "FULL"
    INCREMENTAL = "INCREMENTAL"
    PATCH = "PATCH"


@strawberry.enum
class ArtifactStorageLayout(Enum):
    V1 = "V1"
    V2 = "V2"


@strawberry.type
class Tag:
    rec: strawberry.Private[TagRec]

    id = global_id_field("Tag")

    name = record_field("name", str)

    @strawberry.field
    def tag_category_name(self) -> str | None:
        return self.rec.category or None

    @strawberry.field
    def attributes(self) -> JSONString | None:
        return None


@strawberry.type
class TagEdge:
    node: Tag


@strawberry.type
class TagConnection:
    edges: list[TagEdge]


def tag_connection(tags: list[TagRec]) -> TagConnection:
    return TagConnection(edges=[TagEdge(node=Tag(rec=t)) for t in tags])


@strawberry.type
class ArtifactType:
    rec: strawberry.Private[ArtifactTypeRec]

    id = global_id_field("ArtifactType")

    name = record_field("name", str)

    description = record_field("description", str | None)

    created_at = record_field("created_at", DateTime)

    @strawberry.field(description="A version of a collection of this type: `name:vN|alias`.")
    async def artifact(self, info: Info, name: str | None = None) -> Artifact | None:
        from .resolvers import artifact_of_type

        return await artifact_of_type(info, self.rec, name)

    @strawberry.field
    async def artifact_collection(
        self, info: Info, name: str | None = None
    ) -> ArtifactCollection | None:
        from .resolvers import collection_of_type

        return await collection_of_type(info, self.rec, name)

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
        from .resolvers import collections_page

        kinds = [t.value for t in collection_types] if collection_types else None
        return await collections_page(
            info, [self.rec.project_id], kinds, filters, order, first, after, type_id=self.rec.id
        )


@strawberry.type
class ArtifactTypeEdge:
    node: ArtifactType | None
    cursor: str


@strawberry.type
class ArtifactTypeConnection:
    edges: list[ArtifactTypeEdge]
    page_info: PageInfo


@strawberry.type
class ArtifactAlias:
    rec: strawberry.Private[AliasRec]

    id = global_id_field("ArtifactAlias")

    alias = record_field("alias", str)

    @strawberry.field
    async def artifact_collection(self, info: Info) -> ArtifactCollection | None:
        return await load_collection(info, self.rec.collection_id)


@strawberry.type
class ArtifactAliasEdge:
    node: ArtifactAlias | None
    cursor: str


@strawberry.type
class ArtifactAliasConnection:
    edges: list[ArtifactAliasEdge]
    page_info: PageInfo


@strawberry.interface
class ArtifactCollection:
    rec: strawberry.Private[CollectionRec]
    deleted: strawberry.Private[bool] = False

    id = global_id_field("ArtifactCollection")

    name = record_field("name", str)

    description = record_field("description", str | None)

    created_at = record_field("created_at", DateTime)

    updated_at = record_field("updated_at", DateTime | None)

    @strawberry.field
    def state(self) -> ArtifactCollectionState:
        return ArtifactCollectionState.DELETED if self.deleted else ArtifactCollectionState.READY

    @strawberry.field(
        description="Null when the viewer cannot see the project (a source "
        "project outside the viewer's teams, reached through a registry link)."
    )
    async def project(self, info: Info) -> _Project | None:
        from ..registries.types import Project

        project = await info.context.loaders.project.load(self.rec.project_id)
        if project is None:
            return None
        async with info.context.db.read() as conn:
            visible = await auth.can_view_project(conn, info.context.viewer, project)
        return Project(rec=project) if visible else None

    @strawberry.field
    async def default_artifact_type(self, info: Info) -> ArtifactType:
        artifact_type = await info.context.loaders.artifact_type.load(self.rec.type_id)
        assert artifact_type is not None
        return ArtifactType(rec=artifact_type)

    @strawberry.field
    async def tags(self, info: Info) -> TagConnection:
        return tag_connection(await info.context.loaders.collection_tags.load(self.rec.id))

    @strawberry.field
    async def aliases(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ArtifactAliasConnection:
        from ..pagination import paginate

        async with info.context.db.read() as conn:
            found = await artifacts.aliases_of_collection(conn, self.rec.id)
        page = paginate(found, first, after, info.context.config.max_page_size)
        return ArtifactAliasConnection(
            edges=[ArtifactAliasEdge(node=ArtifactAlias(rec=a), cursor=c) for c, a in page.items],
            page_info=page.page_info,
        )

    @strawberry.field
    async def artifacts(
        self,
        info: Info,
        filters: JSONString | None = None,
        order: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> VersionedArtifactConnection:
        from .resolvers import versions_of_collection

        return await versions_of_collection(info, self.rec, filters, order, first, after)

    @strawberry.field
    async def artifact_membership(
        self, info: Info, alias_name: str | None = None
    ) -> ArtifactCollectionMembership | None:
        from .resolvers import membership_for_version

        async with info.context.db.read() as conn:
            found = await membership_for_version(conn, self.rec, alias_name or "latest")
        return ArtifactCollectionMembership(rec=found) if found else None

    @strawberry.field
    async def artifact_memberships(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ArtifactCollectionMembershipConnection:
        from .resolvers import listed_membership_connection, versions_page

        page = await versions_page(info, [self.rec.id], None, "version", first, after)
        return listed_membership_connection(page)

    @strawberry.field
    async def latest_artifact(self, info: Info) -> Artifact | None:
        async with info.context.db.read() as conn:
            found = await artifacts.membership_by_alias(conn, self.rec.id, artifacts.LATEST)
        return await load_artifact(info, found.artifact_id) if found else None


@strawberry.type
class ArtifactSequence(ArtifactCollection):
    @strawberry.field
    def digest_algorithm(self) -> ArtifactDigestAlgorithm:
        return ArtifactDigestAlgorithm.MANIFEST_MD5


@strawberry.type
class ArtifactPortfolio(ArtifactCollection):
    pass


def collection_node(rec: CollectionRec, *, deleted: bool = False) -> ArtifactCollection:
    kind = ArtifactSequence if rec.kind == "SEQUENCE" else ArtifactPortfolio
    return kind(rec=rec, deleted=deleted)


async def load_collection(info: Info, collection_id: int) -> ArtifactCollection | None:
    rec = await info.context.loaders.collection.load(collection_id)
    return collection_node(rec) if rec else None


async def load_artifact(info: Info, artifact_id: int) -> Artifact | None:
    rec = await info.context.loaders.artifact.load(artifact_id)
    return Artifact(rec=rec) if rec else None


@strawberry.type
class ArtifactCollectionEdge:
    node: ArtifactCollection | None
    cursor: str


@strawberry.type
class ArtifactCollectionConnection:
    counter: strawberry.Private[Counter]
    total_count = total_count_field()
    page_info: PageInfo
    edges: list[ArtifactCollectionEdge]


@strawberry.type
class ArtifactManifest:
    artifact: strawberry.Private[ArtifactRec]
    file: File

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("ArtifactManifest", self.artifact.id))


ArtifactCreator = Annotated[Run | User, strawberry.union("ArtifactCreator")]


@strawberry.type
class Artifact:
    rec: strawberry.Private[ArtifactRec]

    id = global_id_field("Artifact")

    @strawberry.field
    async def version_index(self, info: Info) -> int | None:
        return await info.context.loaders.sequence_version.load(self.rec.id)

    @strawberry.field
    async def artifact_sequence(self, info: Info) -> ArtifactSequence:
        rec = await info.context.loaders.collection.load(self.rec.sequence_id)
        assert rec is not None
        return ArtifactSequence(rec=rec)

    @strawberry.field
    async def artifact_type(self, info: Info) -> ArtifactType:
        rec = await info.context.loaders.artifact_type.load(self.rec.type_id)
        assert rec is not None
        return ArtifactType(rec=rec)

    description = record_field("description", str | None)

    @strawberry.field
    def metadata(self) -> JSONString | None:
        return JSONString(self.rec.metadata or "{}")

    ttl_duration_seconds = record_field("ttl_duration_seconds", Int64)

    @strawberry.field
    def ttl_is_inherited(self) -> bool:
        return self.rec.ttl_duration_seconds == -1

    @strawberry.field
    async def tags(self, info: Info) -> list[Tag]:
        return [Tag(rec=t) for t in await info.context.loaders.artifact_tags.load(self.rec.id)]

    @strawberry.field
    def history_step(self) -> Int64 | None:
        return None if self.rec.history_step is None else Int64(self.rec.history_step)

    @strawberry.field
    def state(self) -> ArtifactState:
        return ArtifactState(self.rec.state)

    size = record_field("size", Int64)

    digest = record_field("digest", str)

    @strawberry.field
    def digest_algorithm(self) -> ArtifactDigestAlgorithm:
        return ArtifactDigestAlgorithm.MANIFEST_MD5

    @strawberry.field(description="Stable per committed version; null while pending.")
    def commit_hash(self) -> str | None:
        if self.rec.state != "COMMITTED":
            return None
        seed = f"{self.rec.id}:{self.rec.digest}".encode()
        return hashlib.sha256(seed).hexdigest()[:12]

    file_count = record_field("file_count", Int64)

    created_at = record_field("created_at", DateTime)

    updated_at = record_field("updated_at", DateTime | None)

    @strawberry.field(description="Aliases of this version in every collection it belongs to.")
    async def aliases(self, info: Info) -> list[ArtifactAlias]:
        found = await info.context.loaders.artifact_aliases.load(self.rec.id)
        return [ArtifactAlias(rec=a) for a in found]

    @strawberry.field
    async def artifact_memberships(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ArtifactCollectionMembershipConnection:
        from .resolvers import membership_connection

        async with info.context.db.read() as conn:
            found = await artifacts.memberships_of_artifact(conn, self.rec.id)
        return membership_connection(info, found, first, after)

    @strawberry.field
    async def current_manifest(self, info: Info) -> ArtifactManifest | None:
        from .resolvers import manifest_of

        return await manifest_of(info, self.rec)

    @strawberry.field
    async def files(
        self,
        info: Info,
        names: list[str | None] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> FileConnection:
        from .resolvers import files_page

        return await files_page(info, self.rec, names, first, after)

    @strawberry.field(description="Download URLs of the files a manifest names.")
    async def files_by_manifest_entries(
        self,
        info: Info,
        storage_layout: str,
        manifest_version: str,
        entries: list[ArtifactManifestEntryInput] | None = None,
        storage_region: str | None = None,
    ) -> FileConnection:
        from .resolvers import files_page

        names = None if entries is None else [e.name for e in entries]
        return await files_page(info, self.rec, names, None, None)

    @strawberry.field
    async def created_by(self, info: Info) -> ArtifactCreator | None:
        from .resolvers import creator_of

        return await creator_of(info, self.rec)

    @strawberry.field
    async def used_by(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> RunConnection:
        from .resolvers import runs_using

        return await runs_using(info, self.rec, first, after)


@strawberry.type
class ArtifactEdge:
    node: Artifact | None
    cursor: str


@strawberry.type
class ArtifactConnection:
    total_count: int
    page_info: PageInfo
    edges: list[ArtifactEdge]


@strawberry.type
class InputArtifactEdge:
    node: Artifact | None
    cursor: str


@strawberry.type
class InputArtifactConnection:
    """The versions a run used (older SDKs select it by this name)."""

    total_count: int
    page_info: PageInfo
    edges: list[InputArtifactEdge]


@strawberry.input
class ArtifactManifestEntryInput:
    name: str
    digest: str
    birth_artifact_id: strawberry.ID | None = strawberry.field(name="birthArtifactID", default=None)


@strawberry.type
class VersionedArtifactEdge:
    node: Artifact
    version: str
    cursor: str


@strawberry.type
class VersionedArtifactConnection:
    counter: strawberry.Private[Counter]
    total_count = total_count_field()
    page_info: PageInfo
    edges: list[VersionedArtifactEdge]


@strawberry.type
class ArtifactCollectionMembership:
    rec: strawberry.Private[MembershipRec]

    id = global_id_field("ArtifactCollectionMembership")

    version_index = record_field("version_index", int | None)

    created_at = record_field("created_at", DateTime)

    @strawberry.field(description="The aliases of this version within this collection.")
    async def aliases(self, info: Info) -> list[ArtifactAlias]:
        found = await info.context.loaders.artifact_aliases.load(self.rec.artifact_id)
        return [ArtifactAlias(rec=a) for a in found if a.collection_id == self.rec.collection_id]

    @strawberry.field
    async def artifact_collection(self, info: Info) -> ArtifactCollection | None:
        return await load_collection(info, self.rec.collection_id)

    @strawberry.field
    async def artifact(self, info: Info) -> Artifact | None:
        return await load_artifact(info, self.rec.artifact_id)

    @strawberry.field
    async def files(
        self,
        info: Info,
        names: list[str | None] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> FileConnection:
        from .resolvers import files_page

        artifact = await info.context.loaders.artifact.load(self.rec.artifact_id)
        assert artifact is not None
        return await files_page(info, artifact, names, first, after)


@strawberry.type
class ArtifactCollectionMembershipEdge:
    node: ArtifactCollectionMembership | None
    cursor: str


@strawberry.type
class ArtifactCollectionMembershipConnection:
    counter: strawberry.Private[Counter]
    total_count = total_count_field()
    page_info: PageInfo
    edges: list[ArtifactCollectionMembershipEdge]


def metadata_of(rec: ArtifactRec) -> dict[str, object]:
    try:
        parsed = json.loads(rec.metadata or "{}")
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}
