"""Artifact types, collections, versions and memberships: found by id or by name, the
small listings of a project or a collection (types, aliases, memberships), a version's
files and manifest, and its lineage (the runs that logged and used it).

Lookups by id check that the viewer may see what they find; the others read below a
project or collection the caller got from this API. Files and manifests are for the
viewers who may download (restricted viewers may not)."""

from __future__ import annotations

from collections.abc import Sequence

from ... import auth
from ...ids import decode_id
from ...records import (
    COLLECTION_KINDS,
    AliasRec,
    ArtifactFileRec,
    ArtifactRec,
    ArtifactTypeRec,
    CollectionRec,
    MembershipRec,
    ProjectRec,
    RunRec,
    UserRec,
)
from ...store import artifacts, projects, runs
from ..versions import membership_for_version
from .paging import Page, page_of
from .session import ReadSession

LATEST = artifacts.LATEST


def split_version(name: str) -> tuple[str, str]:
    """`coll:v3` -> ("coll", "v3"); a bare name means its latest version."""
    collection, sep, version = name.rpartition(":")
    return (collection, version) if sep else (name, LATEST)


# ------------------------------------------------------------- by id


async def visible_artifact(reads: ReadSession, global_id: str) -> ArtifactRec | None:
    """The version with this global id, if the viewer may see it (in its source project
    or in any it is linked into)."""
    async with reads.db.read() as conn:
        found = await artifacts.artifact_by_id(conn, decode_id(global_id, "Artifact"))
        if found is None or not await auth.allows(
            conn, reads.viewer, auth.Action.VIEW_ARTIFACT, found
        ):
            return None
    return found


async def visible_collection(reads: ReadSession, global_id: str) -> CollectionRec | None:
    """The collection with this global id, if the viewer may see its project."""
    found = await collection_with_project(reads, decode_id(global_id, "ArtifactCollection"))
    return None if found is None else found[0]


async def collection_with_project(
    reads: ReadSession, collection_id: int
) -> tuple[CollectionRec, ProjectRec] | None:
    """The collection and its project, if the viewer may see the project."""
    async with reads.db.read() as conn:
        collection = await artifacts.collection_by_id(conn, collection_id)
        if collection is None:
            return None
        project = await projects.project_by_id(conn, collection.project_id)
        if project is None or not await auth.allows(
            conn, reads.viewer, auth.Action.VIEW_PROJECT, project
        ):
            return None
    return collection, project


async def by_client_id(reads: ReadSession, client_id: str) -> ArtifactRec | CollectionRec | None:
    """The version, else the collection, a client created under this client-side id
    (the id is the client's own secret: whoever knows it created the thing)."""
    async with reads.db.read() as conn:
        artifact = await artifacts.artifact_by_client_id(conn, client_id)
        if artifact is not None:
            return artifact
        return await artifacts.collection_by_client_id(conn, client_id)


# -------------------------------------------------------- project fields


async def project_artifact_types(
    reads: ReadSession,
    project: ProjectRec,
    include_all: bool | None,
    first: int | None,
    after: str | None,
) -> Page[ArtifactTypeRec]:
    """Types in use by the project's collections; `includeAll` adds the saved (allowed) ones."""
    async with reads.db.read() as conn:
        types = await projects.artifact_types_of(conn, project.id)
        if not include_all:
            used = {
                c.type_id
                for c in await artifacts.collections_of_projects(
                    conn, [project.id], COLLECTION_KINDS
                )
            }
            types = [t for t in types if t.id in used]
    return page_of(reads, types, first, after)


async def project_artifact_type(
    reads: ReadSession, project: ProjectRec, name: str | None
) -> ArtifactTypeRec | None:
    if not name:
        return None
    async with reads.db.read() as conn:
        return await artifacts.artifact_type_by_name(conn, project.id, name)


async def project_collection(
    reads: ReadSession, project: ProjectRec, name: str | None
) -> CollectionRec | None:
    if not name:
        return None
    async with reads.db.read() as conn:
        return await artifacts.collection_by_name(conn, project.id, name)


