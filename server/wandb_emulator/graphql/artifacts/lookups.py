"""Lookups of one artifact type, collection, version or membership by name, and the small
listings of a project or a collection (types, aliases, memberships). Records only."""

from ...domain.versions import membership_for_version
from ...records import (
    COLLECTION_KINDS,
    AliasRec,
    ArtifactRec,
    ArtifactTypeRec,
    CollectionRec,
    MembershipRec,
    ProjectRec,
)
from ...store import artifacts, projects
from ..context import Info
from ..pagination import Page, paginate


def split_version(name: str) -> tuple[str, str]:
    """`coll:v3` -> ("coll", "v3"); a bare name means its latest version."""
    collection, sep, version = name.rpartition(":")
    return (collection, version) if sep else (name, artifacts.LATEST)


# -------------------------------------------------------- project fields


async def project_artifact_types(
    info: Info,
    project: ProjectRec,
    include_all: bool | None,
    first: int | None,
    after: str | None,
) -> Page[ArtifactTypeRec]:
    """Types in use by the project's collections; `includeAll` adds the saved (allowed) ones."""
    async with info.context.db.read() as conn:
        types = await projects.artifact_types_of(conn, project.id)
        if not include_all:
            used = {
                c.type_id
                for c in await artifacts.collections_of_projects(
                    conn, [project.id], COLLECTION_KINDS
                )
            }
            types = [t for t in types if t.id in used]
    return paginate(types, first, after, info.context.config.max_page_size)


async def project_artifact_type(
    info: Info, project: ProjectRec, name: str | None
) -> ArtifactTypeRec | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        return await artifacts.artifact_type_by_name(conn, project.id, name)


async def project_artifact_collection(
    info: Info, project: ProjectRec, name: str | None
) -> CollectionRec | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        return await artifacts.collection_by_name(conn, project.id, name)


async def project_membership(
    info: Info, project: ProjectRec, name: str | None
) -> MembershipRec | None:
    """`collection:vN|alias|digest` in the project."""
    if not name:
        return None
    collection_name, version = split_version(name)
    async with info.context.db.read() as conn:
        collection = await artifacts.collection_by_name(conn, project.id, collection_name)
        return await membership_for_version(conn, collection, version) if collection else None


async def project_artifact(info: Info, project: ProjectRec, name: str | None) -> ArtifactRec | None:
    membership = await project_membership(info, project, name)
    if membership is None:
        return None
    return await info.context.loaders.artifact.load(membership.artifact_id)


# ---------------------------------------------------- artifact type fields


async def artifact_of_type(
    info: Info, artifact_type: ArtifactTypeRec, name: str | None
) -> ArtifactRec | None:
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
    return await info.context.loaders.artifact.load(found.artifact_id) if found else None


async def collection_of_type(
    info: Info, artifact_type: ArtifactTypeRec, name: str | None
) -> CollectionRec | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        found = await artifacts.collection_by_name(conn, artifact_type.project_id, name)
    return found if found and found.type_id == artifact_type.id else None


# ------------------------------------------------------- collection fields


async def aliases_of_collection(
    info: Info, collection: CollectionRec, first: int | None, after: str | None
) -> Page[AliasRec]:
    async with info.context.db.read() as conn:
        found = await artifacts.aliases_of_collection(conn, collection.id)
    return paginate(found, first, after, info.context.config.max_page_size)


async def membership_of_collection(
    info: Info, collection: CollectionRec, alias_name: str | None
) -> MembershipRec | None:
    async with info.context.db.read() as conn:
        return await membership_for_version(conn, collection, alias_name or artifacts.LATEST)


async def latest_of_collection(info: Info, collection: CollectionRec) -> ArtifactRec | None:
    async with info.context.db.read() as conn:
        found = await artifacts.membership_by_alias(conn, collection.id, artifacts.LATEST)
    return await info.context.loaders.artifact.load(found.artifact_id) if found else None


async def memberships_of_artifact(
    info: Info, artifact: ArtifactRec, first: int | None, after: str | None
) -> Page[MembershipRec]:
    async with info.context.db.read() as conn:
        found = await artifacts.memberships_of_artifact(conn, artifact.id)
    return paginate(found, first, after, info.context.config.max_page_size)
