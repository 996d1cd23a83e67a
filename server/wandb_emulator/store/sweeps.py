"""Sweeps, their agents and the runs they proposed."""

from __future__ import annotations

from collections.abc import Sequence

from ..records import SweepAgentRec, SweepProposalRec, SweepRec, utc_now
from ._sql import execute, fetch_all, fetch_one, fetch_value, insert, placeholders
from .database import Conn
from .listing import Listing, Where, columns

_SWEEP_TIMES = columns("s", "created_at", "updated_at")

SWEEPS = Listing(
    record=SweepRec,
    source="sweeps s",
    columns="s.*",
    id_column="s.id",
    sorts={**_SWEEP_TIMES, "name": "s.name"},
    default_sort="created_at",
    fields={
        **_SWEEP_TIMES,
        "name": "s.name",
        **dict.fromkeys(("display_name", "displayName"), "s.display_name"),
        "state": "s.state",
        "method": "s.method",
    },
)


def of_project(project_id: int) -> Where:
    return Where("s.project_id = ?", (project_id,))


def runs_of_sweep(project_id: int, sweep_name: str) -> Where:
    """The runs that joined a sweep, as a scope of `store.runs.RUNS`."""
    return Where("r.project_id = ? AND r.sweep_name = ?", (project_id, sweep_name))


def runs_of_agent(project_id: int, agent_id: int) -> Where:
    """The runs an agent was handed, as a scope of `store.runs.RUNS`."""
    return Where(
        "r.project_id = ? AND r.name IN (SELECT run_name FROM sweep_runs WHERE agent_id = ?)",
        (project_id, agent_id),
    )


async def sweep_by_id(conn: Conn, sweep_id: int) -> SweepRec | None:
    return await fetch_one(conn, SweepRec, "SELECT * FROM sweeps WHERE id = ?", (sweep_id,))


async def sweep_by_name(conn: Conn, project_id: int, name: str) -> SweepRec | None:
    return await fetch_one(
        conn, SweepRec, "SELECT * FROM sweeps WHERE project_id = ? AND name = ?", (project_id, name)
    )


async def create_sweep(
    conn: Conn,
    project_id: int,
    name: str,
    *,
    method: str,
    config: str,
    user_id: int,
    values: dict[str, str | None],
) -> SweepRec:
    """A RUNNING sweep; `values` sets display_name, description, controller, scheduler."""
    now = utc_now()
    sweep_id = await insert(
        conn,
        "INSERT INTO sweeps (project_id, name, display_name, description, method, config,"
        " state, controller, scheduler, user_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, 'RUNNING', ?, ?, ?, ?, ?)",
        (
            project_id,
            name,
            values.get("display_name"),
            values.get("description"),
            method,
            config,
            values.get("controller"),
            values.get("scheduler"),
            user_id,
            now,
            now,
        ),
    )
    sweep = await sweep_by_id(conn, sweep_id)
    assert sweep is not None
    return sweep


SWEEP_COLUMNS = (
    "display_name",
    "description",
    "method",
    "config",
    "state",
    "controller",
    "scheduler",
    "heartbeat_at",
)


async def update_sweep(conn: Conn, sweep_id: int, values: dict[str, str | None]) -> SweepRec:
    """Set the given (non-None) columns of SWEEP_COLUMNS."""
    columns = {k: v for k, v in values.items() if k in SWEEP_COLUMNS and v is not None}
    columns["updated_at"] = utc_now()
    assignments = ", ".join(f"{column} = ?" for column in columns)
    await execute(
        conn, f"UPDATE sweeps SET {assignments} WHERE id = ?", [*columns.values(), sweep_id]
    )
    sweep = await sweep_by_id(conn, sweep_id)
    assert sweep is not None
    return sweep


