"""Pure logic of automations: payload templates and run-metric conditions."""

from __future__ import annotations

import json

import pytest

from wandb_emulator.automations.matching import MetricWatch, run_state_matches
from wandb_emulator.automations.templates import MASK, masked, render, scrub

VARIABLES = {
    "alias": "production",
    "artifact_version": {"name": "clf:v3", "metadata": {"lr": 0.1}},
    "artifact_metadata": {"lr": 0.1, "layers": [64, 32]},
    "run_config": {"optimizer": {"name": "adam"}},
    "count": 3,
}


@pytest.mark.parametrize(
    ("template", "expected"),
    [
        ({"a": "${alias}"}, {"a": "production"}),
        ({"v": "${artifact_version}"}, {"v": VARIABLES["artifact_version"]}),
        ({"lr": "${artifact_metadata.lr}"}, {"lr": 0.1}),
        ({"deep": "${run_config.optimizer.name}"}, {"deep": "adam"}),
        ({"n": "${count}"}, {"n": 3}),
        ({"s": "v=${count} ${alias}"}, {"s": "v=3 production"}),
        ({"s": "${artifact_metadata.layers}!"}, {"s": "[64, 32]!"}),
        (
            {"u": "${unknown}", "m": "x ${unknown.key} y"},
            {"u": "${unknown}", "m": "x ${unknown.key} y"},
        ),
        ({"${alias}": ["${alias}", 1, True, None]}, {"production": ["production", 1, True, None]}),
        ({"spaced": "${ alias }"}, {"spaced": "production"}),
    ],
)
def test_render(template: dict, expected: dict) -> None:
    assert json.loads(render(json.dumps(template), VARIABLES)) == expected


def test_masked_and_scrubbed() -> None:
    shown = masked({"ACCESS_TOKEN": "t0k", "alias": "a"}, ["ACCESS_TOKEN"])
    assert shown == {"ACCESS_TOKEN": MASK, "alias": "a"}
    assert scrub("refused t0k at url", ["t0k", ""]) == f"refused {MASK} at url"


def _fires(event_type: str, spec: dict, values: list[float]) -> list[float]:
    watch = MetricWatch()
    return [v for v in values if watch.observe(event_type, spec, v)]


def test_threshold_fires_when_it_becomes_true() -> None:
    spec = {"name": "loss", "cmp_op": "$lt", "threshold": 0.1, "window_size": 1}
    assert _fires("RUN_METRIC", spec, [0.5, 0.09, 0.05, 0.2, 0.08]) == [0.09, 0.08]


def test_threshold_aggregates() -> None:
    spec = {"name": "x", "agg_op": "MAX", "window_size": 2, "cmp_op": "$gte", "threshold": 5}
    assert _fires("RUN_METRIC", spec, [1, 5, 1, 1, 6]) == [5, 6]
    spec = {"name": "x", "agg_op": "MIN", "window_size": 2, "cmp_op": "$gt", "threshold": 2}
    assert _fires("RUN_METRIC", spec, [3, 1, 4, 5]) == [5]


@pytest.mark.parametrize(
    ("change", "values", "fired"),
    [
        (
            {"change_type": "ABSOLUTE", "change_dir": "DECREASE", "change_amount": 1},
            [5, 4.5, 3],
            [3],
        ),
        (
            {"change_type": "RELATIVE", "change_dir": "INCREASE", "change_amount": 0.5},
            [2, 2.5, 4],
            [4],
        ),
        (
            {"change_type": "ABSOLUTE", "change_dir": "ANY", "change_amount": 2},
            [0, 3, 3, 0],
            [3, 0],
        ),
    ],
)
def test_change(change: dict, values: list[float], fired: list[float]) -> None:
    spec = {"name": "m", "current_window_size": 1, "prior_window_size": 1, **change}
    assert _fires("RUN_METRIC_CHANGE", spec, values) == fired


def test_change_over_windows_compares_averages() -> None:
    spec = {
        "name": "m",
        "agg_op": "AVERAGE",
        "current_window_size": 2,
        "prior_window_size": 2,
        "change_type": "ABSOLUTE",
        "change_dir": "INCREASE",
        "change_amount": 1,
    }
    # windows (1, 1) -> (1, 2): +0.5; (1, 2) -> (3, 3): +1.5
    assert _fires("RUN_METRIC_CHANGE", spec, [1, 1, 1, 2, 3, 3]) == [3]


def test_zscore_needs_spread_and_direction() -> None:
    up = {"name": "m", "window_size": 4, "threshold": 2, "change_dir": "INCREASE"}
    assert _fires("RUN_METRIC_ZSCORE", up, [1, 1, 1, 1, 5]) == []  # no spread yet
    assert _fires("RUN_METRIC_ZSCORE", up, [1, 2, 1, 2, 9, 1]) == [9]
    down = {**up, "change_dir": "DECREASE"}
    assert _fires("RUN_METRIC_ZSCORE", down, [1, 2, 1, 2, 9]) == []
    assert _fires("RUN_METRIC_ZSCORE", down, [5, 6, 5, 6, -3]) == [-3]


def test_run_states_as_automations_name_them() -> None:
    failed = {"run_state_filter": {"states": ["FAILED"]}}
    assert run_state_matches(failed, "failed")
    assert run_state_matches(failed, "crashed")
    assert not run_state_matches(failed, "finished")
