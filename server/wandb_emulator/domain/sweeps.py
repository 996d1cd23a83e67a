"""Sweeps: creating and updating them (with their prior runs), registering agents, and
answering agents' heartbeats: the next run to start (grid, random and bayes search, see
`sweep_search` and `sweep_bayes`), the runs early termination stops, or `exit`.

What an agent gets back, by the sweep's state (as on W&B):
- RUNNING: `stop` for its runs hyperband cuts; else nothing while it still runs a trial;
  else one `run` with the next parameters (`exit` once the search is exhausted, which
  finishes the sweep).
- PAUSED: nothing; its runs go on, no new run starts.
- FINISHED (`wandb sweep --stop`): nothing while its runs go on, then `exit`.
- CANCELED (`wandb sweep --cancel`): `exit` at once; the agent kills its runs.
"""

from __future__ import annotations

import asyncio
import json
import random
import secrets
import string
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from .. import auth
from ..filters import matches, parse_filter
from ..history import parse_rows
from ..ids import InvalidId, decode_id, encode_id
from ..jsonlimits import MAX_JSON_DEPTH
from ..records import ProjectRec, RunRec, SweepAgentRec, SweepRec, UserRec, utc_now
from ..store import listing, projects, runs, sweeps
from ..store.database import Conn
from . import run_history, sweep_bayes, sweep_search
from .errors import InvalidInput, NotFound
from .events import SweepCreated, SweepRunProposed, SweepStateChanged
from .projects import writable_project
from .reads.runs import run_document
from .unit import Tx, UnitOfWork

STATES = ("RUNNING", "PAUSED", "CANCELED", "FINISHED")
NAME_ALPHABET = string.ascii_lowercase + string.digits
EXIT = {"type": "exit"}


def new_name() -> str:
    """Sweep and agent names are 8 random lowercase letters and digits, like run ids."""
    return "".join(secrets.choice(NAME_ALPHABET) for _ in range(8))


def parse_config(text: str | None) -> dict[str, Any]:
    """The sweep config (YAML, or JSON which is YAML too), checked for what the
    emulator can run."""
    if not text:
        raise InvalidInput("a sweep needs a config")
    try:
        config = load_config(text)
    except RecursionError as exc:
        raise InvalidInput(_TOO_LARGE) from exc
    _check_size(config)
    sweep_search.check_config(config)
    return config


def load_config(text: str) -> Any:
    """A sweep config's YAML as Python values (InvalidInput when it is not YAML)."""
    import yaml  # deliberately here: the first sweep pays for it, not the server's start

    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise InvalidInput(f"the sweep config is not valid YAML: {exc}") from exc


# Bounds on a config's shape. YAML aliases (which the SDK's yaml.dump writes for a value
# used twice) share one object, so a config of a few bytes can stand for an exponentially
# large document: it is measured as expanded, and refused past MAX_CONFIG_NODES.
MAX_CONFIG_NODES = 10_000
_TOO_LARGE = (
    f"the sweep config is too large: at most {MAX_CONFIG_NODES} values,"
    f" nested at most {MAX_JSON_DEPTH} levels"
)


def _check_size(config: Any) -> None:
    stack: list[tuple[Any, int]] = [(config, 1)]
    seen = 0
    while stack:
        value, depth = stack.pop()
        seen += 1
        if seen > MAX_CONFIG_NODES or depth > MAX_JSON_DEPTH:
            raise InvalidInput(_TOO_LARGE)
        if isinstance(value, dict):
            stack.extend((v, depth + 1) for v in value.values())
        elif isinstance(value, list):
            stack.extend((v, depth + 1) for v in value)


def _check_state(state: str | None) -> None:
    if state is not None and state not in STATES:
        raise InvalidInput(f"invalid sweep state {state!r}: expected one of {', '.join(STATES)}")


def config_warnings(config: Mapping[str, Any]) -> list[str]:
    """What the SDK prints after creating the sweep (configValidationWarnings)."""
    if config.get("method") == "bayes" and not sweep_bayes.available():
        return [sweep_bayes.MISSING_WARNING]
    return []


