"""Sweeps as `wandb.sweep` (its `_upsert_sweep`), `api.sweep` and the sweep agent's
calls use them: create from a config, read it back, hand agents the grid or random
proposals, then exit. `wandb verify` (test_verify.py) runs `wandb.sweep` and
`wandb.agent` end to end."""

from __future__ import annotations

import itertools
import json
import random
import time
import warnings
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
import wandb
import yaml
from wandb.apis.public.sweeps import (
    _agent_heartbeat,
    _register_agent,
    _set_sweep_state,
    _sweep_with_runs,
    _upsert_sweep,
)

from wandb_emulator.contract.extract import documents_in_binary, installed_package_dir
from wandb_emulator.domain import sweep_bayes, sweep_search, sweeps
from wandb_emulator.domain.errors import InvalidInput
from wandb_emulator.testing import Accounts, EmulatorUser, RunningEmulator

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
        (
            {"method": "random", "parameters": {"p": {"parameters": {}}}},
            "nested parameters are empty",
        ),
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


@pytest.fixture
def sweep_runs() -> Iterator[None]:
    """A run started with a sweep_id leaves its credentials and sweep in wandb's process
    settings (as an agent's child process would keep them): forget them afterwards."""
    yield
    wandb.teardown()


def _log_run(user: EmulatorUser, sweep_id: str, run_id: str, losses: list[float]):
    """A real run of the sweep (as an agent's program would start it), left open; tests
    that start one use the `sweep_runs` fixture."""
    settings = wandb.Settings(
        api_key=user.api_key,
        base_url=user.base_url,
        silent=True,
        sweep_id=sweep_id,
        x_file_stream_transmit_interval=0.2,
    )
    run = wandb.init(entity=user.username, project=PROJECT, id=run_id, settings=settings)
    for loss in losses:
        run.log({"loss": loss})
    return run


def _wait_for_history(user: EmulatorUser, run_id: str, rows: int) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        run = user.api().run(f"{user.username}/{PROJECT}/{run_id}")
        if len(run.history(pandas=False)) >= rows:
            return
        time.sleep(0.3)
    raise AssertionError(f"run {run_id} did not deliver {rows} history rows")


@pytest.mark.usefixtures("sweep_runs")
def test_hyperband_tells_the_agent_to_stop_a_run_below_the_band(sweeper: EmulatorUser) -> None:
    config = {
        "method": "grid",
        "metric": {"name": "loss", "goal": "minimize"},
        "early_terminate": {"type": "hyperband", "min_iter": 2, "eta": 3},
        "parameters": {"x": {"values": [1, 2, 3]}},
    }
    sweep_id = _sweep(sweeper, config)
    api = sweeper.api()
    agent = _register_agent(api, "host", sweep_id=sweep_id)["id"]

    good = _agent_heartbeat(api, agent, {}, {})[0]["run_id"]
    _log_run(sweeper, sweep_id, good, [1.0, 1.0]).finish()
    bad = _agent_heartbeat(api, agent, {}, {})[0]["run_id"]
    run = _log_run(sweeper, sweep_id, bad, [5.0])
    try:
        _wait_for_history(sweeper, bad, 1)
        # One step: no band reached yet, the run goes on.
        assert _agent_heartbeat(api, agent, {}, {bad: True}) == []
        run.log({"loss": 5.0})
        _wait_for_history(sweeper, bad, 2)
        # At band 2 the best third (the good run's 1.0) is the threshold: 5.0 is cut.
        assert _agent_heartbeat(api, agent, {}, {bad: True}) == [{"type": "stop", "run_id": bad}]
        swept = _sweep_with_runs(api, sweep_id, "{}", entity=sweeper.username, project=PROJECT)
        should_stop = {r["name"]: r["shouldStop"] for r in swept["runs"]}
        assert should_stop == {good: False, bad: True}
    finally:
        run.finish()


def test_nested_parameters_reach_the_agent_as_one_mapping(sweeper: EmulatorUser) -> None:
    config = {
        "method": "grid",
        "parameters": {
            "optimizer": {"parameters": {"lr": {"values": [0.1, 0.01]}, "name": {"value": "adam"}}},
            "batch": {"values": [16, 32]},
        },
    }
    sweep_id = _sweep(sweeper, config)
    api = sweeper.api()
    agent = _register_agent(api, "host", sweep_id=sweep_id)["id"]
    args = [c[0]["args"] for c in _commands(api, agent, 4)]
    assert args[0] == {"batch": {"value": 16}, "optimizer": {"value": {"lr": 0.1, "name": "adam"}}}
    assert [(a["batch"]["value"], a["optimizer"]["value"]["lr"]) for a in args] == list(
        itertools.product([16, 32], [0.1, 0.01])
    )
    assert api.sweep(f"{sweeper.username}/{PROJECT}/{sweep_id}").expected_run_count == 4


