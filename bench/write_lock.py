"""What one advisory lock per write transaction costs on PostgreSQL.

Every write transaction of the store begins with `emulator_begin_write()`: one advisory
transaction lock, the same key in every server process, so write transactions run one at
a time across processes, as SQLite's single writer runs them (store/postgres.py). The
alternative measured here takes no such lock (plain BEGIN, the generation bumped just
before COMMIT): writers overlap, and each read-then-write sequence would need its own
row lock or unique-constraint retry to stay correct.

W writers (one connection each, as each server process has one writer) run the store's
own write functions at once: a version committed into a collection (create, commit:
membership, version index, aliases, latest) and a run's file_stream lines. On their own
collections and runs (the case the lock costs most: nothing else would serialize them)
and all on one collection (where row locks serialize them anyway). Printed: transactions
per second with the lock, and without it as a ratio of that, rounds interleaved.

    python bench/write_lock.py [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import asyncpg

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "server"))

from wandb_emulator.local_postgres import LocalPostgres
from wandb_emulator.records import CollectionRec, RunRec
from wandb_emulator.store import accounts, artifacts, projects, runs
from wandb_emulator.store.database import Conn, Database
from wandb_emulator.store.postgres import Connections, PgConn, PostgresBackend

Body = Callable[[Conn, int, int], Awaitable[None]]

LOCKED = (PostgresBackend.begin, "COMMIT")
UNLOCKED = ("BEGIN", "UPDATE emulator_schema SET generation = generation + 1; COMMIT")


async def _world(url: str, writers: int) -> tuple[list[CollectionRec], list[RunRec], int]:
    """A project with a collection and a run per writer, plus one shared collection."""
    db = Database(url)
    await db.open()
    try:
        async with db.write() as conn:
            user = await accounts.create_user(conn, "bench")
            project = await projects.create_project(conn, user.entity_id, "bench")
            kind = await artifacts.ensure_artifact_type(conn, project.id, "model")
            collections = [
                await artifacts.create_collection(conn, project.id, kind.id, f"c{n}", "SEQUENCE")
                for n in range(writers + 1)
            ]
            made = [
                (await runs.upsert_run(conn, project.id, f"r{n}", {}, user.id))[0]
                for n in range(writers)
            ]
        return collections, made, user.id
    finally:
        await db.close()


def _link_body(collections: list[CollectionRec], user_id: int, shared: bool) -> Body:
    async def body(conn: Conn, writer: int, n: int) -> None:
        collection = collections[-1 if shared else writer]
        pending = await artifacts.create_artifact(
            conn,
            collection,
            digest=f"{writer}-{n}-{time.monotonic_ns()}",
            description=None,
            metadata=None,
            client_id=None,
            run_id=None,
            user_id=user_id,
            history_step=None,
            ttl_duration_seconds=None,
            aliases=[f"w{writer}-n{n}"],
        )
        await artifacts.commit_artifact(conn, pending, 1, 1)

    return body


def _lines_body(made: list[RunRec]) -> Body:
    async def body(conn: Conn, writer: int, n: int) -> None:
        run_id = made[writer].id
        await runs.write_lines(conn, run_id, "wandb-history.jsonl", n, [f'{{"step": {n}}}'])
        await runs.heartbeat(conn, run_id)

    return body


async def _round(url: str, writers: int, count: int, body: Body, mode: tuple[str, str]) -> float:
    """Transactions per second of `writers` writers running `count` transactions each."""
    raw = [await asyncpg.connect(url) for _ in range(writers)]
    conns = [PgConn(Connections([c])) for c in raw]
    begin, commit = mode

    async def writer(index: int) -> None:
        conn = conns[index]
        for n in range(count):
            await conn.run(begin)
            try:
                await body(conn, index, n)
            except BaseException:
                await conn.run("ROLLBACK")
                raise
            await conn.run(commit)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(writer(i) for i in range(writers)))
        return writers * count / (time.perf_counter() - started)
    finally:
        for c in raw:
            await c.close()


async def main(quick: bool) -> None:
    counts, rounds = (100, 2) if quick else (300, 5)
    with LocalPostgres() as cluster:
        for writers in (2, 4):
            url = cluster.create_database()
            collections, made, user_id = await _world(url, writers)
            cases = {
                "link, own collections": _link_body(collections, user_id, shared=False),
                "link, one collection": _link_body(collections, user_id, shared=True),
                "file_stream, own runs": _lines_body(made),
            }
            for name, body in cases.items():
                locked, unlocked = [], []
                for _ in range(rounds):
                    locked.append(await _round(url, writers, counts, body, LOCKED))
                    unlocked.append(await _round(url, writers, counts, body, UNLOCKED))
                lock = statistics.median(locked)
                free = statistics.median(unlocked)
                print(
                    f"{writers} writers, {name:24s} with the lock {lock:7.0f} tx/s;"
                    f" without it {free / lock:.2f}x that"
                )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true")
    asyncio.run(main(parser.parse_args().quick))