async def project_membership(
    reads: ReadSession, project: ProjectRec, name: str | None
) -> MembershipRec | None:
    """`collection:vN|alias|digest` in the project."""
    if not name:
        return None
    collection_name, version = split_version(name)
    async with reads.db.read() as conn:
        collection = await artifacts.collection_by_name(conn, project.id, collection_name)
        return await membership_for_version(conn, collection, version) if collection else None


async def project_artifact(
    reads: ReadSession, project: ProjectRec, name: str | None
) -> ArtifactRec | None:
    membership = await project_membership(reads, project, name)
    if membership is None:
        return None
    return await reads.loaders.artifact.load(membership.artifact_id)


# --------------------------------------------------- artifact type fields


async def artifact_of_type(
    reads: ReadSession, artifact_type: ArtifactTypeRec, name: str | None
) -> ArtifactRec | None:
    if not name:
        return None
    collection_name, version = split_version(name)
    async with reads.db.read() as conn:
        collection = await artifacts.collection_by_name(
            conn, artifact_type.project_id, collection_name
        )
        if collection is None or collection.type_id != artifact_type.id:
            return None
        found = await membership_for_version(conn, collection, version)
    return await reads.loaders.artifact.load(found.artifact_id) if found else None


async def collection_of_type(
    reads: ReadSession, artifact_type: ArtifactTypeRec, name: str | None
) -> CollectionRec | None:
    if not name:
        return None
    async with reads.db.read() as conn:
        found = await artifacts.collection_by_name(conn, artifact_type.project_id, name)
    return found if found and found.type_id == artifact_type.id else None


async def artifact_type_name(reads: ReadSession, type_id: int) -> str:
    async with reads.db.read() as conn:
        return await artifacts.artifact_type_name(conn, type_id)


# ------------------------------------------------------ collection fields


async def collection_aliases(reads: ReadSession, collection: CollectionRec) -> list[AliasRec]:
    async with reads.db.read() as conn:
        return await artifacts.aliases_of_collection(conn, collection.id)


async def aliases_of_collection(
    reads: ReadSession, collection: CollectionRec, first: int | None, after: str | None
) -> Page[AliasRec]:
    return page_of(reads, await collection_aliases(reads, collection), first, after)


async def alias_versions(
    reads: ReadSession, collection: CollectionRec
) -> list[tuple[AliasRec, int]]:
    """The collection's aliases with the version index each names."""
    found = []
    async with reads.db.read() as conn:
        for alias in await artifacts.aliases_of_collection(conn, collection.id):
            membership = await artifacts.membership_of(conn, collection.id, alias.artifact_id)
            if membership is not None:
                found.append((alias, membership.version_index))
    return found


async def membership_named(
    reads: ReadSession, collection: CollectionRec, version: str | None
) -> MembershipRec | None:
    """The version `vN`, alias or digest of the collection (its latest when None)."""
    async with reads.db.read() as conn:
        return await membership_for_version(conn, collection, version or LATEST)


async def latest_of_collection(reads: ReadSession, collection: CollectionRec) -> ArtifactRec | None:
    async with reads.db.read() as conn:
        found = await artifacts.membership_by_alias(conn, collection.id, LATEST)
    return await reads.loaders.artifact.load(found.artifact_id) if found else None


async def collection_tag_names(reads: ReadSession, collection: CollectionRec) -> list[str]:
    async with reads.db.read() as conn:
        tags = await artifacts.tags_of_collections(conn, [collection.id])
    return [t.name for t in tags.get(collection.id, [])]


async def version_count(reads: ReadSession, collection: CollectionRec) -> int:
    async with reads.db.read() as conn:
        return (await artifacts.version_counts(conn, [collection.id]))[collection.id]


# -------------------------------------------------------- version fields