def test_prior_runs_join_the_sweep_and_a_grid_skips_their_points(sweeper: EmulatorUser) -> None:
    api = sweeper.api()
    for name, x in (("prior-a", 1), ("prior-b", 3)):
        api.create_run(run_id=name, project=PROJECT, entity=sweeper.username)
        run = api.run(f"{sweeper.username}/{PROJECT}/{name}")
        run.config["x"] = x
        run.update()
    config = {"method": "grid", "parameters": {"x": {"values": [1, 2, 3, 4]}}}
    sweep, _ = _upsert_sweep(
        api, config, entity=sweeper.username, project=PROJECT, prior_runs=["prior-a", "prior-b"]
    )
    sweep_path = f"{sweeper.username}/{PROJECT}/{sweep['name']}"
    assert sorted(r.id for r in api.sweep(sweep_path).runs) == ["prior-a", "prior-b"]
    agent = _register_agent(api, "host", sweep_id=sweep["name"])["id"]
    proposed = [c[0]["args"]["x"]["value"] for c in _commands(api, agent, 2)]
    assert proposed == [2, 4]
    assert _agent_heartbeat(api, agent, {}, {}) == [{"type": "exit"}]


def test_bayes_without_a_metric_is_refused(sweeper: EmulatorUser) -> None:
    config = {"method": "bayes", "parameters": {"x": {"min": 0.0, "max": 1.0}}}
    with pytest.raises(Exception, match="this sweep needs a metric"):
        _sweep(sweeper, config)


def _loss(x: float, y: float) -> float:
    """A known function: its minimum, 0, is at (1.5, -2)."""
    return (x - 1.5) ** 2 + (y + 2) ** 2


BOWL = {
    "method": "bayes",
    "metric": {"name": "loss", "goal": "minimize"},
    "parameters": {"x": {"min": -5.0, "max": 5.0}, "y": {"min": -5.0, "max": 5.0}},
}


@pytest.mark.parametrize("sweep_name", ["bowl-1", "bowl-2"])
def test_bayes_finds_a_better_optimum_than_random_in_as_many_trials(sweep_name: str) -> None:
    """W&B's engine, seeded as the server seeds it (the sweep's name and position)."""
    trials: list[sweep_bayes.Trial] = []
    for position in range(15):
        args = sweep_bayes.propose(BOWL, trials, sweep_bayes.seed_of(sweep_name, position))
        loss = _loss(args["x"]["value"], args["y"]["value"])
        trials.append(
            sweep_bayes.Trial(f"r{position}", "finished", args, {"loss": loss}, [{"loss": loss}])
        )
    bayes_best = min(t.summary["loss"] for t in trials)

    parameters = sweep_search.leaf_parameters(BOWL["parameters"])
    random_points = [
        sweep_search.random_point(parameters, random.Random(f"{sweep_name}:{position}"))
        for position in range(15)
    ]
    random_best = min(_loss(p["x"], p["y"]) for p in random_points)
    assert bayes_best < random_best / 4, (bayes_best, random_best)


def test_a_bayes_sweep_proposes_through_the_engine_on_heartbeats(sweeper: EmulatorUser) -> None:
    sweep_id = _sweep(sweeper, BOWL)
    api = sweeper.api()
    agent = _register_agent(api, "host", sweep_id=sweep_id)["id"]
    points = [
        (c[0]["args"]["x"]["value"], c[0]["args"]["y"]["value"]) for c in _commands(api, agent, 3)
    ]
    assert len(set(points)) == 3
    assert all(-5 <= x <= 5 and -5 <= y <= 5 for x, y in points)


