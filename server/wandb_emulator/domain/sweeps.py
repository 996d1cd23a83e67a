"""Sweeps: creating and updating them, registering agents, and handing agents the
next run to start (grid and random search, see `sweep_search`)."""

from __future__ import annotations

import json
import random
import secrets
import string
from typing import Any

from .. import auth
from ..ids import InvalidId, decode_id
from ..jsonlimits import MAX_JSON_DEPTH
from ..records import ProjectRec, SweepAgentRec, SweepRec, UserRec, utc_now
from ..store import projects, sweeps
from ..store.database import Conn
from . import sweep_search
from .errors import InvalidInput, NotFound
from .events import SweepCreated, SweepRunProposed, SweepStateChanged
from .projects import writable_project
from .unit import Tx

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
) -> tuple[SweepRec, bool]:
    """Create a sweep in entity/project (created on first use), or update the sweep
    `sweep_id` (a global id). `values`: display_name, description, controller, scheduler."""
    _check_state(state)
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
        return sweep, True
    existing, _ = await _writable_sweep(tx.conn, actor, _sweep_pk(sweep_id))
    changes: dict[str, str | None] = {**values, "state": state}
    if config is not None:
        changes.update(config=config, method=parse_config(config)["method"])
    sweep = await sweeps.update_sweep(tx.conn, existing.id, changes)
    if sweep.state != existing.state:
        tx.emit(_state_changed(actor, sweep))
    return sweep, False


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


def _running(run_state: dict[str, Any]) -> bool:
    return any(bool(active) for active in run_state.values())


async def agent_heartbeat(
    tx: Tx, actor: UserRec, agent_id: str, run_state: dict[str, Any]
) -> tuple[SweepAgentRec, list[dict[str, Any]]]:
    """The commands for an agent: nothing while it still runs something or its sweep
    is paused, `exit` once the sweep is over, else one `run` with the next parameters."""
    try:
        agent_pk = decode_id(agent_id, "Agent")
    except InvalidId as exc:
        raise NotFound(f"agent {agent_id!r} not found") from exc
    agent = await sweeps.agent_by_id(tx.conn, agent_pk)
    if agent is None:
        raise NotFound(f"agent {agent_id!r} not found")
    sweep, _ = await _writable_sweep(tx.conn, actor, agent.sweep_id)
    await sweeps.update_sweep(tx.conn, sweep.id, {"heartbeat_at": utc_now()})
    commands = await _next_commands(tx, actor, sweep, agent, run_state)
    await sweeps.agent_heartbeat(tx.conn, agent.id, "FINISHED" if commands == [EXIT] else "RUNNING")
    refreshed = await sweeps.agent_by_id(tx.conn, agent.id)
    assert refreshed is not None
    return refreshed, commands


async def _next_commands(
    tx: Tx, actor: UserRec, sweep: SweepRec, agent: SweepAgentRec, run_state: dict[str, Any]
) -> list[dict[str, Any]]:
    if sweep.state in ("CANCELED", "FINISHED"):
        return [EXIT]
    if sweep.state == "PAUSED" or _running(run_state):
        return []
    config = load_config(sweep.config)
    position = await sweeps.proposed_count(tx.conn, sweep.id)
    rng = random.Random(f"{sweep.name}:{position}")
    params = sweep_search.propose(config, position, rng)
    if params is None:
        finished = await sweeps.update_sweep(tx.conn, sweep.id, {"state": "FINISHED"})
        tx.emit(_state_changed(actor, finished))
        return [EXIT]
    run_name = new_name()
    args = {name: {"value": value} for name, value in params.items()}
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
