"""Unit tests of how alias changes are announced (against a temporary SQLite database):
by difference of the collection's aliases before and after, nothing on refusal."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path

import pytest

from wandb_emulator.domain.aliases import AliasChanges
from wandb_emulator.domain.events import AliasAdded, AliasRemoved
from wandb_emulator.domain.unit import Tx
from wandb_emulator.records import CollectionRec
from wandb_emulator.store import accounts, artifacts, projects
from wandb_emulator.store.database import Database

pytestmark = pytest.mark.fast

Change = Callable[[Tx, CollectionRec, list[int]], Awaitable[None]]


async def _announced(tmp_path: Path, change: Change) -> list[tuple[str, str, int]]:
    """Two committed versions (v0, v1; `latest` on v1, `prod` on v0), then `change`;
    the alias events as (kind, alias, version index)."""
    db = Database(tmp_path / "aliases.sqlite3")
    await db.open()
    try:
        async with db.write() as conn:
            user = await accounts.create_user(conn, "someone")
            team = await accounts.create_team(conn, "team", None)
            project = await projects.create_project(conn, team.id, "p")
            kind = await artifacts.ensure_artifact_type(conn, project.id, "model")
            sequence = await artifacts.create_collection(
                conn, project.id, kind.id, "weights", "SEQUENCE"
            )
            ids = []
            for digest, aliases in (("d0", ["prod"]), ("d1", [])):
                pending = await artifacts.create_artifact(
                    conn, sequence, digest=digest, description=None, metadata=None,
                    client_id=None, run_id=None, user_id=user.id, history_step=None,
                    ttl_duration_seconds=None, aliases=aliases,
                )  # fmt: skip
                await artifacts.commit_artifact(conn, pending, size=0, file_count=0)
                ids.append(pending.id)
            tx = Tx(conn)
            await change(tx, sequence, ids)
        return [
            (type(e).__name__, e.alias, ids.index(e.artifact_id))
            for e in tx.events
            if isinstance(e, AliasAdded | AliasRemoved)
        ]
    finally:
        await db.close()


async def _move_prod(tx: Tx, sequence: CollectionRec, ids: list[int]) -> None:
    async with AliasChanges(tx, None, [sequence]):
        await artifacts.set_alias(tx.conn, sequence.id, ids[1], "prod")


async def _set_held_alias(tx: Tx, sequence: CollectionRec, ids: list[int]) -> None:
    async with AliasChanges(tx, None, [sequence]):
        await artifacts.set_alias(tx.conn, sequence.id, ids[0], "prod")


async def _delete_newest(tx: Tx, sequence: CollectionRec, ids: list[int]) -> None:
    newest = await artifacts.artifact_by_id(tx.conn, ids[1])
    assert newest is not None
    async with AliasChanges(tx, None, [sequence]):
        await artifacts.delete_artifact(tx.conn, newest)


async def _refused(tx: Tx, sequence: CollectionRec, ids: list[int]) -> None:
    with pytest.raises(ValueError):
        async with AliasChanges(tx, None, [sequence]):
            await artifacts.set_alias(tx.conn, sequence.id, ids[1], "prod")
            raise ValueError("refused")


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_move_prod, [("AliasRemoved", "prod", 0), ("AliasAdded", "prod", 1)]),
        (_set_held_alias, []),
        (_delete_newest, [("AliasRemoved", "latest", 1), ("AliasAdded", "latest", 0)]),
        (_refused, []),
    ],
    ids=["move", "already-held", "latest-moves-back", "refused"],
)
def test_alias_changes(tmp_path: Path, change: Change, expected: list) -> None:
    assert asyncio.run(_announced(tmp_path, change)) == expected
