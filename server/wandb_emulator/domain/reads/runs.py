"""Runs of a visible project: found by name, listed with filters, their streams (history,
system events, console output) and files."""

from __future__ import annotations

import json
from typing import Any

from ... import auth
from ...records import ProjectRec, RunFileRec, RunRec, UserRec
from ...store import accounts, projects, runs
from ...store.database import Conn
from .paging import ListedPage, list_page
from .session import ReadSession


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


async def project_runs(
    reads: ReadSession,
    project: ProjectRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    return await list_page(
        reads,
        runs.RUNS,
        runs.of_project(project.id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=run_documents,
    )


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
    """The run's lines of `stream`: history, events (system metrics) or output."""
    async with reads.db.read() as conn:
        return await runs.lines(conn, run.id, stream)


async def last_line(reads: ReadSession, run: RunRec, stream: str) -> str | None:
    async with reads.db.read() as conn:
        return await runs.last_line(conn, run.id, stream)


async def run_files(reads: ReadSession, run: RunRec) -> list[RunFileRec]:
    async with reads.db.read() as conn:
        return await runs.run_files(conn, run.id)
