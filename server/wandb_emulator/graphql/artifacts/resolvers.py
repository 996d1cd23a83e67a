"""Lookups and listings of artifacts: by project, by type, by collection, and the
organization-wide registry search (collections and versions across registries)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import strawberry

from ... import auth
from ...filters import matches, parse_filter, sort_key_for
from ...ids import encode_id
from ...store import artifacts, projects, runs
from ...store.database import Conn
from ...store.records import (
    ArtifactFileRec,
    ArtifactRec,
    ArtifactTypeRec,
    CollectionRec,
    MembershipRec,
)
from ..context import Info
from ..errors import PermissionDenied
from ..files.types import File, FileConnection, FileEdge
from ..pagination import paginate
from ..registries.documents import project_document
from ..scalars import DateTime, Int64, JSONString
from .types import (
    Artifact,
    ArtifactCollection,
    ArtifactCollectionConnection,
    ArtifactCollectionEdge,
    ArtifactCollectionMembership,
    ArtifactCollectionMembershipConnection,
    ArtifactCollectionMembershipEdge,
    ArtifactCollectionType,
    ArtifactConnection,
    ArtifactEdge,
    ArtifactManifest,
    ArtifactType,
    ArtifactTypeConnection,
    ArtifactTypeEdge,
    InputArtifactConnection,
    InputArtifactEdge,
    VersionedArtifactConnection,
    VersionedArtifactEdge,
    collection_node,
    load_artifact,
    metadata_of,
)

_VERSION = re.compile(r"^v(\d+)$")
MAX_VERSION_INDEX = 2**62  # beyond any SQLite integer a collection could reach
_COLLECTION_ORDER = {
    "name": "name",
    "created_at": "created_at",
    "createdAt": "created_at",
    "updated_at": "updated_at",
    "updatedAt": "updated_at",
    "id": "id",
}
_VERSION_ORDER = {
    "membership": "membership_id",
    "artifact_created_at": "artifact_created_at",
    "created_at": "artifact_created_at",
    "createdAt": "artifact_created_at",
    "artifact_size": "artifact_size",
    "acm_created_at": "acm_created_at",
    "linked_at": "acm_created_at",
    "version": "version_index",
    "versionIndex": "version_index",
}


def split_version(name: str) -> tuple[str, str]:
    """`coll:v3` -> ("coll", "v3"); a bare name means its latest version."""
    collection, sep, version = name.rpartition(":")
    return (collection, version) if sep else (name, artifacts.LATEST)


async def membership_for_version(
    conn: Conn, collection: CollectionRec, version: str
) -> MembershipRec | None:
    """Resolve `vN`, an alias, or a digest within a collection."""
    if match := _VERSION.match(version):
        index = int(match.group(1))
        if index > MAX_VERSION_INDEX:
            return None
        return await artifacts.membership_by_version(conn, collection.id, index)
    found = await artifacts.membership_by_alias(conn, collection.id, version)
    if found is None and len(version) >= 32:
        found = await artifacts.membership_by_digest(conn, collection.id, version)
    return found


# -------------------------------------------------------- project fields


async def project_artifact_types(
    root: Any,
    info: Info,
    include_all: bool | None = None,
    first: int | None = None,
    after: str | None = None,
) -> ArtifactTypeConnection:
    """Types in use by the project's collections; `includeAll` adds the saved (allowed) ones."""
    async with info.context.db.read() as conn:
        types = await projects.artifact_types_of(conn, root.rec.id)
        if not include_all:
            used = {
                c.type_id
                for c in await artifacts.collections_of_projects(
                    conn, [root.rec.id], ("SEQUENCE", "PORTFOLIO")
                )
            }
            types = [t for t in types if t.id in used]
    page = paginate(types, first, after, info.context.config.max_page_size)
    return ArtifactTypeConnection(
        edges=[ArtifactTypeEdge(node=ArtifactType(rec=t), cursor=c) for c, t in page.items],
        page_info=page.page_info,
    )


async def project_artifact_type(
    root: Any, info: Info, name: str | None = None
) -> ArtifactType | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        found = await artifacts.artifact_type_by_name(conn, root.rec.id, name)
    return ArtifactType(rec=found) if found else None


