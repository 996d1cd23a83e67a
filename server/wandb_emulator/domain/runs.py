"""Runs: creation and updates (UpsertBucket), their files, and what file_stream delivers
while they live (history, summary, events, console lines) and when they end.

Events: `RunStateChanged` whenever a run's state changes (a new run announces its first
state, `running`; the end of the stream announces `finished` or `failed`), and
`RunHistoryLogged` with the history rows file_stream delivered for the first time (rows
resent at an offset already stored replace the stored ones and are not announced again).
"""

from __future__ import annotations

import asyncio
import json
import secrets
import string
from dataclasses import dataclass
from typing import Any

from .. import auth, layout
from ..blobs import BlobRef, BlobStore
from ..history import parse_rows
from ..ids import decode_id
from ..naming import check_name
from ..records import ProjectRec, RunRec, UserRec
from ..store import accounts, projects, runs
from ..store.database import Conn
from . import run_history
from .errors import InvalidInput, NotFound
from .events import RunHistoryLogged, RunStateChanged
from .projects import writable_project
from .unit import Tx, UnitOfWork

RUN_ID_ALPHABET = string.ascii_lowercase + string.digits
SUMMARY_FILE = "wandb-summary.json"
HISTORY_FILE = "wandb-history.jsonl"


def new_run_id() -> str:
    return "".join(secrets.choice(RUN_ID_ALPHABET) for _ in range(8))


def announce_state(tx: Tx, actor: UserRec, before: RunRec | None, after: RunRec) -> None:
    if before is None or before.state != after.state:
        tx.emit(
            RunStateChanged(
                actor_id=actor.id, run_id=after.id, project_id=after.project_id, state=after.state
            )
        )


async def run_to_change(conn: Conn, actor: UserRec, global_id: str) -> tuple[ProjectRec, RunRec]:
    return await run_to_change_by_pk(conn, actor, decode_id(global_id, "Run"), global_id)


async def run_to_change_by_pk(
    conn: Conn, actor: UserRec, run_pk: int, shown_as: str | None = None
) -> tuple[ProjectRec, RunRec]:
    """A run the actor may change (a member of its project); invisible ones are missing."""
    run = await runs.run_by_id(conn, run_pk)
    project = await projects.project_by_id(conn, run.project_id) if run else None
    if run is None or project is None:
        raise NotFound(f"run {shown_as or run_pk!r} not found")
    await auth.check(conn, actor, auth.Action.UPDATE_RUN, project)
    return project, run


async def upsert_run(
    tx: Tx,
    actor: UserRec,
    values: dict[str, object],
    *,
    run_id: str | None = None,
    entity_name: str | None = None,
    project_name: str | None = None,
    name: str | None = None,
) -> tuple[RunRec, bool]:
    """Update the run `run_id` (global id), or create or update the run `name` (a fresh id
    when None) of entity/project (the project created on first use). `values` maps
    `store.runs.RUN_FIELDS` keys to new values (None: unchanged). Returns the run and
    whether it was created."""
    existing: RunRec | None
    if run_id:
        project, existing = await run_to_change(tx.conn, actor, run_id)
        name = existing.name
    else:
        project = await writable_project(tx.conn, actor, entity_name, project_name, create=True)
        name = check_name("run", name or new_run_id())
        existing = await runs.run_by_name(tx.conn, project.id, name)
    run, inserted = await runs.upsert_run(tx.conn, project.id, name, values, actor.id)
    if inserted:
        run = await run_history.fork_if_asked(tx, run, values.get("config"))
    announce_state(tx, actor, existing, run)
    return run, inserted


async def writable_run(
    conn: Conn, actor: UserRec, entity: str, project_name: str, run_name: str
) -> RunRec:
    project = await writable_project(conn, actor, entity, project_name, create=False)
    run = await runs.run_by_name(conn, project.id, run_name)
    if run is None:
        raise NotFound(f"run {entity}/{project_name}/{run_name} not found")
    return run


@dataclass(frozen=True)
class RunFiles:
    """Files of the run entity/project/run, by name (CreateRunFiles, MarkRunFilesUploaded)."""

    entity: str
    project: str
    run: str
    names: list[str]


async def touch_run_files(tx: Tx, actor: UserRec, files: RunFiles) -> RunRec:
    """Announce files of a run about to be uploaded (CreateRunFiles)."""
    run = await writable_run(tx.conn, actor, files.entity, files.project, files.run)
    for name in files.names:
        await runs.touch_run_file(tx.conn, run.id, name)
    return run


async def mark_run_files_uploaded(
    uow: UnitOfWork, blobs: BlobStore, actor: UserRec, files: RunFiles
) -> None:
    """A client's uploads of run files are over (MarkRunFilesUploaded)."""
    async with uow.db.read() as conn:
        run = await writable_run(conn, actor, files.entity, files.project, files.run)
    arrived = await _arrived(blobs, run, files.names)
    async with uow.write() as tx:
        run = await writable_run(tx.conn, actor, files.entity, files.project, files.run)
        await _record_uploaded(tx, run, files.names, arrived)


