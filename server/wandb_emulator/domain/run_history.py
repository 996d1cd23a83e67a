"""A run's history across branches: forks (`wandb.init(fork_from="RUN?_step=N")`) and
rewinds (`wandb.init(resume_from="RUN?_step=N")`, RewindRun).

A fork is a new run whose history starts with the source run's rows up to step N: the
run keeps a pointer to its source and the step (its own lines start at line 0, where
wandb-core writes them), and every read puts the source's rows first. A rewind drops the
run's own rows after step N and renumbers what is left, so that wandb-core, told the new
`historyLineCount`, continues writing at the right line from step N + 1.
"""

from __future__ import annotations

import json
from typing import Any

from ..history import STEP, parse_rows
from ..records import RunRec, UserRec
from ..store import runs
from ..store.database import Conn
from .errors import InvalidInput, NotFound
from .projects import writable_project
from .unit import Tx

BRANCH_METRIC = "_step"
HISTORY = "history"
# A fork of a fork of ... is followed this deep at most (each fork is a run of its own).
MAX_FORK_DEPTH = 100


def _step(line: str) -> int | float | None:
    try:
        row = json.loads(line)
    except json.JSONDecodeError:
        return None
    step = row.get(STEP) if isinstance(row, dict) else None
    return step if isinstance(step, int | float) and not isinstance(step, bool) else None


def _split(lines: list[str], last_step: float) -> tuple[list[str], list[str]]:
    """The lines at or before `last_step` (lines without a step too), and the others."""
    kept: list[str] = []
    dropped: list[str] = []
    for line in lines:
        step = _step(line)
        (kept if step is None or step <= last_step else dropped).append(line)
    return kept, dropped


async def history_lines(conn: Conn, run: RunRec) -> list[str]:
    """The run's history lines, a fork's source rows up to the fork step first."""
    chain: list[tuple[RunRec, float | None]] = []
    current: RunRec | None = run
    limit: float | None = None
    while current is not None and len(chain) < MAX_FORK_DEPTH:
        chain.append((current, limit))
        if current.forked_from_run_id is None or current.fork_step is None:
            break
        limit = current.fork_step if limit is None else min(limit, current.fork_step)
        current = await runs.run_by_id(conn, current.forked_from_run_id)
    lines: list[str] = []
    for rec, last_step in reversed(chain):
        lines = [*lines, *await runs.lines(conn, rec.id, HISTORY)]
        if last_step is not None:
            lines = _split(lines, last_step)[0]
    return lines


def _branch_step(metric: str, value: float) -> int:
    if metric != BRANCH_METRIC:
        raise InvalidInput(f"runs branch on {BRANCH_METRIC!r} only, not {metric!r}")
    if value != int(value) or value < 0:
        raise InvalidInput(f"{BRANCH_METRIC} must be a non-negative integer, got {value}")
    return int(value)


def _rewound_summary(summary_json: str, dropped: list[str], kept: list[str]) -> str:
    """History keys take their last kept value; those only logged after the step go."""
    summary: dict[str, Any] = json.loads(summary_json or "{}")
    for row in parse_rows(dropped):
        for key in row:
            summary.pop(key, None)
    for row in parse_rows(kept):
        summary.update(row)
    return json.dumps(summary)


async def rewind_run(
    tx: Tx,
    actor: UserRec,
    entity: str | None,
    project_name: str | None,
    run_name: str,
    metric: str,
    value: float,
) -> RunRec:
    """Drop the run's history after `value` of `metric` (`_step`); it runs again."""
    step = _branch_step(metric, value)
    project = await writable_project(tx.conn, actor, entity, project_name, create=False)
    run = await runs.run_by_name(tx.conn, project.id, run_name)
    if run is None:
        raise NotFound(f"run {project_name}/{run_name} not found")
    kept, dropped = _split(await runs.lines(tx.conn, run.id, HISTORY), step)
    fork_step = None if run.fork_step is None else min(run.fork_step, step)
    summary = _rewound_summary(run.summary_metrics, dropped, kept)
    await runs.replace_history(tx.conn, run.id, kept, summary, fork_step)
    return await runs.set_state(tx.conn, run.id, "running")


def branch_point(config_json: object) -> tuple[str, float] | None:
    """The (run name, step) of `_wandb.branch_point` in a run config, as wandb.init
    writes it for `fork_from` and `resume_from`."""
    if not isinstance(config_json, str):
        return None
    internal = json.loads(config_json).get("_wandb")
    values = internal.get("value", internal) if isinstance(internal, dict) else None
    point = values.get("branch_point") if isinstance(values, dict) else None
    if not isinstance(point, dict):
        return None
    run_id, step = point.get("run_id"), point.get("step")
    if not isinstance(run_id, str) or not isinstance(step, int | float):
        return None
    return run_id, step


async def fork_if_asked(tx: Tx, run: RunRec, config_json: object) -> RunRec:
    """A new run whose config names another run as its branch point is a fork of it."""
    point = branch_point(config_json)
    if point is None or point[0] == run.name:
        return run  # no branch point, or a rewind (RewindRun did the work)
    source_name, value = point
    step = _branch_step(BRANCH_METRIC, value)
    source = await runs.run_by_name(tx.conn, run.project_id, source_name)
    if source is None:
        raise NotFound(f"run {source_name!r} to fork from not found")
    await runs.set_fork(tx.conn, run.id, source.id, step)
    forked = await runs.run_by_id(tx.conn, run.id)
    assert forked is not None
    return forked
