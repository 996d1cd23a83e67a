"""Run automations that really fire: run-metric filters (threshold, change, z-score)
evaluated on history as `run.log` streams it, and run state changes, delivered to a
webhook receiver on loopback (the pytest plugin's fixtures)."""

from __future__ import annotations

import pytest
import wandb
from wandb.automations import OnRunMetric, OnRunState, RunEvent, SendWebhook

from wandb_emulator.testing import EmulatorUser, RunningEmulator
from wandb_emulator.testing.webhooks import WebhookReceiver, create_webhook_integration

PAYLOAD = {
    "event": "${event_type}",
    "author": "${event_author}",
    "entity": "${entity_name}",
    "project": "${project_name}",
    "run_name": "${run_name}",
    "run_id": "${run_id}",
    "lr": "${run_config.lr}",
    "metric": "${metric_name}",
    "value": "${metric_value}",
}


def _automate(user: EmulatorUser, receiver: WebhookReceiver, event_filter, name: str, on=None):
    api = user.api()
    if not any(p.name == "train" for p in api.projects(user.team)):
        api.create_project("train", user.team)
    project = api.project("train", user.team)
    hook = create_webhook_integration(api, user.team, name, receiver.url)
    event = (on or OnRunMetric)(scope=project, filter=event_filter)
    action = SendWebhook.from_integration(hook, payload=PAYLOAD)
    return api.create_automation(event >> action, name=name)


def _run(user: EmulatorUser, values: list[float], metric: str = "loss", exit_code: int = 0):
    settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
    run = wandb.init(
        entity=user.team, project="train", config={"lr": 0.01}, settings=settings, name="trial"
    )
    for value in values:
        run.log({metric: value})
    run.finish(exit_code=exit_code)
    return run.id


def _fired(emulator: RunningEmulator, name: str) -> list[dict]:
    return [d for d in emulator.deliveries() if d["automation"]["name"] == name]


def test_threshold_fires_once_when_the_metric_crosses_it(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
) -> None:
    _automate(
        wandb_emulator_user, wandb_emulator_webhooks, RunEvent.metric("loss") < 0.1, "low-loss"
    )
    run_id = _run(wandb_emulator_user, [0.5, 0.3, 0.09, 0.05, 0.04])
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert request.json == {
        "event": "RUN_METRIC",
        "author": wandb_emulator_user.username,
        "entity": wandb_emulator_user.team,
        "project": "train",
        "run_name": "trial",
        "run_id": run_id,
        "lr": 0.01,
        "metric": "loss",
        "value": 0.09,
    }
    assert request.headers["Content-Type"] == "application/json"
    assert len(_fired(wandb_emulator, "low-loss")) == 1  # stays below: no second firing


@pytest.mark.parametrize(
    ("condition", "metric", "values", "fired_at", "event_type"),
    [
        # the first window of 3 averaging >= 0.8 ends at 0.95 (0.8, 0.9, 0.95)
        (
            RunEvent.metric("acc").avg(3) >= 0.8,
            "acc",
            [0.9, 0.9, 0.5, 0.8, 0.9, 0.95],
            0.95,
            "RUN_METRIC",
        ),
        # +5% then +14%: only the second is an increase of 10%
        (
            RunEvent.metric("acc").increases_by(frac=0.1),
            "acc",
            [1.0, 1.05, 1.2, 1.21],
            1.2,
            "RUN_METRIC_CHANGE",
        ),
        # 9.0 is far outside the previous 5 values
        (
            RunEvent.metric("loss").zscore(5) > 2,
            "loss",
            [1.0, 1.1, 0.9, 1.0, 1.05, 9.0, 1.0],
            9.0,
            "RUN_METRIC_ZSCORE",
        ),
    ],
    ids=["window-average", "relative-change", "zscore"],
)
def test_metric_conditions_fire_once(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
    condition,
    metric: str,
    values: list[float],
    fired_at: float,
    event_type: str,
) -> None:
    _automate(wandb_emulator_user, wandb_emulator_webhooks, condition, "metric")
    _run(wandb_emulator_user, values, metric=metric)
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert (request.json["value"], request.json["event"]) == (fired_at, event_type)
    assert len(_fired(wandb_emulator, "metric")) == 1


@pytest.mark.parametrize(("exit_code", "fired"), [(0, "on-finish"), (1, "on-failure")])
def test_run_state_fires_on_finish_or_failure(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
    exit_code: int,
    fired: str,
) -> None:
    user, receiver = wandb_emulator_user, wandb_emulator_webhooks
    _automate(user, receiver, RunEvent.state.eq("finished"), "on-finish", on=OnRunState)
    _automate(user, receiver, RunEvent.state.eq("failed"), "on-failure", on=OnRunState)
    run_id = _run(user, [1.0], exit_code=exit_code)
    [request] = receiver.wait_for(1)
    assert request.json["event"] == "RUN_STATE"
    assert request.json["run_id"] == run_id
    assert [d["automation"]["name"] for d in wandb_emulator.deliveries()] == [fired]


def test_run_filter_limits_which_runs_fire(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
) -> None:
    only_other = RunEvent.name.eq("another-run") & (RunEvent.metric("loss") < 0.1)
    _automate(wandb_emulator_user, wandb_emulator_webhooks, only_other, "other-runs")
    _run(wandb_emulator_user, [0.05])
    assert _fired(wandb_emulator, "other-runs") == []
    assert wandb_emulator_webhooks.requests == []


def test_disabled_automations_do_not_fire(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
) -> None:
    created = _automate(
        wandb_emulator_user, wandb_emulator_webhooks, RunEvent.metric("loss") < 0.1, "paused"
    )
    wandb_emulator_user.api().update_automation(created, enabled=False)
    _run(wandb_emulator_user, [0.05])
    assert _fired(wandb_emulator, "paused") == []
