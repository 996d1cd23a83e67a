"""Artifact types, collections (sequences and portfolios), versions, memberships,
aliases, tags and manifests."""

import hashlib
from collections.abc import Sequence
from enum import Enum
from typing import TYPE_CHECKING, Annotated, Any

import strawberry

from ...blobs import Upload
from ...domain.artifacts import file_storage_path
from ...domain.reads import artifacts as artifact_reads
from ...domain.reads import collections as collection_reads
from ...domain.reads.loaders import then
from ...domain.reads.paging import Counter, Page, Paged
from ...ids import encode_id
from ...records import (
    AliasRec,
    ArtifactFileRec,
    ArtifactRec,
    ArtifactTypeRec,
    CollectionKind,
    CollectionRec,
    MembershipRec,
    ProjectRec,
    RunRec,
    TagRec,
)
from ..context import Info
from ..fields import context_field, global_id_field, record_field, source_field
from ..files.types import File, FileConnection
from ..lazy import lazy_type
from ..pagination import Edge, PagedConnection, PageInfo, edges, page_info, total_count_field
from ..runs.types import Run, RunConnection, run_connection
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

    @source_field
    def tag_category_name(self) -> str | None:
        return self.rec.category or None

    @source_field
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
    async def artifact(self, info: Info, name: str | None = None) -> "Artifact | None":
        found = await artifact_reads.artifact_of_type(info.context.reads, self.rec, name)
        return Artifact(rec=found) if found else None

    @strawberry.field
    async def artifact_collection(
        self, info: Info, name: str | None = None
    ) -> "ArtifactCollection | None":
        found = await artifact_reads.collection_of_type(info.context.reads, self.rec, name)
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
    ) -> "ArtifactCollectionConnection":
        page = await collection_reads.collections_page(
            info.context.reads,
            [self.rec.project_id],
            collection_kinds(collection_types),
            filters,
            order,
            first,
            after,
            type_id=self.rec.id,
        )
        return collection_connection(page)


@strawberry.type
class ArtifactTypeConnection(PagedConnection[ArtifactType]):
    pass


def artifact_type_connection(page: Paged[ArtifactTypeRec]) -> ArtifactTypeConnection:
    return ArtifactTypeConnection.from_page(page, lambda t: ArtifactType(rec=t))


_KINDS: dict[ArtifactCollectionType, CollectionKind] = {
    ArtifactCollectionType.SEQUENCE: "SEQUENCE",
    ArtifactCollectionType.PORTFOLIO: "PORTFOLIO",
}


def collection_kinds(types: list[ArtifactCollectionType] | None) -> list[CollectionKind] | None:
    return [_KINDS[t] for t in types] if types else None


@strawberry.type
class ArtifactAlias:
    rec: strawberry.Private[AliasRec]

    id = global_id_field("ArtifactAlias")

    alias = record_field("alias", str)

    @context_field
    def artifact_collection(self, info: Info) -> "ArtifactCollection | None":
        return load_collection(info, self.rec.collection_id)


@strawberry.type
class ArtifactAliasConnection(PagedConnection[ArtifactAlias]):
    pass


def _project(found: ProjectRec | None) -> Any:
    return None if found is None else lazy_type(_Project)(rec=found)


