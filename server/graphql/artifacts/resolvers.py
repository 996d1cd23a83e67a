"""Entity-level listings of registry collections and versions."""

from __future__ import annotations

from typing import Any

from ...filters import parse_filter
from ...store import projects
from ..context import Info
from ..pagination import paginate
from ..scalars import JSONString
from .types import (
    ArtifactCollectionConnection,
    ArtifactCollectionMembershipConnection,
    ArtifactCollectionType,
    ArtifactType,
    ArtifactTypeConnection,
    ArtifactTypeEdge,
)


async def project_artifact_types(
    root: Any,
    info: Info,
    include_all: bool | None = None,
    first: int | None = None,
    after: str | None = None,
) -> ArtifactTypeConnection:
    """A project's artifact types; a registry lists the types it saved as allowed."""
    async with info.context.db.read() as conn:
        types = await projects.artifact_types_of(conn, root.rec.id)
    page = paginate(types, first, after, info.context.config.max_page_size)
    return ArtifactTypeConnection(
        edges=[ArtifactTypeEdge(node=ArtifactType(rec=t), cursor=c) for c, t in page.items],
        page_info=page.page_info,
    )


async def entity_artifact_collections(
    root: Any,
    info: Info,
    project_filters: JSONString | None = None,
    filters: JSONString | None = None,
    collection_types: list[ArtifactCollectionType] | None = None,
    order: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> ArtifactCollectionConnection:
    parse_filter(project_filters)
    parse_filter(filters)
    page = paginate([], first, after, info.context.config.max_page_size)
    return ArtifactCollectionConnection(total_count=0, page_info=page.page_info, edges=[])


async def entity_artifact_memberships(
    root: Any,
    info: Info,
    project_filters: JSONString | None = None,
    collection_filters: JSONString | None = None,
    filters: JSONString | None = None,
    order: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> ArtifactCollectionMembershipConnection:
    for raw in (project_filters, collection_filters, filters):
        parse_filter(raw)
    page = paginate([], first, after, info.context.config.max_page_size)
    return ArtifactCollectionMembershipConnection(total_count=0, page_info=page.page_info, edges=[])
