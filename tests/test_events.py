"""The event bus and the unit of work: events reach subscribers after COMMIT, never on
rollback, and a failing subscriber does not fail the write."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from wandb_emulator.domain.events import AliasAdded, Event, EventBus, RunStateChanged
from wandb_emulator.domain.unit import UnitOfWork
from wandb_emulator.store.database import Database

pytestmark = pytest.mark.fast


def _alias(alias: str) -> AliasAdded:
    return AliasAdded(actor_id=1, artifact_id=1, collection_id=1, project_id=1, alias=alias)


def _run(coro):
    return asyncio.run(coro)


async def _with_uow(tmp_path: Path, body):
    db = Database(tmp_path / "events.sqlite3")
    await db.open()
    bus = EventBus()
    try:
        return await body(db, bus, UnitOfWork(db, bus))
    finally:
        await db.close()


def test_events_are_published_after_commit(tmp_path: Path) -> None:
    async def body(db, bus, uow):
        seen: list[tuple[Event, int]] = []

        async def subscriber(event: Event) -> None:
            async with db.read() as conn:
                seen.append((event, (await conn.rows("SELECT count(*) FROM probe"))[0][0]))

        bus.subscribe(subscriber)
        async with uow.write() as tx:
            await tx.conn.run("CREATE TABLE probe (x INTEGER)")
            await tx.conn.run("INSERT INTO probe VALUES (1)")
            tx.emit(RunStateChanged(actor_id=None, run_id=1, project_id=1, state="finished"))
            assert seen == []  # not before the commit
        return seen

    seen = _run(_with_uow(tmp_path, body))
    assert [type(event) for event, _ in seen] == [RunStateChanged]
    assert seen[0][1] == 1  # the subscriber saw the committed row


def test_no_events_on_rollback(tmp_path: Path) -> None:
    async def body(db, bus, uow):
        seen: list[Event] = []

        async def subscriber(event: Event) -> None:
            seen.append(event)

        bus.subscribe(subscriber)
        with pytest.raises(RuntimeError):
            async with uow.write() as tx:
                tx.emit(_alias("a"))
                raise RuntimeError("refused")
        return seen

    assert _run(_with_uow(tmp_path, body)) == []


def test_subscribers_filter_by_type_and_failures_are_contained(tmp_path: Path) -> None:
    async def body(db, bus, uow):
        aliases: list[str] = []

        async def broken(event: Event) -> None:
            raise ValueError("subscriber bug")

        async def on_alias(event: Event) -> None:
            assert isinstance(event, AliasAdded)
            aliases.append(event.alias)

        bus.subscribe(broken)
        bus.subscribe(on_alias, AliasAdded)
        async with uow.write() as tx:
            tx.emit(RunStateChanged(actor_id=None, run_id=1, project_id=1, state="running"))
            tx.emit(_alias("prod"))
        return aliases

    assert _run(_with_uow(tmp_path, body)) == ["prod"]