@strawberry.interface
class ArtifactCollection:
    rec: strawberry.Private[CollectionRec]
    deleted: strawberry.Private[bool] = False

    id = global_id_field("ArtifactCollection")

    name = record_field("name", str)

    description = record_field("description", str | None)

    created_at = record_field("created_at", DateTime)

    updated_at = record_field("updated_at", DateTime | None)

    @source_field
    def state(self) -> ArtifactCollectionState:
        return ArtifactCollectionState.DELETED if self.deleted else ArtifactCollectionState.READY

    @context_field(
        description="Null when the viewer cannot see the project (a source "
        "project outside the viewer's teams, reached through a registry link)."
    )
    def project(self, info: Info) -> _Project | None:
        return then(info.context.loaders.visible_project.load_now(self.rec.project_id), _project)

    @context_field
    def default_artifact_type(self, info: Info) -> ArtifactType:
        return then(info.context.loaders.artifact_type.load_now(self.rec.type_id), _artifact_type)

    @context_field
    def tags(self, info: Info) -> TagConnection:
        return then(info.context.loaders.collection_tags.load_now(self.rec.id), tag_connection)

    @strawberry.field
    async def aliases(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> ArtifactAliasConnection:
        page = await artifact_reads.aliases_of_collection(
            info.context.reads, self.rec, first, after
        )
        return ArtifactAliasConnection.from_page(page, lambda a: ArtifactAlias(rec=a))

    @strawberry.field
    async def artifacts(
        self,
        info: Info,
        filters: JSONString | None = None,
        order: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> "VersionedArtifactConnection":
        page = await collection_reads.versions_of_collection(
            info.context.reads, self.rec, filters, order, first, after
        )
        found = await info.context.loaders.artifact.load_many(
            [m.artifact_id for _, m in page.items]
        )
        return VersionedArtifactConnection.from_page(page, found)

    @strawberry.field
    async def artifact_membership(
        self, info: Info, alias_name: str | None = None
    ) -> "ArtifactCollectionMembership | None":
        found = await artifact_reads.membership_named(info.context.reads, self.rec, alias_name)
        return ArtifactCollectionMembership(rec=found) if found else None

    @strawberry.field
    async def artifact_memberships(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> "ArtifactCollectionMembershipConnection":
        page = await collection_reads.versions_page(
            info.context.reads, [self.rec.id], None, "version", first, after
        )
        return membership_connection(page)

    @strawberry.field
    async def latest_artifact(self, info: Info) -> "Artifact | None":
        found = await artifact_reads.latest_of_collection(info.context.reads, self.rec)
        return Artifact(rec=found) if found else None


@strawberry.type
class ArtifactSequence(ArtifactCollection):
    @source_field
    def digest_algorithm(self) -> ArtifactDigestAlgorithm:
        return ArtifactDigestAlgorithm.MANIFEST_MD5


@strawberry.type
class ArtifactPortfolio(ArtifactCollection):
    pass


def collection_node(rec: CollectionRec, *, deleted: bool = False) -> ArtifactCollection:
    kind = ArtifactSequence if rec.kind == "SEQUENCE" else ArtifactPortfolio
    return kind(rec=rec, deleted=deleted)


def load_collection(info: Info, collection_id: int) -> Any:
    """The collection node (or None), now if its record is known, else an awaitable."""
    return then(
        info.context.loaders.collection.load_now(collection_id),
        lambda rec: collection_node(rec) if rec else None,
    )


def load_artifact(info: Info, artifact_id: int) -> Any:
    """The artifact node (or None), now if its record is known, else an awaitable."""
    return then(
        info.context.loaders.artifact.load_now(artifact_id),
        lambda rec: Artifact(rec=rec) if rec else None,
    )


def _same(value: int | None) -> int | None:
    return value


def _artifact_type(rec: ArtifactTypeRec | None) -> ArtifactType:
    assert rec is not None
    return ArtifactType(rec=rec)


def _sequence(rec: CollectionRec | None) -> ArtifactSequence:
    assert rec is not None
    return ArtifactSequence(rec=rec)


@strawberry.type
class ArtifactCollectionConnection:
    counter: strawberry.Private[Counter]
    total_count = total_count_field()
    page_info: PageInfo
    edges: list[Edge[ArtifactCollection]]


def collection_connection(page: Paged[CollectionRec]) -> ArtifactCollectionConnection:
    return ArtifactCollectionConnection(
        counter=page.counter, page_info=page_info(page), edges=edges(page, collection_node)
    )


@strawberry.type
class ArtifactManifest:
    artifact: strawberry.Private[ArtifactRec]
    file: File

    @source_field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("ArtifactManifest", self.artifact.id))


def manifest_node(
    info: Info, artifact: ArtifactRec, upload: Upload | None = None
) -> ArtifactManifest:
    """The manifest's file: its download URL once stored, and where to upload it."""
    url = info.context.urls.manifest(artifact) or ""
    file = File(
        id=strawberry.ID(encode_id("ArtifactManifestFile", artifact.id)),
        name="wandb_manifest.json",
        display_name="wandb_manifest.json",
        download_url=url,
        direct_url=url,
        upload_url=upload.url if upload else None,
        upload_headers=list(upload.headers) if upload else [],
    )
    return ArtifactManifest(artifact=artifact, file=file)


def artifact_file_node(info: Info, artifact: ArtifactRec, rec: ArtifactFileRec) -> File:
    path = file_storage_path(artifact, rec)
    url = (info.context.urls.file(rec, path) if path else None) or rec.ref or ""
    return File(
        id=strawberry.ID(encode_id("ArtifactFile", rec.artifact_id) + ":" + rec.name),
        name=rec.name,
        display_name=rec.name,
        size_bytes=Int64(rec.size or 0),
        md5=rec.md5,
        digest=rec.digest or rec.md5,
        mimetype=rec.mimetype,
        download_url=url,
        direct_url=url,
        storage_path=path,
        updated_at=DateTime(rec.updated_at),
    )


def artifact_files_connection(
    info: Info, artifact: ArtifactRec, page: Page[ArtifactFileRec]
) -> FileConnection:
    return FileConnection.from_page(page, lambda f: artifact_file_node(info, artifact, f))


ArtifactCreator = Annotated[Run | User, strawberry.union("ArtifactCreator")]


@strawberry.type
class Artifact:
    rec: strawberry.Private[ArtifactRec]

    id = global_id_field("Artifact")

    @context_field
    def version_index(self, info: Info) -> int | None:
        return then(info.context.loaders.sequence_version.load_now(self.rec.id), _same)

    @context_field
    def artifact_sequence(self, info: Info) -> ArtifactSequence:
        return then(info.context.loaders.collection.load_now(self.rec.sequence_id), _sequence)

    @context_field
    def artifact_type(self, info: Info) -> ArtifactType:
        return then(info.context.loaders.artifact_type.load_now(self.rec.type_id), _artifact_type)

    description = record_field("description", str | None)

    @source_field
    def metadata(self) -> JSONString | None:
        return JSONString(self.rec.metadata or "{}")

    ttl_duration_seconds = record_field("ttl_duration_seconds", Int64)

    @source_field
    def ttl_is_inherited(self) -> bool:
        return self.rec.ttl_duration_seconds == -1

    @context_field
    def tags(self, info: Info) -> list[Tag]:
        return then(
            info.context.loaders.artifact_tags.load_now(self.rec.id),
            lambda tags: [Tag(rec=t) for t in tags],
        )

    @source_field
    def history_step(self) -> Int64 | None:
        return None if self.rec.history_step is None else Int64(self.rec.history_step)

    @source_field
    def state(self) -> ArtifactState:
        return ArtifactState(self.rec.state)

    size = record_field("size", Int64)

    digest = record_field("digest", str)

    @source_field
    def digest_algorithm(self) -> ArtifactDigestAlgorithm:
        return ArtifactDigestAlgorithm.MANIFEST_MD5

    @source_field(description="Stable per committed version; null while pending.")
    def commit_hash(self) -> str | None:
        if self.rec.state != "COMMITTED":
            return None
        seed = f"{self.rec.id}:{self.rec.digest}".encode()
        return hashlib.sha256(seed).hexdigest()[:12]

    file_count = record_field("file_count", Int64)

    created_at = record_field("created_at", DateTime)

    updated_at = record_field("updated_at", DateTime | None)

    @context_field(description="Aliases of this version in every collection it belongs to.")
    def aliases(self, info: Info) -> list[ArtifactAlias]:
        return then(
            info.context.loaders.artifact_aliases.load_now(self.rec.id),
            lambda found: [ArtifactAlias(rec=a) for a in found],
        )

    @strawberry.field
    async def artifact_memberships(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> "ArtifactCollectionMembershipConnection":
        page = await artifact_reads.memberships_of_artifact(
            info.context.reads, self.rec, first, after
        )
        return membership_connection(page)

    @strawberry.field
    async def current_manifest(self, info: Info) -> ArtifactManifest | None:
        found = await artifact_reads.manifest_of(info.context.reads, self.rec)
        return manifest_node(info, found) if found else None

    @strawberry.field
    async def files(
        self,
        info: Info,
        names: list[str | None] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> FileConnection:
        page = await artifact_reads.downloadable_files(
            info.context.reads, self.rec, names, first, after
        )
        return artifact_files_connection(info, self.rec, page)

    @strawberry.field(description="Download URLs of the files a manifest names.")
    async def files_by_manifest_entries(
        self,
        info: Info,
        storage_layout: str,
        manifest_version: str,
        entries: "list[ArtifactManifestEntryInput] | None" = None,
        storage_region: str | None = None,
    ) -> FileConnection:
        names = None if entries is None else [e.name for e in entries]
        page = await artifact_reads.downloadable_files(
            info.context.reads, self.rec, names, None, None
        )
        return artifact_files_connection(info, self.rec, page)

    @strawberry.field
    async def created_by(self, info: Info) -> ArtifactCreator | None:
        creator = await artifact_reads.creator_of(info.context.reads, self.rec)
        if creator is None:
            return None
        return Run(rec=creator) if isinstance(creator, RunRec) else User(rec=creator)

    @strawberry.field
    async def used_by(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> RunConnection:
        return run_connection(
            await artifact_reads.runs_using_page(info.context.reads, self.rec, first, after)
        )


@strawberry.type
class ArtifactConnection:
    total_count: int
    page_info: PageInfo
    edges: list[Edge[Artifact]]

    @classmethod
    def of_artifacts(cls, page: Page[ArtifactRec]) -> "ArtifactConnection":
        return cls(
            total_count=page.total_count,
            page_info=page_info(page),
            edges=edges(page, lambda a: Artifact(rec=a)),
        )


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

    @classmethod
    def of_artifacts(cls, page: Page[ArtifactRec]) -> "InputArtifactConnection":
        return cls(
            total_count=page.total_count,
            page_info=page_info(page),
            edges=[InputArtifactEdge(node=Artifact(rec=a), cursor=c) for c, a in page.items],
        )


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

    @classmethod
    def from_page(
        cls, page: Paged[MembershipRec], artifacts: Sequence[ArtifactRec | None]
    ) -> "VersionedArtifactConnection":
        """The page's memberships with their versions (`artifacts`, in the same order)."""
        return cls(
            counter=page.counter,
            page_info=page_info(page),
            edges=[
                VersionedArtifactEdge(node=Artifact(rec=a), version=f"v{m.version_index}", cursor=c)
                for (c, m), a in zip(page.items, artifacts, strict=True)
                if a is not None
            ],
        )


@strawberry.type
class ArtifactCollectionMembership:
    rec: strawberry.Private[MembershipRec]

    id = global_id_field("ArtifactCollectionMembership")

    version_index = record_field("version_index", int | None)

    created_at = record_field("created_at", DateTime)

    @context_field(description="The aliases of this version within this collection.")
    def aliases(self, info: Info) -> list[ArtifactAlias]:
        collection_id = self.rec.collection_id
        return then(
            info.context.loaders.artifact_aliases.load_now(self.rec.artifact_id),
            lambda found: [ArtifactAlias(rec=a) for a in found if a.collection_id == collection_id],
        )

    @context_field
    def artifact_collection(self, info: Info) -> ArtifactCollection | None:
        return load_collection(info, self.rec.collection_id)

    @context_field
    def artifact(self, info: Info) -> Artifact | None:
        return load_artifact(info, self.rec.artifact_id)

    @strawberry.field
    async def files(
        self,
        info: Info,
        names: list[str | None] | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> FileConnection:
        artifact = await info.context.loaders.artifact.load(self.rec.artifact_id)
        assert artifact is not None
        page = await artifact_reads.downloadable_files(
            info.context.reads, artifact, names, first, after
        )
        return artifact_files_connection(info, artifact, page)


@strawberry.type
class ArtifactCollectionMembershipConnection:
    counter: strawberry.Private[Counter]
    total_count = total_count_field()
    page_info: PageInfo
    edges: list[Edge[ArtifactCollectionMembership]]


def membership_connection(page: Paged[MembershipRec]) -> ArtifactCollectionMembershipConnection:
    return ArtifactCollectionMembershipConnection(
        counter=page.counter,
        page_info=page_info(page),
        edges=edges(page, lambda m: ArtifactCollectionMembership(rec=m)),
    )