async def create_agent(
    conn: Conn, sweep_id: int, name: str, host: str, user_id: int
) -> SweepAgentRec:
    now = utc_now()
    agent_id = await insert(
        conn,
        "INSERT INTO sweep_agents (sweep_id, name, host, state, user_id, created_at,"
        " heartbeat_at) VALUES (?, ?, ?, 'RUNNING', ?, ?, ?)",
        (sweep_id, name, host, user_id, now, now),
    )
    agent = await agent_by_id(conn, agent_id)
    assert agent is not None
    return agent


async def agent_by_id(conn: Conn, agent_id: int) -> SweepAgentRec | None:
    return await fetch_one(
        conn, SweepAgentRec, "SELECT * FROM sweep_agents WHERE id = ?", (agent_id,)
    )


async def agent_by_name(conn: Conn, sweep_id: int, name: str) -> SweepAgentRec | None:
    return await fetch_one(
        conn,
        SweepAgentRec,
        "SELECT * FROM sweep_agents WHERE sweep_id = ? AND name = ?",
        (sweep_id, name),
    )


async def agents_of_sweep(conn: Conn, sweep_id: int) -> list[SweepAgentRec]:
    sql = "SELECT * FROM sweep_agents WHERE sweep_id = ? ORDER BY id"
    return await fetch_all(conn, SweepAgentRec, sql, (sweep_id,))


async def agent_heartbeat(conn: Conn, agent_id: int, state: str) -> None:
    await execute(
        conn,
        "UPDATE sweep_agents SET heartbeat_at = ?, state = ? WHERE id = ?",
        (utc_now(), state, agent_id),
    )


async def proposed_count(conn: Conn, sweep_id: int) -> int:
    sql = "SELECT COUNT(*) FROM sweep_runs WHERE sweep_id = ?"
    return await fetch_value(conn, sql, (sweep_id,))


async def agent_run_count(conn: Conn, agent_id: int) -> int:
    sql = "SELECT COUNT(*) FROM sweep_runs WHERE agent_id = ?"
    return await fetch_value(conn, sql, (agent_id,))


async def record_proposal(
    conn: Conn, sweep_id: int, position: int, run_name: str, agent_id: int, args: str
) -> None:
    await execute(
        conn,
        "INSERT INTO sweep_runs (sweep_id, position, run_name, agent_id, args, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (sweep_id, position, run_name, agent_id, args, utc_now()),
    )


async def sweep_run_count(conn: Conn, project_id: int, sweep_name: str) -> int:
    """Runs of the project that joined the sweep (UpsertBucket with its name)."""
    return await fetch_value(
        conn,
        "SELECT COUNT(*) FROM runs WHERE project_id = ? AND sweep_name = ?",
        (project_id, sweep_name),
    )


async def proposals(conn: Conn, sweep_id: int) -> list[SweepProposalRec]:
    sql = "SELECT * FROM sweep_runs WHERE sweep_id = ? ORDER BY position"
    return await fetch_all(conn, SweepProposalRec, sql, (sweep_id,))


async def stop_requested(conn: Conn, project_id: int, sweep_name: str, run_name: str) -> bool:
    """Whether early termination told the agent of this run of the sweep to stop it."""
    sql = (
        "SELECT COUNT(*) FROM sweep_runs p JOIN sweeps s ON s.id = p.sweep_id"
        " WHERE s.project_id = ? AND s.name = ? AND p.run_name = ?"
        " AND p.stop_requested_at IS NOT NULL"
    )
    return bool(await fetch_value(conn, sql, (project_id, sweep_name, run_name)))


async def request_stop(conn: Conn, sweep_id: int, run_names: Sequence[str]) -> None:
    """Record that early termination stopped these runs (the first time only)."""
    if run_names:
        await execute(
            conn,
            "UPDATE sweep_runs SET stop_requested_at = ? WHERE sweep_id = ?"
            f" AND run_name IN ({placeholders(run_names)}) AND stop_requested_at IS NULL",
            (utc_now(), sweep_id, *run_names),
        )
