"""Entity-level listings of registry collections and versions."""

from __future__ import annotations

from typing import Any

from ...filters import parse_filter
from ..context import Info
from ..pagination import paginate
from ..scalars import JSONString
from .types import (
    ArtifactCollectionConnection,
    ArtifactCollectionMembershipConnection,
    ArtifactCollectionType,
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
