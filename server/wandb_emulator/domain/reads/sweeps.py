"""Sweeps of a visible project and their agents."""

from __future__ import annotations

import json
from typing import Any

from ...records import ProjectRec, RunRec, SweepAgentRec, SweepRec
from ...store import sweeps
from ...store.database import Conn
from ..sweeps import load_config
from .paging import ListedPage, list_page
from .runs import runs_page
from .session import ReadSession


async def project_sweep(reads: ReadSession, project: ProjectRec, name: str) -> SweepRec | None:
    async with reads.db.read() as conn:
        return await sweeps.sweep_by_name(conn, project.id, name)


async def run_count(reads: ReadSession, sweep: SweepRec) -> int:
    """Runs that joined the sweep."""
    async with reads.db.read() as conn:
        return await sweeps.sweep_run_count(conn, sweep.project_id, sweep.name)


async def agents(reads: ReadSession, sweep: SweepRec) -> list[SweepAgentRec]:
    async with reads.db.read() as conn:
        return await sweeps.agents_of_sweep(conn, sweep.id)


async def agent_named(reads: ReadSession, sweep: SweepRec, name: str) -> SweepAgentRec | None:
    async with reads.db.read() as conn:
        return await sweeps.agent_by_name(conn, sweep.id, name)


async def agent_run_count(reads: ReadSession, agent: SweepAgentRec) -> int:
    """Runs the sweep handed to this agent."""
    async with reads.db.read() as conn:
        return await sweeps.agent_run_count(conn, agent.id)


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
    reads: ReadSession,
    project: ProjectRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[SweepRec]:
    return await list_page(
        reads,
        sweeps.SWEEPS,
        sweeps.of_project(project.id),
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=sweep_documents,
    )


async def project_sweep_count(reads: ReadSession, project: ProjectRec) -> int:
    return await (await project_sweeps(reads, project, None, None, 0, None)).counter()


async def sweep_runs(
    reads: ReadSession,
    sweep: SweepRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    scope = sweeps.runs_of_sweep(sweep.project_id, sweep.name)
    return await runs_page(reads, scope, filters, order, first, after)


async def agent_runs(
    reads: ReadSession,
    agent: SweepAgentRec,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    """The runs of the runs the sweep handed to the agent."""
    async with reads.db.read() as conn:
        sweep = await sweeps.sweep_by_id(conn, agent.sweep_id)
    assert sweep is not None
    scope = sweeps.runs_of_agent(sweep.project_id, agent.id)
    return await runs_page(reads, scope, None, order, first, after)


async def best_metric(reads: ReadSession, sweep: SweepRec) -> float | None:
    """The best value of the sweep's metric in its runs' summaries (bestLoss)."""
    metric = load_config(sweep.config).get("metric")
    if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
        return None
    maximize = metric.get("goal") == "maximize"
    order = ("-" if maximize else "+") + f"summary_metrics.{metric['name']}"
    page = await sweep_runs(reads, sweep, None, order, 1, None)
    if not page.items:
        return None
    value = json.loads(page.items[0][1].summary_metrics).get(metric["name"])
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    return float(value) if is_number else None