def controller_run_name(sweep: SweepRec) -> str:
    """The run a local sweep scheduler writes its log lines to (`SweepConfig`)."""
    return f"{sweep.name}-controller"


async def _writable_sweep(conn: Conn, actor: UserRec, sweep_id: int) -> tuple[SweepRec, ProjectRec]:
    sweep = await sweeps.sweep_by_id(conn, sweep_id)
    project = await projects.project_by_id(conn, sweep.project_id) if sweep else None
    if sweep is None:
        raise NotFound("sweep not found")
    await auth.check(conn, actor, auth.Action.UPDATE_SWEEP, project)
    assert project is not None
    return sweep, project


def _sweep_pk(global_id: str) -> int:
    try:
        return decode_id(global_id, "Sweep")
    except InvalidId as exc:
        raise NotFound(f"sweep {global_id!r} not found") from exc


async def upsert_sweep(
    tx: Tx,
    actor: UserRec,
    *,
    sweep_id: str | None,
    entity_name: str | None,
    project_name: str | None,
    config: str | None,
    state: str | None,
    values: dict[str, str | None],
    prior_runs: str | None = None,
) -> tuple[SweepRec, bool]:
    """Create a sweep in entity/project (created on first use), or update the sweep
    `sweep_id` (a global id). `values`: display_name, description, controller, scheduler.
    `prior_runs`: a runs filter (JSON); the project's runs it selects join the sweep."""
    _check_state(state)
    prior_filter = parse_filter(prior_runs) if prior_runs else None
    if sweep_id is None:
        parsed = parse_config(config)
        assert config is not None
        project = await writable_project(tx.conn, actor, entity_name, project_name, create=True)
        sweep = await sweeps.create_sweep(
            tx.conn,
            project.id,
            new_name(),
            method=parsed["method"],
            config=config,
            user_id=actor.id,
            values=values,
        )
        tx.emit(SweepCreated(actor_id=actor.id, sweep_id=sweep.id, project_id=project.id))
        await _join_prior_runs(tx.conn, sweep, prior_filter)
        return sweep, True
    existing, _ = await _writable_sweep(tx.conn, actor, _sweep_pk(sweep_id))
    changes: dict[str, str | None] = {**values, "state": state}
    if config is not None:
        changes.update(config=config, method=parse_config(config)["method"])
    sweep = await sweeps.update_sweep(tx.conn, existing.id, changes)
    if sweep.state != existing.state:
        tx.emit(_state_changed(actor, sweep))
    await _join_prior_runs(tx.conn, sweep, prior_filter)
    return sweep, False


async def _join_prior_runs(conn: Conn, sweep: SweepRec, prior: dict[str, Any] | None) -> None:
    """Runs of the sweep's project the filter selects become runs of the sweep, whose
    search then counts them (`wandb sweep -R RUN_ID`, `prior_runs=`)."""
    if not prior:
        return
    candidates = await listing.select(conn, runs.RUNS, runs.of_project(sweep.project_id))
    chosen = [run.id for run in candidates if matches(prior, run_document(run))]
    await runs.join_sweep(conn, chosen, sweep.name)


def _state_changed(actor: UserRec, sweep: SweepRec) -> SweepStateChanged:
    return SweepStateChanged(
        actor_id=actor.id, sweep_id=sweep.id, project_id=sweep.project_id, state=sweep.state
    )


async def create_agent(
    tx: Tx,
    actor: UserRec,
    entity_name: str | None,
    project_name: str | None,
    sweep_name: str,
    host: str,
) -> SweepAgentRec:
    """Register an agent of the sweep `sweep_name` in entity/project."""
    project = await writable_project(tx.conn, actor, entity_name, project_name, create=False)
    sweep = await sweeps.sweep_by_name(tx.conn, project.id, sweep_name)
    if sweep is None:
        raise NotFound(f"sweep {sweep_name!r} not found")
    return await sweeps.create_agent(tx.conn, sweep.id, new_name(), host, actor.id)


