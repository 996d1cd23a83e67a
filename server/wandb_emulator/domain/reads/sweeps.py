"""Sweeps of a visible project and their agents."""

from __future__ import annotations

from ...records import ProjectRec, SweepAgentRec, SweepRec
from ...store import sweeps
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
