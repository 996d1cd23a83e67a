"""Artifact-side types that registry queries select.

Registries hold collections (portfolios) of artifact versions (memberships). Until
artifacts can be logged, these connections are valid and empty.
"""

from __future__ import annotations

from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry

from ...ids import encode_id
from ...store.records import ArtifactTypeRec
from ..pagination import PageInfo
from ..scalars import DateTime, Int64, JSONString

if TYPE_CHECKING:
    from ..registries.types import Project

_Project = Annotated["Project", strawberry.lazy("server.graphql.registries.types")]


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


@strawberry.type
class Tag:
    id: strawberry.ID
    name: str
    tag_category_name: str | None = None
    attributes: JSONString | None = None


@strawberry.type
class TagEdge:
    node: Tag


@strawberry.type
class TagConnection:
    edges: list[TagEdge]


@strawberry.type
class ArtifactType:
    rec: strawberry.Private[ArtifactTypeRec]

    @strawberry.field
    def id(self) -> strawberry.ID:
        return strawberry.ID(encode_id("ArtifactType", self.rec.id))

    @strawberry.field
    def name(self) -> str:
        return self.rec.name

    @strawberry.field
    def description(self) -> str | None:
        return self.rec.description

    @strawberry.field
    def created_at(self) -> DateTime:
        return DateTime(self.rec.created_at)


@strawberry.type
class ArtifactTypeEdge:
    node: ArtifactType | None
    cursor: str


@strawberry.type
class ArtifactTypeConnection:
    edges: list[ArtifactTypeEdge]
    page_info: PageInfo


@strawberry.interface
class ArtifactCollection:
    id: strawberry.ID
    name: str
    description: str | None
    created_at: DateTime
    updated_at: DateTime | None
    state: ArtifactCollectionState
    project: _Project | None
    default_artifact_type: ArtifactType
    tags: TagConnection


@strawberry.type
class ArtifactPortfolio(ArtifactCollection):
    pass


@strawberry.type
class ArtifactSequence(ArtifactCollection):
    digest_algorithm: ArtifactDigestAlgorithm | None = None


@strawberry.type
class ArtifactCollectionEdge:
    node: ArtifactCollection | None
    cursor: str


@strawberry.type
class ArtifactCollectionConnection:
    total_count: int
    page_info: PageInfo
    edges: list[ArtifactCollectionEdge]


@strawberry.type
class ArtifactAlias:
    id: strawberry.ID
    alias: str
    artifact_collection: ArtifactCollection | None


@strawberry.type
class Artifact:
    id: strawberry.ID
    artifact_sequence: ArtifactSequence
    version_index: int | None
    artifact_type: ArtifactType
    description: str | None
    metadata: JSONString | None
    ttl_duration_seconds: Int64
    ttl_is_inherited: bool
    tags: list[Tag]
    history_step: Int64 | None
    state: ArtifactState
    size: Int64
    digest: str
    digest_algorithm: ArtifactDigestAlgorithm | None
    commit_hash: str | None
    file_count: Int64
    created_at: DateTime
    updated_at: DateTime | None
    aliases: list[ArtifactAlias]


@strawberry.type
class ArtifactCollectionMembership:
    id: strawberry.ID
    version_index: int | None
    created_at: DateTime
    aliases: list[ArtifactAlias]
    artifact_collection: ArtifactCollection | None
    artifact: Artifact | None


@strawberry.type
class ArtifactCollectionMembershipEdge:
    node: ArtifactCollectionMembership | None
    cursor: str


@strawberry.type
class ArtifactCollectionMembershipConnection:
    total_count: int
    page_info: PageInfo
    edges: list[ArtifactCollectionMembershipEdge]