async def project_artifact_collection(
    root: Any, info: Info, name: str | None = None
) -> ArtifactCollection | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        found = await artifacts.collection_by_name(conn, root.rec.id, name)
    return collection_node(found) if found else None


async def project_artifact_collections(
    root: Any,
    info: Info,
    filters: JSONString | None = None,
    order: str | None = None,
    first: int | None = None,
    after: str | None = None,
    collection_types: list[ArtifactCollectionType] | None = None,
) -> ArtifactCollectionConnection:
    kinds = [t.value for t in collection_types] if collection_types else None
    return await collections_page(info, [root.rec.id], kinds, filters, order, first, after)


async def project_membership(
    root: Any, info: Info, name: str | None = None
) -> ArtifactCollectionMembership | None:
    if not name:
        return None
    collection_name, version = split_version(name)
    async with info.context.db.read() as conn:
        collection = await artifacts.collection_by_name(conn, root.rec.id, collection_name)
        found = await membership_for_version(conn, collection, version) if collection else None
    return ArtifactCollectionMembership(rec=found) if found else None


async def project_artifact(
    root: Any, info: Info, name: str | None = None, enable_tracking: bool | None = None
) -> Artifact | None:
    membership = await project_membership(root, info, name)
    if membership is None:
        return None
    rec = await info.context.loaders.artifact.load(membership.rec.artifact_id)
    return Artifact(rec=rec) if rec else None


async def artifact_of_type(
    info: Info, artifact_type: ArtifactTypeRec, name: str | None
) -> Artifact | None:
    if not name:
        return None
    collection_name, version = split_version(name)
    async with info.context.db.read() as conn:
        collection = await artifacts.collection_by_name(
            conn, artifact_type.project_id, collection_name
        )
        if collection is None or collection.type_id != artifact_type.id:
            return None
        found = await membership_for_version(conn, collection, version)
    return await load_artifact(info, found.artifact_id) if found else None


async def collection_of_type(
    info: Info, artifact_type: ArtifactTypeRec, name: str | None
) -> ArtifactCollection | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        found = await artifacts.collection_by_name(conn, artifact_type.project_id, name)
    return collection_node(found) if found and found.type_id == artifact_type.id else None


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
        "updated_at": rec.updated_at,
    }


async def _filtered_collections(
    conn: Conn,
    project_ids: list[int],
    kinds: list[str] | None,
    filters: str | None,
    type_id: int | None = None,
) -> list[tuple[dict[str, Any], CollectionRec]]:
    filter_doc = parse_filter(filters)
    found = await artifacts.collections_of_projects(
        conn, project_ids, kinds or ("SEQUENCE", "PORTFOLIO"), type_id
    )
    tags = await artifacts.tags_of_collections(conn, [c.id for c in found])
    types = await artifacts.artifact_types_by_ids(conn, list({c.type_id for c in found}))
    docs = [
        (collection_document(c, [t.name for t in tags.get(c.id, [])], types[c.type_id].name), c)
        for c in found
    ]
    return [(doc, c) for doc, c in docs if matches(filter_doc, doc)]


async def collections_page(
    info: Info,
    project_ids: list[int],
    kinds: list[str] | None,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
    type_id: int | None = None,
) -> ArtifactCollectionConnection:
    key, descending = sort_key_for(order, _COLLECTION_ORDER, "id")
    async with info.context.db.read() as conn:
        selected = await _filtered_collections(conn, project_ids, kinds, filters, type_id)
    selected.sort(
        key=lambda pair: (_sortable(pair[0], key, pair[1].id), pair[1].id), reverse=descending
    )
    page = paginate([c for _, c in selected], first, after, info.context.config.max_page_size)
    return ArtifactCollectionConnection(
        total_count=page.total_count,
        page_info=page.page_info,
        edges=[
            ArtifactCollectionEdge(node=collection_node(c), cursor=cur) for cur, c in page.items
        ],
    )


def _sortable(doc: dict[str, Any], key: str, fallback: int) -> Any:
    value = fallback if key == "id" else doc.get(key)
    return "" if value is None else value