def _running(run_state: Mapping[str, Any]) -> set[str]:
    """The runs an agent reports as still running."""
    return {name for name, active in run_state.items() if active}


def _agent_pk(agent_id: str) -> int:
    try:
        return decode_id(agent_id, "Agent")
    except InvalidId as exc:
        raise NotFound(f"agent {agent_id!r} not found") from exc


async def _agent_and_sweep(
    conn: Conn, actor: UserRec, agent_pk: int
) -> tuple[SweepAgentRec, SweepRec]:
    agent = await sweeps.agent_by_id(conn, agent_pk)
    if agent is None:
        raise NotFound(f"agent {encode_id('Agent', agent_pk)!r} not found")
    sweep, _ = await _writable_sweep(conn, actor, agent.sweep_id)
    return agent, sweep


@dataclass(frozen=True)
class _BayesProposal:
    position: int  # the number of proposals the sweep had when it was computed
    args: dict[str, Any]


# A bayes proposal computed while another agent's was recorded is computed again (with
# that proposal as a pending trial), so two agents are not handed the same point; past
# the last attempt the point is drawn at random rather than handed out twice.
_BAYES_ATTEMPTS = 8


async def agent_heartbeat(
    uow: UnitOfWork, actor: UserRec, agent_id: str, run_state: dict[str, Any]
) -> tuple[SweepAgentRec, list[dict[str, Any]]]:
    """The commands for an agent (see the module's docstring). What the search needs
    from the sweep's runs is read, and a bayes proposal computed, before the write
    transaction: a Gaussian-process fit must not hold the writer."""
    agent_pk = _agent_pk(agent_id)
    running = _running(run_state)
    for attempt in range(1, _BAYES_ATTEMPTS + 1):
        stops, bayes = await _search(uow, actor, agent_pk, running)
        async with uow.write() as tx:
            agent, sweep = await _agent_and_sweep(tx.conn, actor, agent_pk)
            fresh = bayes is not None and bayes.position == await sweeps.proposed_count(
                tx.conn, sweep.id
            )
            if bayes and not fresh and attempt < _BAYES_ATTEMPTS:
                continue
            await sweeps.update_sweep(tx.conn, sweep.id, {"heartbeat_at": utc_now()})
            args = bayes.args if bayes and fresh else None
            commands = await _next_commands(tx, actor, sweep, agent, running, stops, args)
            state = "FINISHED" if commands == [EXIT] else "RUNNING"
            await sweeps.agent_heartbeat(tx.conn, agent.id, state)
            refreshed = await sweeps.agent_by_id(tx.conn, agent.id)
            assert refreshed is not None
            return refreshed, commands
    raise AssertionError("unreachable: the last attempt always answers")


async def _search(
    uow: UnitOfWork, actor: UserRec, agent_pk: int, running: set[str]
) -> tuple[list[str], _BayesProposal | None]:
    """The agent's runs early termination stops, and a bayes proposal when one is due."""
    async with uow.db.read() as conn:
        _, sweep = await _agent_and_sweep(conn, actor, agent_pk)
        config = load_config(sweep.config)
        stops = await _early_stops(conn, sweep, config, running)
        if stops or running or not await _wants_bayes(conn, sweep, config):
            return stops, None
        trials = await _bayes_trials(conn, sweep, config)
        position = await sweeps.proposed_count(conn, sweep.id)
    seed = sweep_bayes.seed_of(sweep.name, position)
    args = await asyncio.to_thread(sweep_bayes.propose, config, trials, seed)
    return stops, _BayesProposal(position, args)


