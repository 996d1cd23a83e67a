"""Sweeps driven by the `wandb` command line against the emulator, as on a cluster
without internet: `wandb agent SWEEP_PATH` runs the sweep's program once per proposal
until the grid is done, then the public API reads the sweep back (`project.sweeps()`,
`sweep.runs`, `best_run()`, an agent's runs); `wandb sweep --pause/--resume/--stop/
--cancel` change the state, and agents get what W&B gives them in each state."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from wandb.apis.public.sweeps import _agent_heartbeat, _register_agent, _upsert_sweep

from wandb_emulator.testing import Accounts, EmulatorUser

PROJECT = "cli-tuning"
WANDB_CLI = Path(sys.executable).parent / "wandb"

TRAIN = textwrap.dedent(
    """
    import wandb

    with wandb.init() as run:
        x = run.config["x"]
        for step in range(3):
            run.log({"loss": (x - 2) ** 2 + 1.0 / (step + 1)})
    """
)


SWEEP_YAML = textwrap.dedent(
    """
    program: train.py
    method: grid
    metric:
      name: loss
      goal: minimize
    parameters:
      x:
        values: [0, 2, 5]
    """
)


@pytest.fixture
def user(accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> EmulatorUser:
    monkeypatch.setenv("WANDB_ENTITY", "")
    monkeypatch.setenv("WANDB_PROJECT", "")
    return accounts.user()


def _cli(user: EmulatorUser, cwd: Path, *args: str, timeout: float = 300) -> str:
    environ = {k: v for k, v in os.environ.items() if k not in ("WANDB_ENTITY", "WANDB_PROJECT")}
    environ.update(
        WANDB_BASE_URL=user.base_url,
        WANDB_API_KEY=user.api_key,
        WANDB_DIR=str(cwd),
        WANDB_SILENT="false",
        # The agent starts the program with `/usr/bin/env python`: this interpreter.
        PATH=f"{Path(sys.executable).parent}{os.pathsep}{environ.get('PATH', '')}",
    )
    result = subprocess.run(
        [str(WANDB_CLI), *args],
        cwd=cwd,
        env=environ,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def _grid_sweep(user: EmulatorUser, **extra: object) -> str:
    config = {
        "method": "grid",
        "program": "train.py",
        "metric": {"name": "loss", "goal": "minimize"},
        "parameters": {"x": {"values": [0, 2, 5]}},
        **extra,
    }
    sweep, _ = _upsert_sweep(user.api(), config, entity=user.username, project=PROJECT)
    return sweep["name"]


def test_wandb_agent_runs_every_point_and_the_api_reads_the_sweep_back(
    user: EmulatorUser, tmp_path: Path
) -> None:
    (tmp_path / "train.py").write_text(TRAIN)
    (tmp_path / "sweep.yaml").write_text(SWEEP_YAML)
    created = _cli(user, tmp_path, "sweep", "-e", user.username, "-p", PROJECT, "sweep.yaml")
    match = re.search(r"Creating sweep with ID: (\w+)", created)
    assert match, created
    sweep_id = match.group(1)
    path = f"{user.username}/{PROJECT}/{sweep_id}"
    assert f"wandb agent {path}" in created

    _cli(user, tmp_path, "agent", path)

    api = user.api()
    sweep = api.sweep(path)
    assert sweep.state == "FINISHED"
    runs = list(sweep.runs)
    assert sorted(r.config["x"] for r in runs) == [0, 2, 5]
    assert all(r.state == "finished" and r.sweep_name == sweep_id for r in runs)
    best = sweep.best_run()
    assert best.config["x"] == 2
    assert best.summary["loss"] == pytest.approx(1 / 3)
    assert sweep.best_loss == pytest.approx(1 / 3)

    (listed,) = api.project(PROJECT, entity=user.username).sweeps()
    assert (listed.id, listed.expected_run_count) == (sweep_id, 3)
    (agent,) = sweep.agents()
    assert agent.total_runs == 3
    assert sorted(r.id for r in agent.runs(per_page=2)) == sorted(r.id for r in runs)


def test_sweep_states_from_the_command_line_and_what_agents_get(
    user: EmulatorUser, tmp_path: Path
) -> None:
    sweep_id = _grid_sweep(user, parameters={"x": {"values": [1, 2, 3, 4]}})
    path = f"{user.username}/{PROJECT}/{sweep_id}"
    api = user.api()
    agent_id = _register_agent(
        api, "host", sweep_id=sweep_id, entity=user.username, project=PROJECT
    )["id"]

    def beat(running: dict | None = None) -> list:
        return _agent_heartbeat(api, agent_id, {}, running or {})

    def state() -> str:
        return user.api().sweep(path).state

    first = beat()[0]
    assert first["type"] == "run"
    running = {first["run_id"]: True}

    _cli(user, tmp_path, "sweep", "--pause", path)
    assert state() == "PAUSED"
    assert beat(running) == [] and beat() == []  # runs go on, none starts

    _cli(user, tmp_path, "sweep", "--resume", path)
    assert state() == "RUNNING"
    assert beat()[0]["type"] == "run"

    _cli(user, tmp_path, "sweep", "--stop", path)
    assert state() == "FINISHED"
    assert beat(running) == []  # its run may finish
    assert beat() == [{"type": "exit"}]

    other = _grid_sweep(user)
    other_path = f"{user.username}/{PROJECT}/{other}"
    other_agent = _register_agent(
        api, "host", sweep_id=other, entity=user.username, project=PROJECT
    )["id"]
    started = _agent_heartbeat(api, other_agent, {}, {})[0]["run_id"]
    _cli(user, tmp_path, "sweep", "--cancel", other_path)
    assert user.api().sweep(other_path).state == "CANCELED"
    # Canceled: the agent exits at once (and kills the run it still has).
    assert _agent_heartbeat(api, other_agent, {}, {started: True}) == [{"type": "exit"}]
