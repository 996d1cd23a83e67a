"""Alias and tag rules, and the events that announce alias and tag changes.

Aliases change as a side effect of many operations (a commit or a link moves `latest`,
an unlink or a deletion moves it back, a named alias moves between versions), so they
are announced by difference: `AliasChanges` snapshots the aliases of the collections an
operation touches and, when the operation succeeds, emits `AliasRemoved` for every
(collection, alias, version) that went away and then `AliasAdded` for every one that
appeared. An alias moving from v1 to v2 is therefore AliasRemoved(v1) + AliasAdded(v2);
`latest` following a new version is announced the same way; setting an alias a version
already holds announces nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from types import TracebackType
from typing import Any

from ..naming import check_name
from ..records import ArtifactRec, CollectionRec, UserRec
from ..store import artifacts
from .errors import InvalidInput
from .events import (
    AliasAdded,
    AliasRemoved,
    ArtifactTagAdded,
    ArtifactTagRemoved,
    Event,
)
from .unit import Tx

_VERSION_ALIAS = re.compile(r"^v\d+$")

TagSpec = tuple[str, str | None]  # (name, category)


def check_alias(alias: str) -> str:
    if not alias or "/" in alias or ":" in alias:
        raise InvalidInput(
            f"invalid alias {alias!r}: aliases cannot be empty or contain '/' or ':'"
        )
    if alias == artifacts.LATEST or _VERSION_ALIAS.match(alias):
        raise InvalidInput(f"the alias {alias!r} is assigned by the server")
    return alias


def check_removable_alias(alias: str) -> str:
    """Aliases a client may delete: its own and `latest` (the server moves `latest` to
    the next new version again); `vN` names stay reserved."""
    return alias if alias == artifacts.LATEST else check_alias(alias)


def user_aliases(aliases: Iterable[str]) -> list[str]:
    """Validated aliases to set; `latest` is dropped, the server moves it by itself."""
    return [check_alias(a) for a in aliases if a != artifacts.LATEST]


_AliasKey = tuple[int, str, int]  # (collection id, alias, artifact id)


class AliasChanges:
    """`async with AliasChanges(tx, actor, collections):` announces, after the block, how
    the aliases of those collections changed (nothing if the block raises)."""

    def __init__(self, tx: Tx, actor: UserRec | None, collections: Iterable[CollectionRec]):
        self.tx = tx
        self.actor_id = actor.id if actor else None
        self.collections = {c.id: c for c in collections}
        self.before: set[_AliasKey] = set()

    async def _snapshot(self) -> set[_AliasKey]:
        keys: set[_AliasKey] = set()
        for collection_id in self.collections:
            for a in await artifacts.aliases_of_collection(self.tx.conn, collection_id):
                keys.add((a.collection_id, a.alias, a.artifact_id))
        return keys

    async def __aenter__(self) -> AliasChanges:
        self.before = await self._snapshot()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if exc_type is not None:
            return
        after = await self._snapshot()
        changes = ((AliasRemoved, self.before - after), (AliasAdded, after - self.before))
        for event_type, keys in changes:
            for collection_id, alias, artifact_id in sorted(keys):
                self.tx.emit(
                    event_type(
                        actor_id=self.actor_id,
                        artifact_id=artifact_id,
                        collection_id=collection_id,
                        project_id=self.collections[collection_id].project_id,
                        alias=alias,
                    )
                )


async def set_aliases(
    tx: Tx, actor: UserRec, collection: CollectionRec, artifact_id: int, aliases: list[str]
) -> None:
    """Point each alias of the collection at the artifact, announcing what moved."""
    async with AliasChanges(tx, actor, [collection]):
        for alias in aliases:
            await artifacts.set_alias(tx.conn, collection.id, artifact_id, alias)


def emit_artifact_event(
    tx: Tx,
    event_type: Callable[..., Event],
    actor: UserRec,
    artifact_id: int,
    collection: CollectionRec,
    **fields: Any,
) -> None:
    """Announce an event about a version in a collection (and the collection's project)."""
    tx.emit(
        event_type(
            actor_id=actor.id,
            artifact_id=artifact_id,
            collection_id=collection.id,
            project_id=collection.project_id,
            **fields,
        )
    )


async def tag_artifact(
    tx: Tx, actor: UserRec, artifact: ArtifactRec, sequence: CollectionRec, tags: list[TagSpec]
) -> None:
    """Tag a version (of `sequence`), announcing the tags it did not have."""
    for name, category in tags:
        check_name("tag", name)
        tag = await artifacts.ensure_tag(tx.conn, name, category)
        if await artifacts.tag_artifact(tx.conn, artifact.id, tag):
            emit_artifact_event(tx, ArtifactTagAdded, actor, artifact.id, sequence, tag=name)


async def untag_artifact(
    tx: Tx, actor: UserRec, artifact: ArtifactRec, sequence: CollectionRec, names: list[str]
) -> None:
    """Remove tags from a version, announcing those it had."""
    for name in names:
        if await artifacts.untag_artifact(tx.conn, artifact.id, name):
            emit_artifact_event(tx, ArtifactTagRemoved, actor, artifact.id, sequence, tag=name)
