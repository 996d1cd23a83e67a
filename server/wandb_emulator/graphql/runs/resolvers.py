"""Run lookups on a Project."""

from __future__ import annotations

import json
from typing import Any

from ...filters import matches, parse_filter, sort_key_for
from ...store import runs
from ...store.records import RunRec
from ..context import Info
from ..pagination import paginate
from ..scalars import JSONString
from .types import Run, RunConnection, RunEdge

_RUN_ORDER_FIELDS = {
    "created_at": "created_at",
    "createdAt": "created_at",
    "heartbeat_at": "heartbeat_at",
    "heartbeatAt": "heartbeat_at",
    "name": "name",
    "display_name": "display_name",
}


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
        "tags": json.loads(rec.tags),
        "created_at": rec.created_at,
        "createdAt": rec.created_at,
        "heartbeat_at": rec.heartbeat_at,
        "config": {k: v.get("value", v) if isinstance(v, dict) else v for k, v in config.items()},
        "summary_metrics": json.loads(rec.summary_metrics),
    }


async def project_run(root: Any, info: Info, name: str | None = None) -> Run | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        run = await runs.run_by_name(conn, root.rec.id, name)
    return Run(rec=run) if run else None


async def project_bucket(
    root: Any, info: Info, name: str | None = None, missing_ok: bool | None = None
) -> Run | None:
    return await project_run(root, info, name)


async def _selected_runs(info: Info, project_id: int, filters: str | None) -> list[RunRec]:
    filter_doc = parse_filter(filters)
    async with info.context.db.read() as conn:
        found = await runs.runs_of_project(conn, project_id)
    return [r for r in found if matches(filter_doc, run_document(r))]


async def project_runs(
    root: Any,
    info: Info,
    filters: JSONString | None = None,
    order: str | None = None,
    first: int | None = None,
    after: str | None = None,
) -> RunConnection:
    selected = await _selected_runs(info, root.rec.id, filters)
    key, descending = sort_key_for(order, _RUN_ORDER_FIELDS, "created_at")
    selected.sort(key=lambda r: (run_document(r)[key] or "", r.id), reverse=descending)
    page = paginate(selected, first, after, info.context.config.max_page_size)
    return RunConnection(
        edges=[RunEdge(node=Run(rec=r), cursor=c) for c, r in page.items],
        page_info=page.page_info,
        total_count=page.total_count,
    )


async def project_run_count(root: Any, info: Info, filters: JSONString | None = None) -> int:
    return len(await _selected_runs(info, root.rec.id, filters))