async def _next_commands(
    tx: Tx,
    actor: UserRec,
    sweep: SweepRec,
    agent: SweepAgentRec,
    running: set[str],
    stops: list[str],
    bayes_args: dict[str, Any] | None,
) -> list[dict[str, Any]]:
    if sweep.state == "CANCELED" or (sweep.state == "FINISHED" and not running):
        return [EXIT]
    if sweep.state != "RUNNING":
        return []
    if stops:
        await sweeps.request_stop(tx.conn, sweep.id, stops)
        return [{"type": "stop", "run_id": name} for name in stops]
    if running:
        return []
    config = load_config(sweep.config)
    position = await sweeps.proposed_count(tx.conn, sweep.id)
    args = bayes_args or await _propose(tx.conn, sweep, config, position)
    if args is None:
        finished = await sweeps.update_sweep(tx.conn, sweep.id, {"state": "FINISHED"})
        tx.emit(_state_changed(actor, finished))
        return [EXIT]
    run_name = new_name()
    await sweeps.record_proposal(tx.conn, sweep.id, position, run_name, agent.id, json.dumps(args))
    tx.emit(
        SweepRunProposed(
            actor_id=actor.id, sweep_id=sweep.id, project_id=sweep.project_id, run_name=run_name
        )
    )
    command: dict[str, Any] = {"type": "run", "run_id": run_name, "args": args}
    if config.get("program"):
        command["program"] = config["program"]
    return [command]


async def _propose(
    conn: Conn, sweep: SweepRec, config: dict[str, Any], position: int
) -> dict[str, Any] | None:
    """Grid and random proposals (and bayes when W&B's engine is not installed)."""
    prior: list[dict[str, Any]] = []
    if config["method"] == "grid":
        proposed = {p.run_name for p in await sweeps.proposals(conn, sweep.id)}
        prior = [
            json.loads(r.config) for r in await _sweep_runs(conn, sweep) if r.name not in proposed
        ]
    rng = random.Random(f"{sweep.name}:{position}")
    point = sweep_search.propose(config, position, rng, prior)
    return None if point is None else sweep_search.agent_args(point)


async def _sweep_runs(conn: Conn, sweep: SweepRec) -> list[RunRec]:
    return await listing.select(conn, runs.RUNS, sweeps.runs_of_sweep(sweep.project_id, sweep.name))


async def _metric_rows(conn: Conn, run: RunRec, metric: str) -> list[dict[str, Any]]:
    """The run's history rows (a fork's through its source) that logged the metric as a
    finite number."""
    rows = parse_rows(await run_history.history_lines(conn, run))
    return [row for row in rows if sweep_search.is_finite_number(row.get(metric))]


async def _early_stops(
    conn: Conn, sweep: SweepRec, config: dict[str, Any], running: set[str]
) -> list[str]:
    """The agent's running runs that hyperband stops."""
    if sweep.state != "RUNNING" or not running or "early_terminate" not in config:
        return []
    metric, _ = sweep_search.metric_goal(config)
    trials = [
        sweep_search.TrialMetrics(
            name=run.name,
            running=run.state == "running",
            history=[row[metric] for row in await _metric_rows(conn, run, metric)],
        )
        for run in await _sweep_runs(conn, sweep)
    ]
    return [name for name in sweep_search.hyperband_stops(config, trials) if name in running]


async def _wants_bayes(conn: Conn, sweep: SweepRec, config: dict[str, Any]) -> bool:
    if sweep.state != "RUNNING" or config["method"] != "bayes" or not sweep_bayes.available():
        return False
    limit = sweep_search.expected_runs(config)
    return limit is None or await sweeps.proposed_count(conn, sweep.id) < limit


async def _bayes_trials(
    conn: Conn, sweep: SweepRec, config: dict[str, Any]
) -> list[sweep_bayes.Trial]:
    """The sweep's runs, and its proposals whose run has not started (pending)."""
    metric, _ = sweep_search.metric_goal(config)
    trials = [
        sweep_bayes.Trial(
            name=run.name,
            state=run.state,
            config=json.loads(run.config),
            summary=json.loads(run.summary_metrics),
            history=await _metric_rows(conn, run, metric),
        )
        for run in await _sweep_runs(conn, sweep)
    ]
    started = {t.name for t in trials}
    trials += [
        sweep_bayes.Trial(p.run_name, "pending", json.loads(p.args), {}, [])
        for p in await sweeps.proposals(conn, sweep.id)
        if p.run_name not in started
    ]
    return trials
