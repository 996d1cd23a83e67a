"""Run lookups on a Project. Records and pages of records."""

import json
from typing import Any

from ...records import ProjectRec, RunRec
from ...store import runs
from ...store.database import Conn
from ..context import Info
from ..listing import ListedPage, list_page


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


async def project_run(info: Info, project: ProjectRec, name: str | None) -> RunRec | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        return await runs.run_by_name(conn, project.id, name)


async def run_documents(conn: Conn, found: list[RunRec]) -> list[dict[str, Any]]:
    return [run_document(r) for r in found]


async def _runs_page(
    info: Info,
    project: ProjectRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    return await list_page(
        info,
        runs.RUNS,
        runs.of_project(project.id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=run_documents,
    )


async def project_runs(
    info: Info,
    project: ProjectRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    return await _runs_page(info, project, filters, order, first, after)


async def project_run_count(info: Info, project: ProjectRec, filters: str | None) -> int:
    return await (await _runs_page(info, project, filters, None, 0, None)).counter()
