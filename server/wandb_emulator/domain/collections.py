"""Artifact collections (sequences of logged versions, portfolios of linked ones):
rename and describe, move to another type, delete, tag.

Events: `CollectionTagAdded`/`CollectionTagRemoved` for tags that changed; deleting a
sequence announces the aliases its versions lose in the portfolios they were linked into.
"""

from __future__ import annotations

from ..naming import check_artifact_type_name, check_name
from ..records import CollectionKind, CollectionRec, TagRec, UserRec
from ..store import artifacts
from .aliases import AliasChanges, TagSpec
from .artifact_access import collection_for_write
from .artifacts import collection_at
from .events import CollectionTagAdded, CollectionTagRemoved
from .unit import Tx


async def _reloaded(tx: Tx, collection_id: int) -> CollectionRec:
    collection = await artifacts.collection_by_id(tx.conn, collection_id)
    assert collection is not None
    return collection


async def update_collection(
    tx: Tx,
    actor: UserRec,
    collection_id: str,
    kind: CollectionKind,
    *,
    name: str | None,
    description: str | None,
) -> CollectionRec:
    """Rename and/or describe a collection of `kind` (names are unique in a project)."""
    collection = await collection_for_write(tx.conn, actor, collection_id, kind)
    await artifacts.update_collection(
        tx.conn,
        collection,
        name=check_name("collection", name) if name else None,
        description=description,
    )
    return await _reloaded(tx, collection.id)


async def move_collection_type(
    tx: Tx, actor: UserRec, collection_id: str, type_name: str
) -> CollectionRec:
    """Give a sequence (and its versions) another artifact type."""
    type_name = check_artifact_type_name(type_name)
    collection = await collection_for_write(tx.conn, actor, collection_id, "SEQUENCE")
    artifact_type = await artifacts.ensure_artifact_type(tx.conn, collection.project_id, type_name)
    await artifacts.move_collection_type(tx.conn, collection, artifact_type.id)
    return await _reloaded(tx, collection.id)


async def _portfolios_of_sequence(tx: Tx, sequence: CollectionRec) -> list[CollectionRec]:
    """The other collections that versions of the sequence are linked into."""
    versions = await artifacts.memberships_of_collections(tx.conn, [sequence.id])
    ids = {
        m.collection_id
        for version in versions
        for m in await artifacts.memberships_of_artifact(tx.conn, version.artifact_id)
        if m.collection_id != sequence.id
    }
    return list((await artifacts.collections_by_ids(tx.conn, sorted(ids))).values())


async def delete_collection(
    tx: Tx, actor: UserRec, collection_id: str, kind: CollectionKind
) -> CollectionRec:
    """Delete a collection; a sequence's versions are deleted and leave every portfolio.
    Returns the collection as it was."""
    collection = await collection_for_write(tx.conn, actor, collection_id, kind)
    affected = await _portfolios_of_sequence(tx, collection) if kind == "SEQUENCE" else []
    async with AliasChanges(tx, actor, affected):
        await artifacts.delete_collection(tx.conn, collection)
    return collection


async def tag_collection(
    tx: Tx,
    actor: UserRec,
    entity_name: str,
    project_name: str,
    collection_name: str,
    tags: list[TagSpec],
) -> list[TagRec]:
    """Add tags to the collection; returns every requested tag."""
    collection = await collection_at(tx.conn, actor, entity_name, project_name, collection_name)
    added = []
    for name, category in tags:
        tag = await artifacts.ensure_tag(tx.conn, check_name("tag", name), category)
        if await artifacts.tag_collection(tx.conn, collection.id, tag):
            tx.emit(_tag_event(CollectionTagAdded, actor, collection, name))
        added.append(tag)
    return added


async def untag_collection(
    tx: Tx,
    actor: UserRec,
    entity_name: str,
    project_name: str,
    collection_name: str,
    names: list[str],
) -> None:
    collection = await collection_at(tx.conn, actor, entity_name, project_name, collection_name)
    for name in names:
        if await artifacts.untag_collection(tx.conn, collection.id, name):
            tx.emit(_tag_event(CollectionTagRemoved, actor, collection, name))


def _tag_event(
    event_type: type[CollectionTagAdded] | type[CollectionTagRemoved],
    actor: UserRec,
    collection: CollectionRec,
    tag: str,
) -> CollectionTagAdded | CollectionTagRemoved:
    return event_type(
        actor_id=actor.id, collection_id=collection.id, project_id=collection.project_id, tag=tag
    )
