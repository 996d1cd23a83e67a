"""Runs of a visible project: found by name, listed with filters, their streams (history,
system events, console output) and files."""

from __future__ import annotations

import json
from typing import Any

from ... import auth
from ...blobs import BlobRef, BlobStore
from ...records import ProjectRec, RunAlertRec, RunFileRec, RunRec, UserRec
from ...store import accounts, projects, runs, sweeps
from ...store.database import Conn
from ...store.listing import Where
from .. import console, run_history
from .paging import (
    ListedPage,
    Page,
    PageInfo,
    decode_cursor,
    encode_cursor,
    list_page,
    page_size,
)
from .session import ReadSession

METADATA_FILE = "wandb-metadata.json"


def run_document(rec: RunRec) -> dict[str, Any]:
    """The fields a runs filter can test (`config.lr`, `summary_metrics.acc`, ...)."""
    config = json.loads(rec.config)
    return {
        "name": rec.name,
        "display_name": rec.display_name,
        "displayName": rec.display_name,
        "state": rec.state,
        "group": rec.group_name,
        "jobType": rec.job_type,
        "sweep": rec.sweep_name,
        "tags": json.loads(rec.tags),
        "created_at": rec.created_at,
        "createdAt": rec.created_at,
        "heartbeat_at": rec.heartbeat_at,
        "heartbeatAt": rec.heartbeat_at,
        "config": {k: v.get("value", v) if isinstance(v, dict) else v for k, v in config.items()},
        "summary_metrics": json.loads(rec.summary_metrics),
    }


async def project_run(reads: ReadSession, project: ProjectRec, name: str | None) -> RunRec | None:
    if not name:
        return None
    async with reads.db.read() as conn:
        return await runs.run_by_name(conn, project.id, name)


async def visible_run(reads: ReadSession, run_id: int) -> tuple[RunRec, ProjectRec] | None:
    """The run and its project, if the viewer may see the project."""
    async with reads.db.read() as conn:
        run = await runs.run_by_id(conn, run_id)
        project = None if run is None else await projects.project_by_id(conn, run.project_id)
        if (
            run is None
            or project is None
            or not await auth.allows(conn, reads.viewer, auth.Action.VIEW_PROJECT, project)
        ):
            return None
    return run, project


async def run_documents(conn: Conn, found: list[RunRec]) -> list[dict[str, Any]]:
    return [run_document(r) for r in found]


async def runs_page(
    reads: ReadSession,
    scope: Where,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    """A page of the runs of `scope` (a project's, a sweep's, an agent's)."""
    return await list_page(
        reads,
        runs.RUNS,
        scope,
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=run_documents,
    )


async def project_runs(
    reads: ReadSession,
    project: ProjectRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    return await runs_page(reads, runs.of_project(project.id), filters, order, first, after)


async def stop_requested_by_sweep(reads: ReadSession, run: RunRec) -> bool:
    """Whether the run's sweep told its agent to stop it (early termination)."""
    if run.sweep_name is None:
        return False
    async with reads.db.read() as conn:
        return await sweeps.stop_requested(conn, run.project_id, run.sweep_name, run.name)


async def project_run_count(reads: ReadSession, project: ProjectRec, filters: str | None) -> int:
    return await (await project_runs(reads, project, filters, None, 0, None)).counter()


async def run_user(reads: ReadSession, run: RunRec) -> UserRec | None:
    """The user who ran it."""
    if run.user_id is None:
        return None
    async with reads.db.read() as conn:
        return await accounts.user_by_id(conn, run.user_id)


async def runs_of_project(reads: ReadSession, project: ProjectRec) -> list[RunRec]:
    async with reads.db.read() as conn:
        return await runs.runs_of_project(conn, project.id)


async def lines(reads: ReadSession, run: RunRec, stream: str) -> list[str]:
    """The run's lines of `stream`: history (a fork's from its source's rows on), events
    (system metrics) or output."""
    async with reads.db.read() as conn:
        if stream == run_history.HISTORY:
            return await run_history.history_lines(conn, run)
        return await runs.lines(conn, run.id, stream)


async def console_page(
    reads: ReadSession, run: RunRec, first: int | None, after: str | None, last: int | None
) -> Page[console.ConsoleLine]:
    """`Run.logLines`: `first` console lines after the cursor `after`, or the `last` ones;
    a line's cursor is its number."""
    async with reads.db.read() as conn:
        if last is not None:
            found = await console.last_lines(conn, run, page_size(last, console.MAX_LINES))
        else:
            size = page_size(first, console.MAX_LINES, console.MAX_LINES)
            found = await console.lines_after(conn, run, decode_cursor(after), size)
    items = [(encode_cursor(line.number), line) for line in found]
    info = PageInfo(
        end_cursor=items[-1][0] if items else after,
        has_next_page=bool(found) and found[-1].number + 1 < run.log_line_count,
        start_cursor=items[0][0] if items else None,
        has_previous_page=bool(found) and found[0].number > 0,
    )
    return Page(items=items, page_info=info, total_count=run.log_line_count)


async def run_metadata(reads: ReadSession, blobs: BlobStore, run: RunRec) -> dict[str, Any] | None:
    """The run's wandb-metadata.json (program, args, python, git...), once uploaded."""
    found = await run_files(reads, run)
    metadata = next((f for f in found if f.name == METADATA_FILE and f.blob_key), None)
    if metadata is None or metadata.blob_key is None:
        return None
    try:
        values = json.loads(await blobs.read(BlobRef(metadata.blob_key, metadata.storage_path)))
    except (KeyError, OSError, ValueError):
        return None
    return values if isinstance(values, dict) else None


async def alerts_of_run(reads: ReadSession, run: RunRec) -> list[RunAlertRec]:
    """A run's alerts (run.alert), oldest first: whoever sees the run sees them."""
    async with reads.db.read() as conn:
        return await runs.alerts_of_run(conn, run.id)


async def recent_alerts(reads: ReadSession, limit: int) -> list[tuple[RunAlertRec, str, str, str]]:
    """The newest alerts of every run with its entity, project and run names, for the
    emulator panel (instance admins)."""
    async with reads.db.read() as conn:
        return await runs.recent_alerts(conn, limit)


async def last_line(reads: ReadSession, run: RunRec, stream: str) -> str | None:
    async with reads.db.read() as conn:
        return await runs.last_line(conn, run.id, stream)


async def run_files(reads: ReadSession, run: RunRec) -> list[RunFileRec]:
    async with reads.db.read() as conn:
        return await runs.run_files(conn, run.id)
