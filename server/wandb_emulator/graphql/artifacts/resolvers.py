"""Lookups and listings of artifacts: by project, by type, by collection, and the
organization-wide registry search (collections and versions across registries)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

import strawberry

from ... import auth
from ...domain.artifacts import storage_path
from ...ids import encode_id
from ...store import artifacts, projects, runs
from ...store.database import Conn
from ...store.listing import Where
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
from ..listing import ListedPage, list_page, selection
from ..pagination import known_count, paginate
from ..project_scope import project_documents, visible_projects
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
_KINDS = ("SEQUENCE", "PORTFOLIO")


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
    kinds: list[str] | None,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
    type_id: int | None = None,
) -> ArtifactCollectionConnection:
    page = await list_page(
        info,
        artifacts.COLLECTIONS,
        artifacts.collections_where(project_ids, kinds or _KINDS, type_id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=collection_documents,
    )
    return ArtifactCollectionConnection(
        counter=page.counter,
        page_info=page.page_info,
        edges=[
            ArtifactCollectionEdge(node=collection_node(c), cursor=cur) for cur, c in page.items
        ],
    )


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


async def version_documents(conn: Conn, found: list[MembershipRec]) -> list[dict[str, Any]]:
    artifact_ids = [m.artifact_id for m in found]
    by_id = await artifacts.artifacts_by_ids(conn, artifact_ids)
    aliases = await artifacts.aliases_of_artifacts(conn, artifact_ids)
    tags = await artifacts.tags_of_artifacts(conn, artifact_ids)
    return [
        version_document(
            m,
            by_id[m.artifact_id],
            [a.alias for a in aliases.get(m.artifact_id, []) if a.collection_id == m.collection_id],
            [t.name for t in tags.get(m.artifact_id, [])],
        )
        for m in found
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
) -> VersionedArtifactConnection:
    page = await versions_page(info, [collection.id], filters, order or "-version", first, after)
    found = await info.context.loaders.artifact.load_many([m.artifact_id for _, m in page.items])
    return VersionedArtifactConnection(
        counter=page.counter,
        page_info=page.page_info,
        edges=[
            VersionedArtifactEdge(node=Artifact(rec=a), version=f"v{m.version_index}", cursor=c)
            for (c, m), a in zip(page.items, found, strict=True)
            if a is not None
        ],
    )


def membership_connection(
    info: Info, memberships: list[MembershipRec], first: int | None, after: str | None
) -> ArtifactCollectionMembershipConnection:
    page = paginate(memberships, first, after, info.context.config.max_page_size)
    return ArtifactCollectionMembershipConnection(
        counter=known_count(page.total_count),
        page_info=page.page_info,
        edges=[
            ArtifactCollectionMembershipEdge(node=ArtifactCollectionMembership(rec=m), cursor=c)
            for c, m in page.items
        ],
    )


def listed_membership_connection(
    page: ListedPage[MembershipRec],
) -> ArtifactCollectionMembershipConnection:
    return ArtifactCollectionMembershipConnection(
        counter=page.counter,
        page_info=page.page_info,
        edges=[
            ArtifactCollectionMembershipEdge(node=ArtifactCollectionMembership(rec=m), cursor=c)
            for c, m in page.items
        ],
    )


# -------------------------------------------------- registry-wide search


async def _visible_projects(info: Info, entity_id: int, filters: str | None) -> list[int] | Where:
    scope = await visible_projects(info, entity_id)
    return await selection(info, projects.PROJECTS, scope, filters, project_documents)


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
    collections = await selection(
        info,
        artifacts.COLLECTIONS,
        artifacts.collections_where(project_ids, ["PORTFOLIO"]),
        collection_filters,
        collection_documents,
        as_list=True,
    )
    assert isinstance(collections, list)
    page = await versions_page(info, collections, filters, order, first, after)
    return listed_membership_connection(page)


def entity_xxhash_digests_enabled(root: Any) -> bool:
    """Artifacts are digested with MD5 here; wandb-core asks before hashing."""
    return False


# -------------------------------------------------------- files, manifest


def artifact_file_node(info: Info, artifact: ArtifactRec, rec: ArtifactFileRec) -> File:
    path = storage_path(artifact, rec.blob_key) if rec.blob_key else None
    url = info.context.urls.blob(rec.blob_key, path) if rec.blob_key and path else (rec.ref or "")
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
        edges=[
            FileEdge(node=artifact_file_node(info, artifact, f), cursor=c) for c, f in page.items
        ],
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
        counter=known_count(page.total_count),
    )
