"""The GraphQL loaders: records read since the last COMMIT are known at once (no await),
unknown ones are batched, a commit forgets them, and a batch overlapping a commit is not
kept."""

from __future__ import annotations

import asyncio
from inspect import isawaitable
from pathlib import Path

from wandb_emulator.domain.reads.loaders import Loader, settled, then
from wandb_emulator.store.database import Conn, Database


class Fetch:
    """A fetch function that records the id batches it was asked for."""

    def __init__(self, values: dict[int, str], on_fetch=None) -> None:
        self.values = values
        self.batches: list[list[int]] = []
        self.on_fetch = on_fetch

    async def __call__(self, conn: Conn, ids: list[int]) -> dict[int, str]:
        self.batches.append(sorted(ids))
        if self.on_fetch is not None:
            await self.on_fetch()
        return {i: self.values[i] for i in ids if i in self.values}


async def _with_db(tmp_path: Path, body):
    db = Database(tmp_path / "loaders.sqlite3")
    await db.open()
    try:
        return await body(db)
    finally:
        await db.close()


def test_known_records_resolve_without_await_until_a_commit(tmp_path: Path) -> None:
    fetch = Fetch({1: "one", 2: "two"})

    async def body(db: Database) -> list[object]:
        first = Loader(db, "probe", fetch)  # one request
        loaded = await first.load_many([1, 2, 3])
        second = Loader(db, "probe", fetch)  # the next request
        known = second.load_now(1), second.load_now(3)
        async with db.write() as conn:
            await conn.run("CREATE TABLE t (v INTEGER)")
        fetch.values[1] = "uno"
        third = Loader(db, "probe", fetch)
        after_commit = third.load_now(1)
        return [loaded, known, isawaitable(after_commit), await settled(after_commit)]

    loaded, known, awaitable, value = asyncio.run(_with_db(tmp_path, body))
    assert loaded == ["one", "two", None]
    assert known == ("one", None)  # values, not awaitables, and missing ids too
    assert (awaitable, value) == (True, "uno")
    assert fetch.batches == [[1, 2, 3], [1]]  # one batch for the page, one after the commit


def test_a_batch_overlapping_a_commit_is_not_kept(tmp_path: Path) -> None:
    async def body(db: Database) -> tuple[bool, list[list[int]]]:
        async def commit() -> None:
            async with db.write() as conn:
                await conn.run("CREATE TABLE IF NOT EXISTS t (v INTEGER)")

        fetch = Fetch({1: "one"}, on_fetch=commit)
        assert await Loader(db, "probe", fetch).load(1) == "one"
        fetch.on_fetch = None
        again = Loader(db, "probe", fetch).load_now(1)
        assert await settled(again) == "one"
        return isawaitable(again), fetch.batches

    awaitable, batches = asyncio.run(_with_db(tmp_path, body))
    assert awaitable and batches == [[1], [1]]  # the overlapping batch was read again


def test_then_wraps_values_now_and_awaitables_later() -> None:
    async def later() -> int:
        return 2

    async def run() -> tuple[object, object]:
        return then(1, str), await then(later(), str)

    assert asyncio.run(run()) == ("1", "2")