Arrived = dict[str, tuple[BlobRef, int]]
"""Run files a client uploaded to the store itself, by name: where they are, their size."""


async def _arrived(blobs: BlobStore, run: RunRec, names: list[str]) -> Arrived:
    """What arrived in a store that takes uploads itself at the objects of these run
    files (read before the write transaction that records it)."""
    if not blobs.takes_uploads:
        return {}
    paths = {name: layout.run_file(run.id, name) for name in dict.fromkeys(names)}
    found = await asyncio.gather(*(blobs.uploaded(path) for path in paths.values()))
    return {
        name: (BlobRef(got[0], paths[name]), got[1])
        for name, got in zip(paths, found, strict=True)
        if got is not None
    }


async def _record_uploaded(tx: Tx, run: RunRec, names: list[str], arrived: Arrived) -> None:
    for name in names:
        if name in arrived:
            ref, size = arrived[name]
            await runs.store_run_file(tx.conn, run.id, name, ref.key, size, ref.path)
        else:
            await runs.touch_run_file(tx.conn, run.id, name)


async def store_uploaded_run_file(tx: Tx, run_id: int, name: str, blob_key: str, size: int) -> None:
    """A run file's bytes arrived at the emulator's upload URL (a store that takes no
    uploads itself)."""
    await runs.store_run_file(tx.conn, run_id, name, blob_key, size)


# ------------------------------------------------------------- file_stream


@dataclass(frozen=True)
class StreamUpdate:
    """One file_stream request: line chunks by file name (offset, lines), the names of
    uploaded files, and whether the run ended (with its exit code)."""

    files: dict[str, tuple[int, list[str]]]
    uploaded: list[str]
    complete: bool
    exit_code: Any = None


async def streamed_run(conn: Conn, actor: UserRec, entity: str, project: str, run: str) -> RunRec:
    """The run a file_stream request names, if the actor may write it."""
    entity_rec = await accounts.entity_by_name(conn, entity)
    project_rec = (
        await projects.project_by_name(conn, entity_rec.id, project) if entity_rec else None
    )
    run_rec = await runs.run_by_name(conn, project_rec.id, run) if project_rec else None
    named = f"{entity}/{project}/{run}"
    if run_rec is None:
        raise NotFound(f"run {named} not found")
    await auth.check(conn, actor, auth.Action.STREAM_TO_RUN, project_rec, named=named)
    return run_rec


def _new_history_rows(run: RunRec, offset: int, lines: list[str]) -> tuple[dict[str, Any], ...]:
    """Rows at line numbers not stored before (resent lines replace rows announced already)."""
    fresh = lines[max(run.history_line_count - offset, 0) :]
    return tuple(parse_rows(fresh))


def _end_state(run: RunRec, exit_code: int) -> str:
    """`killed` for a run stopped on request (StopRun) that exited for it, as on W&B."""
    if exit_code == 0:
        return "finished"
    return "killed" if run.stop_requested else "failed"


async def stream_update(
    uow: UnitOfWork,
    blobs: BlobStore,
    actor: UserRec,
    path: tuple[str, str, str],
    update: StreamUpdate,
) -> RunRec:
    """Apply one file_stream request to the run entity/project/run (`path`); the run
    as it is then. Files it says were uploaded to a store that takes uploads itself are
    read there first."""
    arrived: Arrived = {}
    if update.uploaded and blobs.takes_uploads:
        async with uow.db.read() as conn:
            run = await streamed_run(conn, actor, *path)
        arrived = await _arrived(blobs, run, update.uploaded)
    async with uow.write() as tx:
        run = await streamed_run(tx.conn, actor, *path)
        return await stream(tx, actor, run, update, arrived)


async def stream(
    tx: Tx, actor: UserRec, run: RunRec, update: StreamUpdate, arrived: Arrived
) -> RunRec:
    """Apply one file_stream request to a run (from `streamed_run`), with the uploaded
    files read from a store that takes uploads itself (`arrived`)."""
    for name, (offset, content) in update.files.items():
        if name == SUMMARY_FILE:
            if content:
                try:
                    json.loads(content[-1])
                except json.JSONDecodeError as exc:
                    raise InvalidInput(f"{SUMMARY_FILE} lines must be JSON objects") from exc
                await runs.set_summary(tx.conn, run.id, content[-1])
        elif name in runs.LINE_STREAMS:
            await runs.write_lines(tx.conn, run.id, name, offset, content)
            if name == HISTORY_FILE and (rows := _new_history_rows(run, offset, content)):
                tx.emit(
                    RunHistoryLogged(
                        actor_id=actor.id, run_id=run.id, project_id=run.project_id, rows=rows
                    )
                )
    await _record_uploaded(tx, run, update.uploaded, arrived)
    if update.complete:
        exit_code = update.exit_code if isinstance(update.exit_code, int) else 0
        await runs.finish_run(tx.conn, run.id, exit_code, _end_state(run, exit_code))
        finished = await runs.run_by_id(tx.conn, run.id)
        assert finished is not None
        announce_state(tx, actor, run, finished)
        return finished
    await runs.heartbeat(tx.conn, run.id)
    return run
