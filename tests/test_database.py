"""The store's connections run statements on the event loop's thread, and a statement that
finds the database locked by another process waits on the worker thread instead: the
loop keeps answering reads, and the write lands once the lock is released. The writer's
reads are cached between writes, and a write empties that cache."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from wandb_emulator.store.database import Database

pytestmark = pytest.mark.fast


async def _write_while_another_process_holds_the_lock(path: Path) -> list[str]:
    db = Database(path)
    await db.open()
    other = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
    try:
        async with db.write() as conn:
            await conn.run("CREATE TABLE probe (v INTEGER)")
            await conn.run("INSERT INTO probe VALUES (1)")
        other.execute("BEGIN IMMEDIATE")
        other.execute("INSERT INTO probe VALUES (2)")
        seen: list[str] = []

        async def write() -> None:
            async with db.write() as conn:
                await conn.run("INSERT INTO probe VALUES (3)")
            seen.append("written")

        writing = asyncio.create_task(write())
        await asyncio.sleep(0.2)
        assert not writing.done()  # waiting for the lock, not failed
        async with db.read() as conn:  # the loop still answers reads meanwhile
            seen.append(f"read {[r[0] for r in await conn.rows('SELECT v FROM probe')]}")
        threading.Timer(0.1, lambda: other.execute("COMMIT")).start()
        await asyncio.wait_for(writing, 10)
        async with db.read() as conn:
            seen.append(f"read {[r[0] for r in await conn.rows('SELECT v FROM probe')]}")
        return seen
    finally:
        other.close()
        await db.close()


def test_a_write_waits_for_another_process_lock_without_blocking_reads(tmp_path: Path) -> None:
    seen = asyncio.run(_write_while_another_process_holds_the_lock(tmp_path / "db.sqlite3"))
    assert seen == ["read [1]", "written", "read [1, 2, 3]"]


async def _reads_around_writes_in_one_transaction(path: Path) -> list[object]:
    db = Database(path)
    await db.open()
    try:
        seen: list[object] = []
        async with db.write() as conn:
            await conn.run("CREATE TABLE probe (v INTEGER)")
            await conn.run("INSERT INTO probe VALUES (1)")
            for _ in range(2):  # the second read is answered from the writer's cache
                seen.append((await conn.row("SELECT v FROM probe"))[0])
            await conn.run("UPDATE probe SET v = 2")
            seen.append((await conn.row("SELECT v FROM probe"))[0])
            await conn.run_many("INSERT INTO probe VALUES (?)", [(3,)])
            seen.append([r[0] for r in await conn.rows("SELECT v FROM probe ORDER BY v")])
        return seen
    finally:
        await db.close()


def test_the_writer_reads_its_own_writes(tmp_path: Path) -> None:
    seen = asyncio.run(_reads_around_writes_in_one_transaction(tmp_path / "db.sqlite3"))
    assert seen == [1, 1, 2, [2, 3]]
