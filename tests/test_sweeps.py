"""Sweeps as `wandb.sweep` (its `_upsert_sweep`), `api.sweep` and the sweep agent's
calls use them: create from a config, read it back, hand agents the grid or random
proposals, then exit. `wandb verify` (test_verify.py) runs `wandb.sweep` and
`wandb.agent` end to end."""

from __future__ import annotations

import itertools
import random

import pytest
import wandb
import yaml
from wandb.apis.public.sweeps import _agent_heartbeat, _register_agent, _upsert_sweep

from wandb_emulator.domain import sweep_search, sweeps
from wandb_emulator.domain.errors import InvalidInput
from wandb_emulator.testing import Accounts, EmulatorUser

PROJECT = "tuning"  # not "sweeps": the SDK strips "/sweeps/" from paths


@pytest.fixture
def sweeper(accounts: Accounts, monkeypatch: pytest.MonkeyPatch) -> EmulatorUser:
    """A fresh user; creating a sweep sets WANDB_ENTITY and WANDB_PROJECT, restored
    after the test."""
    monkeypatch.setenv("WANDB_ENTITY", "")
    monkeypatch.setenv("WANDB_PROJECT", "")
    return accounts.user()


def _sweep(user: EmulatorUser, config: dict) -> str:
    sweep, warnings = _upsert_sweep(user.api(), config, entity=user.username, project=PROJECT)
    assert warnings == []
    return sweep["name"]


def _commands(api: wandb.Api, agent_id: str, times: int, running: dict | None = None) -> list:
    return [_agent_heartbeat(api, agent_id, {}, running or {}) for _ in range(times)]


def test_grid_sweep_is_read_back_and_hands_out_every_point_once(sweeper: EmulatorUser) -> None:
    config = {
        "method": "grid",
        "metric": {"goal": "minimize", "name": "score"},
        "parameters": {"x": {"values": [0.01, 0.1]}, "y": {"values": [1, 2, 3]}},
        "program": "train.py",
        "name": "grid",
    }
    sweep_id = _sweep(sweeper, config)
    api = sweeper.api()
    sweep = api.sweep(f"{sweeper.username}/{PROJECT}/{sweep_id}")
    assert (sweep.name, sweep.state, sweep.expected_run_count) == ("grid", "RUNNING", 6)
    assert sweep.config["parameters"] == config["parameters"]

    agent = _register_agent(api, "host-1", sweep_id=sweep_id)
    runs = _commands(api, agent["id"], 6)
    assert all(c[0]["type"] == "run" and c[0]["program"] == "train.py" for c in runs)
    points = [(c[0]["args"]["x"]["value"], c[0]["args"]["y"]["value"]) for c in runs]
    assert points == list(itertools.product([0.01, 0.1], [1, 2, 3]))
    assert len({c[0]["run_id"] for c in runs}) == 6

    # Nothing new while the agent still runs something; then the sweep is over.
    assert _agent_heartbeat(api, agent["id"], {}, {runs[-1][0]["run_id"]: True}) == []
    assert _agent_heartbeat(api, agent["id"], {}, {}) == [{"type": "exit"}]
    # A new Api: `api.sweep` caches what it read.
    assert sweeper.api().sweep(f"{sweeper.username}/{PROJECT}/{sweep_id}").state == "FINISHED"


def test_random_sweep_samples_within_bounds_up_to_its_run_cap(sweeper: EmulatorUser) -> None:
    config = {
        "method": "random",
        "run_cap": 3,
        "parameters": {
            "lr": {"distribution": "log_uniform_values", "min": 0.0001, "max": 0.1},
            "batch": {"values": [16, 32]},
            "depth": {"min": 2, "max": 5},
        },
    }
    sweep_id = _sweep(sweeper, config)
    api = sweeper.api()
    agent = _register_agent(api, "host-2", sweep_id=sweep_id)
    runs = [c[0]["args"] for c in _commands(api, agent["id"], 3)]
    assert all(0.0001 <= r["lr"]["value"] <= 0.1 for r in runs)
    assert all(r["batch"]["value"] in (16, 32) for r in runs)
    assert all(r["depth"]["value"] in range(2, 6) for r in runs)
    assert _agent_heartbeat(api, agent["id"], {}, {}) == [{"type": "exit"}]
    assert api.sweep(f"{sweeper.username}/{PROJECT}/{sweep_id}").expected_run_count == 3


def test_a_config_the_emulator_cannot_run_is_refused_by_name(sweeper: EmulatorUser) -> None:
    config = {"method": "grid", "parameters": {"lr": {"min": 0.1, "max": 0.5}}}
    with pytest.raises(Exception, match="grid search needs discrete values: parameter 'lr'"):
        _sweep(sweeper, config)


