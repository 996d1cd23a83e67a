"""Run lookups on a Project."""

from __future__ import annotations

import json
from typing import Annotated, Any

import strawberry

from ...store import runs
from ...store.database import Conn
from ...store.records import RunRec
from ..context import Info
from ..listing import ListedPage, list_page
from ..scalars import JSONString
from .types import Run, RunConnection, RunEdge


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


async def project_run(
    root: Any,
    info: Info,
    name: str | None = None,
    desc: Annotated[
        str | None, strawberry.argument(description="Accepted and ignored, as on W&B servers.")
    ] = None,
) -> Run | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        run = await runs.run_by_name(conn, root.rec.id, name)
    return Run(rec=run) if run else None


async def project_bucket(
    root: Any, info: Info, name: str | None = None, missing_ok: bool | None = None
) -> Run | None:
    return await project_run(root, info, name)


async def run_documents(conn: Conn, found: list[RunRec]) -> list[dict[str, Any]]:
    return [run_document(r) for r in found]


async def _runs_page(
    root: Any,
    info: Info,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    return await list_page(
        info,
        runs.RUNS,
        runs.of_project(root.rec.id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=run_documents,
    )


async def project_runs(
    root: Any,
    info: Info,
    filters: JSONString | None = None,
    order: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> RunConnection:
    page = await _runs_page(root, info, filters, order, first, after)
    return RunConnection(
        edges=[RunEdge(node=Run(rec=r), cursor=c) for c, r in page.items],
        page_info=page.page_info,
        counter=page.counter,
    )


async def project_run_count(root: Any, info: Info, filters: JSONString | None = None) -> int:
    return await (await _runs_page(root, info, filters, None, 0, None)).counter()
