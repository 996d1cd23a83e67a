"""The reader's result cache: repeated reads hit it, every COMMIT empties it, and a read
that overlaps a commit is not kept."""

from __future__ import annotations

import asyncio
from pathlib import Path

from wandb_emulator.store.database import Database, ResultCache


async def _reads_around_writes(tmp_path: Path) -> list[object]:
    db = Database(tmp_path / "cache.sqlite3")
    await db.open()
    try:
        async with db.write() as conn:
            await conn.run("CREATE TABLE probe (v INTEGER)")
            await conn.run("INSERT INTO probe VALUES (1)")
        seen: list[object] = []
        async with db.read() as conn:
            for _ in range(2):
                row = await conn.row("SELECT v FROM probe")
                seen.append(row[0] if row else None)
            seen.append(db.rows_read)
        async with db.write() as conn:
            await conn.run("UPDATE probe SET v = 2")
        async with db.read() as conn:
            row = await conn.row("SELECT v FROM probe")
            seen.append(row[0] if row else None)
        return seen
    finally:
        await db.close()


def test_reads_between_commits_are_cached_and_commits_invalidate(tmp_path: Path) -> None:
    first, again, rows_read, after_update = asyncio.run(_reads_around_writes(tmp_path))
    assert (first, again, after_update) == (1, 1, 2)
    assert rows_read == 2  # cache hits count as rows the store read


def test_a_read_overlapping_a_commit_is_not_kept() -> None:
    cache = ResultCache()
    key = ("SELECT 1", (), None)

    async def load_while_a_commit_lands() -> list:
        cache.invalidate()
        return ["stale"]

    async def load_fresh() -> list:
        return ["fresh"]

    async def run() -> tuple:
        return (await cache.get(key, load_while_a_commit_lands), await cache.get(key, load_fresh))

    assert asyncio.run(run()) == (("stale",), ("fresh",))