# --------------------------------------------------------------- versions


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


async def _filtered_versions(
    conn: Conn, memberships: list[MembershipRec], filters: str | None, order: str | None
) -> list[MembershipRec]:
    filter_doc = parse_filter(filters)
    key, descending = sort_key_for(order, _VERSION_ORDER, "membership")
    artifact_ids = [m.artifact_id for m in memberships]
    by_id = await artifacts.artifacts_by_ids(conn, artifact_ids)
    aliases = await artifacts.aliases_of_artifacts(conn, artifact_ids)
    tags = await artifacts.tags_of_artifacts(conn, artifact_ids)
    selected = []
    for membership in memberships:
        doc = version_document(
            membership,
            by_id[membership.artifact_id],
            [
                a.alias
                for a in aliases.get(membership.artifact_id, [])
                if a.collection_id == membership.collection_id
            ],
            [t.name for t in tags.get(membership.artifact_id, [])],
        )
        if matches(filter_doc, doc):
            selected.append((doc[key], membership))
    selected.sort(key=lambda pair: (pair[0], pair[1].id), reverse=descending)
    return [m for _, m in selected]


async def versions_of_collection(
    info: Info,
    collection: CollectionRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> VersionedArtifactConnection:
    async with info.context.db.read() as conn:
        found = await artifacts.memberships_of_collections(conn, [collection.id])
        selected = await _filtered_versions(conn, found, filters, order or "-version")
        by_id = await artifacts.artifacts_by_ids(conn, [m.artifact_id for m in selected])
    page = paginate(selected, first, after, info.context.config.max_page_size)
    return VersionedArtifactConnection(
        total_count=page.total_count,
        page_info=page.page_info,
        edges=[
            VersionedArtifactEdge(
                node=Artifact(rec=by_id[m.artifact_id]), version=f"v{m.version_index}", cursor=c
            )
            for c, m in page.items
        ],
    )


def membership_connection(
    info: Info, memberships: list[MembershipRec], first: int | None, after: str | None
) -> ArtifactCollectionMembershipConnection:
    page = paginate(memberships, first, after, info.context.config.max_page_size)
    return ArtifactCollectionMembershipConnection(
        total_count=page.total_count,
        page_info=page.page_info,
        edges=[
            ArtifactCollectionMembershipEdge(node=ArtifactCollectionMembership(rec=m), cursor=c)
            for c, m in page.items
        ],
    )


# -------------------------------------------------- registry-wide search


async def _visible_projects(info: Info, entity_id: int, project_filters: str | None) -> list[int]:
    filter_doc = parse_filter(project_filters)
    async with info.context.db.read() as conn:
        candidates = await projects.projects_of_entity(conn, entity_id)
        return [
            p.id
            for p in candidates
            if matches(filter_doc, project_document(p))
            and await auth.can_view_project(conn, info.context.viewer, p)
        ]


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
    project_ids = await _visible_projects(info, root.rec.id, project_filters)
    kinds = [t.value for t in collection_types] if collection_types else None
    return await collections_page(info, project_ids, kinds, filters, order, first, after)


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
    project_ids = await _visible_projects(info, root.rec.id, project_filters)
    async with info.context.db.read() as conn:
        collections = await _filtered_collections(
            conn, project_ids, ["PORTFOLIO"], collection_filters
        )
        memberships = await artifacts.memberships_of_collections(
            conn, [c.id for _, c in collections]
        )
        selected = await _filtered_versions(conn, memberships, filters, order)
    return membership_connection(info, selected, first, after)


def entity_xxhash_digests_enabled(root: Any) -> bool:
    """Artifacts are digested with MD5 here; wandb-core asks before hashing."""
    return False


# -------------------------------------------------------- files, manifest


def artifact_file_node(info: Info, rec: ArtifactFileRec) -> File:
    url = info.context.urls.blob(rec.blob_key, rec.name) if rec.blob_key else (rec.ref or "")
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
        storage_path=f"blobs/{rec.blob_key}" if rec.blob_key else None,
        updated_at=DateTime(rec.updated_at),
    )


