"""Collections and versions listed with filters and orders: the filter documents, the
listings of a project or an artifact type, and the organization-wide registry search
(collections and versions across registries, only in the registries the viewer may
see). Pages of records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ...ids import encode_id
from ...records import (
    COLLECTION_KINDS,
    ArtifactRec,
    CollectionKind,
    CollectionRec,
    EntityRec,
    MembershipRec,
    ProjectRec,
)
from ...store import artifacts, projects
from ...store.database import Conn
from ...store.listing import Where
from ..versions import VersionDetails, version_details
from .paging import ListedPage, list_page, selection
from .projects import project_documents, visible_projects
from .session import ReadSession

# ------------------------------------------------------------ collections


def collection_document(rec: CollectionRec, tags: list[str], type_name: str) -> dict[str, Any]:
    """The fields a collection filter can test."""
    return {
        "id": [rec.id, encode_id("ArtifactCollection", rec.id)],
        "artifact_collection_id": rec.id,
        "collection_id": rec.id,
        "name": rec.name,
        "collection_name": rec.name,
        "artifact_collection_name": rec.name,
        "description": rec.description,
        "tag": tags,
        "tags": tags,
        "type": type_name,
        "created_at": rec.created_at,
        "createdAt": rec.created_at,
        "updated_at": rec.updated_at,
        "updatedAt": rec.updated_at,
    }


async def collection_documents(conn: Conn, found: list[CollectionRec]) -> list[dict[str, Any]]:
    tags = await artifacts.tags_of_collections(conn, [c.id for c in found])
    types = await artifacts.artifact_types_by_ids(conn, list({c.type_id for c in found}))
    return [
        collection_document(c, [t.name for t in tags.get(c.id, [])], types[c.type_id].name)
        for c in found
    ]


async def collections_page(
    reads: ReadSession,
    project_ids: list[int] | Where,
    kinds: list[CollectionKind] | None,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
    type_id: int | None = None,
) -> ListedPage[CollectionRec]:
    return await list_page(
        reads,
        artifacts.COLLECTIONS,
        artifacts.collections_where(project_ids, kinds or COLLECTION_KINDS, type_id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=collection_documents,
    )


# --------------------------------------------------------------- versions


def metadata_of(rec: ArtifactRec) -> dict[str, object]:
    try:
        parsed = json.loads(rec.metadata or "{}")
    except json.JSONDecodeError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def version_document(
    membership: MembershipRec, artifact: ArtifactRec, aliases: list[str], tags: list[str]
) -> dict[str, Any]:
    """The fields a version filter or order can use, in the basic and advanced vocabularies."""
    metadata = metadata_of(artifact)
    return {
        "id": [artifact.id, encode_id("Artifact", artifact.id)],
        "artifact_id": [artifact.id, encode_id("Artifact", artifact.id)],
        "version": [f"v{membership.version_index}", membership.version_index],
        "version_index": membership.version_index,
        "alias": aliases,
        "aliases": aliases,
        "tag": tags,
        "tags": tags,
        "metadata": metadata,
        "artifact_metadata": metadata,
        "created_at": artifact.created_at,
        "artifact_created_at": artifact.created_at,
        "updated_at": artifact.updated_at,
        "artifact_size": artifact.size,
        "acm_created_at": membership.created_at,
        "linked_at": membership.created_at,
        "membership_id": membership.id,
        "digest": artifact.digest,
        "state": artifact.state,
    }


async def version_documents(conn: Conn, found: list[MembershipRec]) -> list[dict[str, Any]]:
    return [
        version_document(v.membership, v.artifact, v.aliases, v.tags)
        for v in await version_details(conn, found)
    ]


async def versions_page(
    reads: ReadSession,
    collections: list[int],
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[MembershipRec]:
    return await list_page(
        reads,
        artifacts.MEMBERSHIPS,
        artifacts.memberships_where(collections),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=version_documents,
    )


async def versions_of_collection(
    reads: ReadSession,
    collection: CollectionRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[MembershipRec]:
    """The collection's versions (newest first unless ordered otherwise)."""
    return await versions_page(reads, [collection.id], filters, order or "-version", first, after)


# -------------------------------------------------- registry-wide search


async def _visible_projects(
    reads: ReadSession, entity_id: int, filters: str | None
) -> list[int] | Where:
    scope = await visible_projects(reads, entity_id)
    return await selection(reads, projects.PROJECTS, scope, filters, project_documents)


async def entity_artifact_collections(
    reads: ReadSession,
    entity: EntityRec,
    project_filters: str | None,
    filters: str | None,
    kinds: list[CollectionKind] | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[CollectionRec]:
    project_ids = await _visible_projects(reads, entity.id, project_filters)
    return await collections_page(reads, project_ids, kinds, filters, order, first, after)


async def entity_artifact_memberships(
    reads: ReadSession,
    entity: EntityRec,
    project_filters: str | None,
    collection_filters: str | None,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[MembershipRec]:
    project_ids = await _visible_projects(reads, entity.id, project_filters)
    collections = await selection(
        reads,
        artifacts.COLLECTIONS,
        artifacts.collections_where(project_ids, ["PORTFOLIO"]),
        collection_filters,
        collection_documents,
        as_list=True,
    )
    assert isinstance(collections, list)
    return await versions_page(reads, collections, filters, order, first, after)


# ------------------------------------------------------------ summaries


@dataclass(frozen=True)
class CollectionSummary:
    """A collection as tables list it: its type's name, tags and number of versions."""

    rec: CollectionRec
    type_name: str
    tags: list[str]
    version_count: int


async def collection_summaries(
    reads: ReadSession, project: ProjectRec, kinds: list[CollectionKind]
) -> list[CollectionSummary]:
    """The project's collections of these kinds, each with its summary (batched reads)."""
    async with reads.db.read() as conn:
        found = await artifacts.collections_of_projects(conn, [project.id], kinds)
        ids = [c.id for c in found]
        types = await artifacts.artifact_types_by_ids(conn, list({c.type_id for c in found}))
        tags = await artifacts.tags_of_collections(conn, ids)
        counts = await artifacts.version_counts(conn, ids)
    return [
        CollectionSummary(
            rec=c,
            type_name=types[c.type_id].name,
            tags=[t.name for t in tags.get(c.id, [])],
            version_count=counts[c.id],
        )
        for c in found
    ]


async def collection_counts(
    reads: ReadSession, project_ids: list[int], kinds: list[CollectionKind]
) -> dict[int, int]:
    """The number of collections of these kinds in each project."""
    async with reads.db.read() as conn:
        found = await artifacts.collections_of_projects(conn, project_ids, kinds)
    counts: dict[int, int] = {}
    for collection in found:
        counts[collection.project_id] = counts.get(collection.project_id, 0) + 1
    return counts


async def versions(reads: ReadSession, found: list[MembershipRec]) -> list[VersionDetails]:
    """Details of the versions of a page: artifact, aliases in its collection, tags."""
    async with reads.db.read() as conn:
        return await version_details(conn, found)