async def artifact_memberships(reads: ReadSession, artifact: ArtifactRec) -> list[MembershipRec]:
    """Every collection membership of the version: its source and its links."""
    async with reads.db.read() as conn:
        return await artifacts.memberships_of_artifact(conn, artifact.id)


async def memberships_of_artifact(
    reads: ReadSession, artifact: ArtifactRec, first: int | None, after: str | None
) -> Page[MembershipRec]:
    return page_of(reads, await artifact_memberships(reads, artifact), first, after)


async def source_version_index(reads: ReadSession, artifact: ArtifactRec) -> int | None:
    """The version's index in its source collection."""
    async with reads.db.read() as conn:
        return (await artifacts.sequence_versions(conn, [artifact.id])).get(artifact.id)


async def may_download(reads: ReadSession, artifact: ArtifactRec) -> bool:
    return await reads.allows(auth.Action.DOWNLOAD_ARTIFACT, artifact)


async def files_of(
    reads: ReadSession, artifact: ArtifactRec, names: Sequence[str] | None = None
) -> list[ArtifactFileRec]:
    """The version's files (names, sizes, digests); their bytes only through
    `downloadable_files`' download URLs."""
    async with reads.db.read() as conn:
        return await artifacts.files_of_artifact(
            conn, artifact.id, None if names is None else list(names)
        )


async def downloadable_files(
    reads: ReadSession,
    artifact: ArtifactRec,
    names: Sequence[str | None] | None,
    first: int | None,
    after: str | None,
) -> Page[ArtifactFileRec]:
    """A page of the version's files, refused to viewers who may not download them."""
    await reads.check(auth.Action.DOWNLOAD_ARTIFACT, artifact)
    wanted = None if names is None else [n for n in names if n is not None]
    return page_of(reads, await files_of(reads, artifact, wanted), first, after)


async def manifest_of(reads: ReadSession, artifact: ArtifactRec) -> ArtifactRec | None:
    """The version whose manifest may be shown, once it has one."""
    if artifact.manifest_blob_key is None:
        return None
    await reads.check(auth.Action.DOWNLOAD_ARTIFACT, artifact)
    return artifact


# ----------------------------------------------------------------- lineage


async def artifacts_used_by(reads: ReadSession, run: RunRec) -> list[ArtifactRec]:
    async with reads.db.read() as conn:
        return await artifacts.artifacts_used_by(conn, run.id)


async def artifacts_logged_by(reads: ReadSession, run: RunRec) -> list[ArtifactRec]:
    async with reads.db.read() as conn:
        return await artifacts.artifacts_logged_by(conn, run.id)


async def run_input_artifacts(
    reads: ReadSession, run: RunRec, first: int | None, after: str | None
) -> Page[ArtifactRec]:
    """The versions a run used."""
    return page_of(reads, await artifacts_used_by(reads, run), first, after)


async def run_output_artifacts(
    reads: ReadSession, run: RunRec, first: int | None, after: str | None
) -> Page[ArtifactRec]:
    """The versions a run logged."""
    return page_of(reads, await artifacts_logged_by(reads, run), first, after)


async def creator_of(reads: ReadSession, artifact: ArtifactRec) -> RunRec | UserRec | None:
    """The run that logged the version, else the user who created it."""
    if artifact.created_by_run_id is not None:
        async with reads.db.read() as conn:
            run = await runs.run_by_id(conn, artifact.created_by_run_id)
        if run is not None:
            return run
    if artifact.created_by_user_id is not None:
        return await reads.loaders.user.load(artifact.created_by_user_id)
    return None


async def runs_using(reads: ReadSession, artifact: ArtifactRec) -> list[RunRec]:
    async with reads.db.read() as conn:
        found = [
            await runs.run_by_id(conn, run_id)
            for run_id in await artifacts.runs_using(conn, artifact.id)
        ]
    return [r for r in found if r]


async def runs_using_page(
    reads: ReadSession, artifact: ArtifactRec, first: int | None, after: str | None
) -> Page[RunRec]:
    return page_of(reads, await runs_using(reads, artifact), first, after)
