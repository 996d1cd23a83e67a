"""The store's SQLite connections run statements on the event loop's thread, and a
statement that finds the database locked by another process waits on the worker thread
instead: the loop keeps answering reads, and the write lands once the lock is released.
The writer's reads are cached between writes, and a write empties that cache. The stock
path (aiosqlite's public API alone, `fast_execution=False`) gives the same answers."""

from __future__ import annotations

import asyncio
import dataclasses
import sqlite3
import threading
from pathlib import Path

import pytest

from wandb_emulator.store import accounts, artifacts, projects
from wandb_emulator.store.database import Database
from wandb_emulator.store.errors import Conflict, IntegrityError
from wandb_emulator.store.listing import Order, page
from wandb_emulator.store.sqlite import LoopConn, ThreadConn, fast_path_supported

pytestmark = pytest.mark.fast

PATHS = pytest.mark.parametrize("fast", [True, False], ids=["loop-thread", "stock"])


async def _write_while_another_process_holds_the_lock(path: Path, fast: bool) -> list[str]:
    db = Database(path, fast_execution=fast)
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


@PATHS
def test_a_write_waits_for_another_process_lock_without_blocking_reads(
    tmp_path: Path, fast: bool
) -> None:
    seen = asyncio.run(_write_while_another_process_holds_the_lock(tmp_path / "db.sqlite3", fast))
    assert seen == ["read [1]", "written", "read [1, 2, 3]"]


async def _reads_around_writes_in_one_transaction(path: Path, fast: bool) -> list[object]:
    db = Database(path, fast_execution=fast)
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


@PATHS
def test_the_writer_reads_its_own_writes(tmp_path: Path, fast: bool) -> None:
    seen = asyncio.run(_reads_around_writes_in_one_transaction(tmp_path / "db.sqlite3", fast))
    assert seen == [1, 1, 2, [2, 3]]


def _timeless(found: object) -> object:
    """Records as dicts without their timestamps (two runs may straddle a second)."""
    if isinstance(found, list):
        return [_timeless(item) for item in found]
    if dataclasses.is_dataclass(found) and not isinstance(found, type):
        values = dataclasses.asdict(found)
        return {k: v for k, v in values.items() if not k.endswith("_at")}
    return found


async def _transcript(path: Path, fast: bool) -> list[object]:
    """What the store answers to a small world's writes and reads, as plain values."""
    db = Database(path, fast_execution=fast)
    await db.open()
    seen: list[object] = []
    try:
        async with db.read() as conn:
            seen.append(type(conn).__name__)
        async with db.write() as conn:
            org = await accounts.create_organization(conn, "acme", "acme-entity")
            admin = await accounts.create_user(conn, "ada", email="ada@acme.test", api_key="k" * 40)
            await accounts.set_org_member(conn, org.id, admin.id, "admin")
            assert org.org_entity_id is not None
            registry = await projects.create_project(conn, org.org_entity_id, "wandb-registry-m")
            await projects.allow_artifact_types(conn, registry.id, ["model", "dataset"])
            kind = await artifacts.ensure_artifact_type(conn, registry.id, "model", "weights")
            for name in ("b", "a", "c"):
                await artifacts.create_collection(conn, registry.id, kind.id, name, "PORTFOLIO")
            try:
                await artifacts.create_collection(conn, registry.id, kind.id, "a", "PORTFOLIO")
            except Conflict as exc:
                seen.append(str(exc))
        async with db.read() as conn:
            seen.append(_timeless(await accounts.user_by_api_key(conn, "k" * 40)))
            seen.append(_timeless(await accounts.search_users(conn, "AD", 5)))
            allowed = await projects.artifact_types_of(conn, registry.id, allowed_only=True)
            seen.append(_timeless(allowed))
            for order in ("name", "-name"):
                rows = await page(
                    conn,
                    artifacts.COLLECTIONS,
                    artifacts.collections_where([registry.id], ["PORTFOLIO"]),
                    order=Order.parse(artifacts.COLLECTIONS, order),
                    first=2,
                    after=None,
                )
                seen.append(([r.name for _, r in rows.items], rows.has_next))
        with pytest.raises(IntegrityError):
            async with db.write() as conn:
                await conn.run(
                    "INSERT INTO users (username, name, entity_id, created_at)"
                    " VALUES ('x', 'x', 999999, '')"
                )
        seen.append(db.rows_read)
        return seen
    finally:
        await db.close()


@pytest.mark.skipif(not fast_path_supported(), reason="aiosqlite outside the tested versions")
def test_the_loop_thread_path_and_the_stock_path_agree(tmp_path: Path) -> None:
    fast = asyncio.run(_transcript(tmp_path / "fast.sqlite3", True))
    stock = asyncio.run(_transcript(tmp_path / "stock.sqlite3", False))
    assert (fast[0], stock[0]) == (LoopConn.__name__, ThreadConn.__name__)
    assert fast[1:] == stock[1:]
    assert isinstance(fast[2], dict) and fast[2]["username"] == "ada"


def test_the_fast_path_is_fenced_by_the_aiosqlite_version() -> None:
    assert fast_path_supported("0.22.1")
    assert not fast_path_supported("0.23.0")
    assert not fast_path_supported("0.19.0")
    assert not fast_path_supported("unknown")