def test_grid_points_follow_itertools_product_order() -> None:
    parameters = {"a": {"values": [1, 2]}, "b": {"value": "x"}, "c": {"min": 0, "max": 2}}
    grid = itertools.product([1, 2], ["x"], [0, 1, 2])
    expected = [dict(zip("abc", point, strict=True)) for point in grid]
    assert [sweep_search.grid_point(parameters, i) for i in range(6)] == expected
    assert sweep_search.grid_point(parameters, 6) is None
    assert sweep_search.expected_runs({"method": "grid", "parameters": parameters}) == 6


@pytest.mark.parametrize(
    ("spec", "inside"),
    [
        ({"distribution": "uniform", "min": -1.0, "max": 1.0}, lambda v: -1 <= v <= 1),
        ({"distribution": "q_uniform", "min": 0, "max": 10, "q": 5}, lambda v: v in (0, 5, 10)),
        ({"distribution": "log_uniform", "min": 0, "max": 1}, lambda v: 1 <= v <= 2.7183),
        ({"distribution": "inv_log_uniform_values", "min": 0.1, "max": 1}, lambda v: 0.1 <= v <= 1),
        ({"distribution": "normal", "mu": 5, "sigma": 0.001}, lambda v: 4.9 < v < 5.1),
        ({"values": ["a", "b"], "probabilities": [0, 1]}, lambda v: v == "b"),
    ],
)
def test_random_samples_stay_in_their_distribution(spec: dict, inside) -> None:
    rng = random.Random(7)
    for _ in range(50):
        assert inside(sweep_search.random_point({"p": spec}, rng)["p"])


@pytest.mark.parametrize(
    ("config", "message"),
    [
        ({"method": "hyperband"}, "sweep method must be one of"),
        ({"method": "random", "parameters": {"p": {}}}, "needs value, values, or min and max"),
        ({"method": "bayes", "parameters": {"p": {"distribution": "zipf"}}}, "distribution"),
        ({"method": "random", "parameters": {"p": {"parameters": {}}}}, "nested parameters"),
        ({"method": "random", "run_cap": 0}, "run_cap must be a positive integer"),
    ],
)
def test_configs_the_emulator_cannot_run(config: dict, message: str) -> None:
    with pytest.raises(InvalidInput, match=message):
        sweep_search.check_config(config)


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"values": 3}, "values must be a non-empty list"),
        ({"values": []}, "values must be a non-empty list"),
        ({"values": [1, 2], "probabilities": [1]}, "one non-negative number per value"),
        ({"distribution": "uniform", "min": "a", "max": 1}, "must be numbers"),
        ({"distribution": "uniform", "min": 2, "max": 1}, "min is greater than max"),
        ({"distribution": "int_uniform", "min": 0.5, "max": 1}, "integer min and max"),
        ({"distribution": "log_uniform_values", "min": 0, "max": 1}, "positive min"),
        ({"distribution": "q_uniform", "min": 0, "max": 1, "q": 0}, "q must be positive"),
    ],
)
def test_parameters_that_could_not_be_sampled_are_refused_up_front(
    spec: dict, message: str
) -> None:
    with pytest.raises(InvalidInput, match=message):
        sweep_search.check_config({"method": "random", "parameters": {"p": spec}})


def test_a_wide_integer_grid_is_counted_and_indexed_without_being_listed() -> None:
    parameters = {"seed": {"min": 0, "max": 10**15}, "opt": {"values": ["a", "b"]}}
    config = {"method": "grid", "parameters": parameters}
    assert sweep_search.expected_runs(config) == 2 * (10**15 + 1)
    assert sweep_search.grid_point(parameters, 2 * 10**15 + 1) == {"seed": 10**15, "opt": "b"}


BILLION_LAUGHS = "a: &a [1, 1, 1, 1, 1, 1, 1, 1, 1, 1]\n" + "".join(
    f"{chr(98 + i)}: &{chr(98 + i)} [" + ", ".join([f"*{chr(97 + i)}"] * 10) + "]\n"
    for i in range(8)
)


@pytest.mark.parametrize(
    "text",
    [BILLION_LAUGHS, "method: random\nx: " + "[" * 100 + "]" * 100, "[" * 5000 + "]" * 5000],
)
def test_configs_that_expand_or_nest_too_far_are_refused(text: str) -> None:
    with pytest.raises(InvalidInput, match="the sweep config is too large"):
        sweeps.parse_config(text)


def test_a_value_the_sdk_dumps_twice_as_a_yaml_alias_is_accepted() -> None:
    shared = {"values": [1, 2]}
    text = yaml.dump({"method": "grid", "parameters": {"a": shared, "b": shared}})
    assert "*id" in text  # yaml.dump writes the second use as an alias
    assert sweep_search.expected_runs(sweeps.parse_config(text)) == 4