def _engine() -> Any:
    """W&B's sweeps engine; its pydantic models warn on import (v1 config keys)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import sweeps

    return sweeps


def test_hyperband_stops_what_w_and_b_s_engine_stops() -> None:
    """The emulator's hyperband against the `sweeps` package's, on random histories."""
    engine = _engine()
    RunState, SweepRun, stop_runs = engine.RunState, engine.SweepRun, engine.stop_runs

    rng = random.Random(11)
    for case in range(40):
        terminate = rng.choice(
            [
                {"type": "hyperband", "min_iter": rng.randint(1, 3), "eta": rng.choice([2, 3])},
                {"type": "hyperband", "max_iter": 9, "s": 2, "eta": 3, "strict": False},
            ]
        )
        config = {
            "method": "random",
            "metric": {"name": "loss", "goal": rng.choice(["minimize", "maximize"])},
            "early_terminate": terminate,
            "parameters": {"a": {"values": [1]}},
        }
        trials = [
            sweep_search.TrialMetrics(
                name=f"run-{i}",
                running=rng.random() < 0.6,
                history=[rng.uniform(0, 10) for _ in range(rng.randint(0, 8))],
            )
            for i in range(rng.randint(1, 8))
        ]
        engine_runs = [
            SweepRun(
                name=t.name,
                state=RunState.running if t.running else RunState.finished,
                history=[{"loss": v} for v in t.history],
            )
            for t in trials
        ]
        expected = [r.name for r in stop_runs(config, engine_runs)]
        assert sweep_search.hyperband_stops(config, trials) == expected, case


def test_nested_grids_follow_w_and_b_s_engine_order() -> None:
    next_run = _engine().next_run

    parameters = {
        "opt": {"parameters": {"lr": {"values": [1, 2]}, "m": {"value": 3}}},
        "b": {"values": ["x", "y"]},
        "depth": {"min": 1, "max": 2},
    }
    config = {"method": "grid", "parameters": parameters}
    engine_runs = []
    while (suggestion := next_run(config, engine_runs)) is not None:
        suggestion.name, suggestion.state = f"r{len(engine_runs)}", "finished"
        engine_runs.append(suggestion)
    leaves = sweep_search.leaf_parameters(parameters)
    ours = [
        sweep_search.agent_args(sweep_search.grid_point(leaves, i))
        for i in range(sweep_search.grid_size(leaves))
    ]
    assert ours == [r.config for r in engine_runs]


def test_project_sweeps_are_paged_and_filtered(sweeper: EmulatorUser) -> None:
    api = sweeper.api()
    config = {"method": "random", "run_cap": 2, "parameters": {"x": {"values": [1, 2]}}}
    names = [_sweep(sweeper, config) for _ in range(3)]
    paused = names[1]
    _set_sweep_state(api, paused, "PAUSED", entity=sweeper.username, project=PROJECT)

    project = api.project(PROJECT, entity=sweeper.username)
    listed = project.sweeps(per_page=1)
    assert [s.id for s in listed] == names and len(listed) == 3
    assert [s.id for s in project.sweeps(filters={"state": "PAUSED"})] == [paused]
    running = project.sweeps(filters={"$and": [{"state": "RUNNING"}, {"name": {"$ne": names[0]}}]})
    assert [s.id for s in running] == [names[2]]


def test_agents_asking_at_once_get_distinct_bayes_points(sweeper: EmulatorUser) -> None:
    """Each proposal is computed outside the write transaction; one computed while
    another agent's was recorded is computed again, so no two agents share a point."""
    sweep_id = _sweep(sweeper, BOWL)
    apis = [sweeper.api() for _ in range(4)]
    agents = [
        _register_agent(api, f"host-{i}", sweep_id=sweep_id)["id"] for i, api in enumerate(apis)
    ]
    with ThreadPoolExecutor(len(agents)) as pool:
        answers = list(
            pool.map(lambda pair: _agent_heartbeat(*pair, {}, {}), zip(apis, agents, strict=True))
        )
    points = {(a[0]["args"]["x"]["value"], a[0]["args"]["y"]["value"]) for a in answers}
    assert len(points) == len({a[0]["run_id"] for a in answers}) == 4


def _core_document(name: str) -> str:
    """The document wandb-core's sweep scheduler sends, as its binary holds it."""
    binary = installed_package_dir() / "bin" / "wandb-core"
    (text,) = {d.text for d in documents_in_binary(binary) if d.name == name}
    return text


@pytest.mark.usefixtures("sweep_runs")
def test_the_sweep_scheduler_reads_the_config_and_pages_runs_with_history(
    sweeper: EmulatorUser, server: RunningEmulator
) -> None:
    config = {
        "method": "grid",
        "metric": {"name": "loss"},
        "parameters": {"x": {"values": [1, 2, 3]}},
    }
    sweep_id = _sweep(sweeper, config)
    api = sweeper.api()
    agent = _register_agent(api, "host", sweep_id=sweep_id)["id"]
    for losses in ([3.0, 2.0], [1.0], [4.0, 4.0, 4.0]):
        run_id = _agent_heartbeat(api, agent, {}, {})[0]["run_id"]
        _log_run(sweeper, sweep_id, run_id, losses).finish()
    where = {"entity": sweeper.username, "project": PROJECT, "sweep": sweep_id}

    answer = server.graphql(sweeper.api_key, _core_document("SweepConfig"), where).json()
    swept = answer["data"]["project"]["sweep"]
    assert swept["controllerRunName"] == f"{sweep_id}-controller"
    assert yaml.safe_load(swept["config"])["parameters"] == config["parameters"]

    seen, cursor = [], None
    specs = [json.dumps({"keys": ["loss"], "samples": 10})]
    while True:
        variables = {**where, "first": 2, "cursor": cursor, "historySpecs": specs}
        answer = server.graphql(sweeper.api_key, _core_document("SweepRunsWithHistory"), variables)
        runs = answer.json()["data"]["project"]["sweep"]["runs"]
        seen += [edge["node"] for edge in runs["edges"]]
        if not runs["pageInfo"]["hasNextPage"]:
            break
        cursor = runs["pageInfo"]["endCursor"]
    histories = sorted(len(node["sampledHistory"][0]) for node in seen)
    assert histories == [1, 2, 3] and all(node["state"] == "finished" for node in seen)
