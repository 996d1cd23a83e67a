"""Collections and versions listed with filters and orders: the filter documents, the
listings of a project or an artifact type, and the organization-wide registry search
(collections and versions across registries). Pages of records."""

import json
from typing import Any

from ...domain.versions import version_details
from ...ids import encode_id
from ...records import (
    COLLECTION_KINDS,
    ArtifactRec,
    CollectionKind,
    CollectionRec,
    EntityRec,
    MembershipRec,
)
from ...store import artifacts, projects
from ...store.database import Conn
from ...store.listing import Where
from ..context import Info
from ..listing import ListedPage, list_page, selection
from ..project_scope import project_documents, visible_projects

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
    info: Info,
    project_ids: list[int] | Where,
    kinds: list[CollectionKind] | None,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
    type_id: int | None = None,
) -> ListedPage[CollectionRec]:
    return await list_page(
        info,
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
    info: Info,
    collections: list[int],
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[MembershipRec]:
    return await list_page(
        info,
        artifacts.MEMBERSHIPS,
        artifacts.memberships_where(collections),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=version_documents,
    )


async def versions_of_collection(
    info: Info,
    collection: CollectionRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[MembershipRec]:
    """The collection's versions (newest first unless ordered otherwise)."""
    return await versions_page(info, [collection.id], filters, order or "-version", first, after)


# -------------------------------------------------- registry-wide search


async def _visible_projects(info: Info, entity_id: int, filters: str | None) -> list[int] | Where:
    scope = await visible_projects(info, entity_id)
    return await selection(info, projects.PROJECTS, scope, filters, project_documents)


async def entity_artifact_collections(
    info: Info,
    entity: EntityRec,
    project_filters: str | None,
    filters: str | None,
    kinds: list[CollectionKind] | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[CollectionRec]:
    project_ids = await _visible_projects(info, entity.id, project_filters)
    return await collections_page(info, project_ids, kinds, filters, order, first, after)


async def entity_artifact_memberships(
    info: Info,
    entity: EntityRec,
    project_filters: str | None,
    collection_filters: str | None,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[MembershipRec]:
    project_ids = await _visible_projects(info, entity.id, project_filters)
    collections = await selection(
        info,
        artifacts.COLLECTIONS,
        artifacts.collections_where(project_ids, ["PORTFOLIO"]),
        collection_filters,
        collection_documents,
        as_list=True,
    )
    assert isinstance(collections, list)
    return await versions_page(info, collections, filters, order, first, after)