async def _require_download(info: Info, artifact: ArtifactRec) -> None:
    async with info.context.db.read() as conn:
        allowed = await auth.can_download_artifact(conn, info.context.viewer, artifact)
    if not allowed:
        raise PermissionDenied("permission denied: restricted viewers cannot download files")


async def files_page(
    info: Info,
    artifact: ArtifactRec,
    names: Sequence[str | None] | None,
    first: int | None,
    after: str | None,
) -> FileConnection:
    await _require_download(info, artifact)
    wanted = None if names is None else [n for n in names if n is not None]
    async with info.context.db.read() as conn:
        found = await artifacts.files_of_artifact(conn, artifact.id, wanted)
    page = paginate(found, first, after, info.context.config.max_page_size)
    return FileConnection(
        edges=[FileEdge(node=artifact_file_node(info, f), cursor=c) for c, f in page.items],
        page_info=page.page_info,
        total_count=page.total_count,
    )


def manifest_node(info: Info, artifact: ArtifactRec, *, include_upload: bool) -> ArtifactManifest:
    url = (
        info.context.urls.blob(artifact.manifest_blob_key, "wandb_manifest.json")
        if artifact.manifest_blob_key
        else ""
    )
    upload = info.context.urls.upload(t="manifest", a=artifact.id) if include_upload else None
    file = File(
        id=strawberry.ID(encode_id("ArtifactManifestFile", artifact.id)),
        name="wandb_manifest.json",
        display_name="wandb_manifest.json",
        download_url=url,
        direct_url=url,
        upload_url=upload,
    )
    return ArtifactManifest(artifact=artifact, file=file)


async def manifest_of(info: Info, artifact: ArtifactRec) -> ArtifactManifest | None:
    if artifact.manifest_blob_key is None:
        return None
    await _require_download(info, artifact)
    return manifest_node(info, artifact, include_upload=False)


# ------------------------------------------------------------ lineage


async def run_input_artifacts(
    info: Info, run: Any, first: int | None, after: str | None
) -> InputArtifactConnection:
    """The versions a run used."""
    async with info.context.db.read() as conn:
        found = await artifacts.artifacts_used_by(conn, run.id)
    page = paginate(found, first, after, info.context.config.max_page_size)
    return InputArtifactConnection(
        total_count=page.total_count,
        page_info=page.page_info,
        edges=[InputArtifactEdge(node=Artifact(rec=a), cursor=c) for c, a in page.items],
    )


async def run_output_artifacts(
    info: Info, run: Any, first: int | None, after: str | None
) -> ArtifactConnection:
    """The versions a run logged."""
    async with info.context.db.read() as conn:
        found = await artifacts.artifacts_logged_by(conn, run.id)
    page = paginate(found, first, after, info.context.config.max_page_size)
    return ArtifactConnection(
        total_count=page.total_count,
        page_info=page.page_info,
        edges=[ArtifactEdge(node=Artifact(rec=a), cursor=c) for c, a in page.items],
    )


async def creator_of(info: Info, artifact: ArtifactRec) -> Any:
    from ..runs.types import Run
    from ..users.types import User

    async with info.context.db.read() as conn:
        if artifact.created_by_run_id is not None:
            run = await runs.run_by_id(conn, artifact.created_by_run_id)
            if run is not None:
                return Run(rec=run)
    if artifact.created_by_user_id is not None:
        user = await info.context.loaders.user.load(artifact.created_by_user_id)
        return User(rec=user) if user else None
    return None


async def runs_using(
    info: Info, artifact: ArtifactRec, first: int | None, after: str | None
) -> Any:
    from ..runs.types import Run, RunConnection, RunEdge

    async with info.context.db.read() as conn:
        found = [
            await runs.run_by_id(conn, run_id)
            for run_id in await artifacts.runs_using(conn, artifact.id)
        ]
    page = paginate([r for r in found if r], first, after, info.context.config.max_page_size)
    return RunConnection(
        edges=[RunEdge(node=Run(rec=r), cursor=c) for c, r in page.items],
        page_info=page.page_info,
        total_count=page.total_count,
    )
