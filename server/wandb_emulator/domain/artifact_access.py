"""Lookups of artifacts and collections for a user, through the permission gate.

The rules live in `auth.py`; these functions find the things artifact, collection and
link operations name and pass them through `auth.check`, which raises the errors the
SDK sees.
"""

from __future__ import annotations

from .. import auth
from ..ids import decode_id
from ..records import ArtifactRec, CollectionKind, CollectionRec, ProjectRec, UserRec
from ..store import artifacts, projects
from ..store.database import Conn
from .errors import NotFound


async def visible_artifact(conn: Conn, actor: UserRec, global_id: str) -> ArtifactRec:
    """An artifact the actor may see (in its source project or any it is linked into)."""
    artifact = await artifacts.artifact_by_id(conn, decode_id(global_id, "Artifact"))
    await auth.check(conn, actor, auth.Action.VIEW_ARTIFACT, artifact, named=repr(global_id))
    assert artifact is not None
    return artifact


async def artifact_for_write(conn: Conn, actor: UserRec, global_id: str) -> ArtifactRec:
    """An artifact the actor may change: write access to its source project."""
    artifact = await visible_artifact(conn, actor, global_id)
    sequence = await artifacts.collection_by_id(conn, artifact.sequence_id)
    assert sequence is not None
    await require_write(conn, actor, sequence.project_id)
    return artifact


async def require_write(conn: Conn, actor: UserRec, project_id: int) -> ProjectRec:
    """The project, if the actor holds at least the member role in it."""
    project = await projects.project_by_id(conn, project_id)
    await auth.check(conn, actor, auth.Action.WRITE_PROJECT, project)
    assert project is not None
    return project


async def collection_for_write(
    conn: Conn, actor: UserRec, global_id: str, kind: CollectionKind | None = None
) -> CollectionRec:
    """A collection (of `kind`, when given) the actor may change."""
    collection = await artifacts.collection_by_id(conn, decode_id(global_id, "ArtifactCollection"))
    if collection is None or (kind is not None and collection.kind != kind):
        raise NotFound(f"artifact collection {global_id!r} not found")
    await require_write(conn, actor, collection.project_id)
    return collection
