"""Sweep lookups on a Project, and the runs of a sweep or of one of its agents. Records
and pages of records."""

import json
from typing import Any

from ...domain.sweeps import load_config
from ...records import ProjectRec, RunRec, SweepAgentRec, SweepRec
from ...store import sweeps
from ...store.database import Conn
from ..context import Info
from ..listing import ListedPage, list_page
from ..runs.resolvers import runs_page


def sweep_document(rec: SweepRec) -> dict[str, Any]:
    """The fields a sweeps filter can test (`name`, `state`, `config.method`, ...)."""
    return {
        "name": rec.name,
        "display_name": rec.display_name,
        "displayName": rec.display_name,
        "state": rec.state,
        "method": rec.method,
        "created_at": rec.created_at,
        "createdAt": rec.created_at,
        "config": load_config(rec.config),
    }


async def sweep_documents(conn: Conn, found: list[SweepRec]) -> list[dict[str, Any]]:
    return [sweep_document(rec) for rec in found]


async def project_sweeps(
    info: Info,
    project: ProjectRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[SweepRec]:
    return await list_page(
        info,
        sweeps.SWEEPS,
        sweeps.of_project(project.id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=sweep_documents,
    )


async def project_sweep_count(info: Info, project: ProjectRec) -> int:
    return await (await project_sweeps(info, project, None, None, 0, None)).counter()


async def sweep_runs(
    info: Info,
    sweep: SweepRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    scope = sweeps.runs_of_sweep(sweep.project_id, sweep.name)
    return await runs_page(info, scope, filters, order, first, after)


async def agent_runs(
    info: Info,
    agent: SweepAgentRec,
    project_id: int,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    scope = sweeps.runs_of_agent(project_id, agent.id)
    return await runs_page(info, scope, None, order, first, after)


async def best_metric(info: Info, sweep: SweepRec) -> float | None:
    """The best value of the sweep's metric in its runs' summaries (bestLoss)."""
    metric = load_config(sweep.config).get("metric")
    if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
        return None
    maximize = metric.get("goal") == "maximize"
    order = ("-" if maximize else "+") + f"summary_metrics.{metric['name']}"
    page = await sweep_runs(info, sweep, None, order, 1, None)
    if not page.items:
        return None
    value = json.loads(page.items[0][1].summary_metrics).get(metric["name"])
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if is_number else None
