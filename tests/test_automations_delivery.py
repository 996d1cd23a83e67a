"""Delivery of automation actions: template variables, Bearer tokens and masked secrets,
retries with back-off, fault rules, the asynchronous default, Slack notifications and
no-ops. Events are published on the emulator's event bus as the domain publishes them
after a commit, about state made with the real SDK."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import wandb
from wandb.automations import (
    DoNothing,
    OnAddArtifactAlias,
    SendNotification,
    SendWebhook,
)

from wandb_emulator.domain.events import AliasAdded, Event
from wandb_emulator.ids import decode_any
from wandb_emulator.testing import EmulatorUser, RunningEmulator
from wandb_emulator.testing.webhooks import (
    WebhookReceiver,
    create_webhook_integration,
    insert_secret,
)


class Setup:
    """A logged artifact `clf:v0` in `<team>/train`, and the ids events carry."""

    def __init__(self, emulator: RunningEmulator, user: EmulatorUser, tmp_path: Path) -> None:
        self.emulator, self.user = emulator, user
        self.api = user.api()
        settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
        with wandb.init(entity=user.team, project="train", settings=settings) as run:
            artifact = wandb.Artifact("clf", type="model", metadata={"accuracy": 0.93})
            (tmp_path / "model.pt").write_bytes(b"weights")
            artifact.add_file(str(tmp_path / "model.pt"))
            run.log_artifact(artifact).wait()
        self.artifact = self.api.artifact(f"{user.team}/train/clf:v0")
        self.collection = self.api.artifact_collection("model", f"{user.team}/train/clf")
        self.project = self.api.project("train", user.team)
        self.ids = {
            "actor_id": decode_any(self.api.viewer.id)[1],
            "artifact_id": decode_any(self.artifact.id)[1],
            "collection_id": decode_any(self.collection.id)[1],
            "project_id": decode_any(self.project.id)[1],
        }

    def automate(self, action, name: str, alias: str | None = None):
        event = OnAddArtifactAlias(scope=self.collection, filter={"alias": alias} if alias else {})
        return self.api.create_automation(event >> action, name=name)

    def webhook(self, url: str, name: str = "ci", payload=None, **refs):
        hook = create_webhook_integration(self.api, self.user.team, name, url, **refs)
        return SendWebhook.from_integration(hook, payload=payload)

    def publish(self, *events: Event) -> None:
        self.emulator.call(self.emulator.emulator.events.publish(events))

    def alias_added(self, alias: str = "production") -> AliasAdded:
        return AliasAdded(alias=alias, **self.ids)


@pytest.fixture
def setup(
    wandb_emulator: RunningEmulator, wandb_emulator_user: EmulatorUser, tmp_path: Path
) -> Iterator[Setup]:
    previous = wandb_emulator.configure_deliveries(backoff_ms=1)
    yield Setup(wandb_emulator, wandb_emulator_user, tmp_path)
    wandb_emulator.configure_deliveries(**previous)


def _deliveries(setup: Setup, name: str) -> list[dict]:
    return [d for d in setup.emulator.deliveries() if d["automation"]["name"] == name]


def test_every_template_variable(setup: Setup, wandb_emulator_webhooks: WebhookReceiver) -> None:
    payload = {
        "event_type": "${event_type}",
        "event_author": "${event_author}",
        "entity_name": "${entity_name}",
        "project_name": "${project_name}",
        "artifact_collection_name": "${artifact_collection_name}",
        "artifact_version": "${artifact_version}",
        "artifact_version_string": "${artifact_version_string}",
        "accuracy": "${artifact_metadata.accuracy}",
        "download": "${artifact_download_url}",
        "alias": "${alias}",
        "text": "promote ${artifact_version_string} as ${alias}",
        "unknown": "${no_such_variable}",
        "nested": {"list": ["${alias}", 1, None]},
    }
    setup.automate(setup.webhook(wandb_emulator_webhooks.url, payload=payload), "vars")
    setup.publish(setup.alias_added())
    [request] = wandb_emulator_webhooks.wait_for(1)
    body = request.json
    team = setup.user.team
    assert body["event_type"] == "ADD_ARTIFACT_ALIAS"
    assert body["event_author"] == setup.user.username
    assert (body["entity_name"], body["project_name"]) == (team, "train")
    assert body["artifact_collection_name"] == "clf"
    assert body["artifact_version_string"] == f"{team}/train/clf:v0"
    version = body["artifact_version"]
    assert (version["name"], version["version"], version["type"]) == ("clf:v0", "v0", "model")
    assert version["id"] == setup.artifact.id
    assert version["metadata"] == {"accuracy": 0.93}
    assert body["accuracy"] == 0.93
    manifest = httpx.get(body["download"], timeout=10).json()
    assert "model.pt" in manifest["contents"]
    assert body["alias"] == "production"
    assert body["text"] == f"promote {team}/train/clf:v0 as production"
    assert body["unknown"] == "${no_such_variable}"
    assert body["nested"] == {"list": ["production", 1, None]}


def test_alias_filter_selects_events(
    setup: Setup, wandb_emulator_webhooks: WebhookReceiver
) -> None:
    setup.automate(setup.webhook(wandb_emulator_webhooks.url), "prod-only", alias="production")
    setup.publish(setup.alias_added("staging"))
    assert _deliveries(setup, "prod-only") == []
    setup.publish(setup.alias_added("production"))
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert request.json["alias"] == "production"  # the default payload


def test_bearer_token_and_secrets_are_masked_in_the_log(
    setup: Setup, wandb_emulator_webhooks: WebhookReceiver
) -> None:
    insert_secret(setup.api, setup.user.team, "DEPLOY_TOKEN", "tok-123-secret")
    insert_secret(setup.api, setup.user.team, "SIGNING", "sig-456-secret")
    action = setup.webhook(
        wandb_emulator_webhooks.url,
        payload={"token": "${ACCESS_TOKEN}", "signing": "${SIGNING}"},
        access_token_ref="DEPLOY_TOKEN",
        secret_ref="SIGNING",
    )
    setup.automate(action, "with-secrets")
    setup.publish(setup.alias_added())
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert request.headers["Authorization"] == "Bearer tok-123-secret"
    assert request.json == {"token": "tok-123-secret", "signing": "sig-456-secret"}
    [logged] = _deliveries(setup, "with-secrets")
    assert logged["payload"] == {"token": "********", "signing": "********"}
    assert logged["headers"]["Authorization"] == "Bearer ********"
    served = httpx.get(
        f"{setup.emulator.base_url}/_emulator/deliveries",
        headers=setup.emulator.control_headers,
        timeout=10,
    )
    assert served.status_code == 200
    assert "secret" not in served.text.replace("with-secrets", "")


def test_retries_with_backoff_on_5xx(
    setup: Setup, wandb_emulator_webhooks: WebhookReceiver
) -> None:
    wandb_emulator_webhooks.respond_with([500, 503])
    setup.automate(setup.webhook(wandb_emulator_webhooks.url), "flaky")
    setup.publish(setup.alias_added())
    wandb_emulator_webhooks.wait_for(3)
    [logged] = _deliveries(setup, "flaky")
    assert [a["status"] for a in logged["attempts"]] == [500, 503, 200]
    assert logged["outcome"] == "delivered"
    assert logged["url"] == wandb_emulator_webhooks.url


def test_gives_up_after_the_retries_and_never_retries_4xx(
    setup: Setup, wandb_emulator_webhooks: WebhookReceiver
) -> None:
    setup.emulator.configure_deliveries(retries=2)
    wandb_emulator_webhooks.respond_with([502, 502, 502, 404])
    setup.automate(setup.webhook(wandb_emulator_webhooks.url), "down")
    setup.publish(setup.alias_added())
    setup.publish(setup.alias_added())
    first, second = _deliveries(setup, "down")
    assert [a["status"] for a in first["attempts"]] == [502, 502, 502]
    assert first["outcome"] == "failed"
    assert [a["status"] for a in second["attempts"]] == [404]
    assert second["outcome"] == "failed"


def test_connection_errors_are_retried(setup: Setup, wandb_emulator_webhooks) -> None:
    closed = WebhookReceiver()
    url = closed.url
    closed.stop()  # nothing listens there any more
    setup.emulator.configure_deliveries(retries=1)
    setup.automate(setup.webhook(url), "unreachable")
    setup.publish(setup.alias_added())
    [logged] = _deliveries(setup, "unreachable")
    assert [a["status"] for a in logged["attempts"]] == [None, None]
    assert all("Connect" in a["error"] for a in logged["attempts"])
    assert logged["outcome"] == "failed"


def test_fault_rules_apply_to_deliveries(
    setup: Setup, wandb_emulator_webhooks: WebhookReceiver, wandb_emulator_faults
) -> None:
    rule = wandb_emulator_faults.add(webhook="*/hook", status=502, times=2)
    setup.automate(setup.webhook(wandb_emulator_webhooks.url), "faulty")
    setup.publish(setup.alias_added())
    [logged] = _deliveries(setup, "faulty")
    assert [(a["status"], a["fault"]) for a in logged["attempts"]] == [
        (502, rule.id),
        (502, rule.id),
        (200, None),
    ]
    assert len(wandb_emulator_webhooks.requests) == 1  # the faulted attempts never left


def test_delivery_is_asynchronous_by_default(setup: Setup) -> None:
    """Without the fixture's synchronous mode, the event's publisher does not wait."""
    with WebhookReceiver() as receiver:
        receiver.hold()
        setup.automate(setup.webhook(receiver.url), "async")
        setup.publish(setup.alias_added())  # returns while the receiver holds the request
        [pending] = [
            d for d in setup.emulator.deliveries(wait=False) if d["automation"]["name"] == "async"
        ]
        assert pending["outcome"] == "pending"
        receiver.release()
        receiver.wait_for(1)
        [done] = _deliveries(setup, "async")
        assert done["outcome"] == "delivered"


def test_slack_notifications_are_recorded_and_posted_to_loopback(
    setup: Setup, wandb_emulator_webhooks: WebhookReceiver
) -> None:
    team = setup.user.team
    posted = setup.emulator.add_slack_integration(
        team, "acme", "#models", wandb_emulator_webhooks.url
    )
    offline = setup.emulator.add_slack_integration(team, "acme", "#elsewhere")
    channels = {i.id: i.channel_name for i in setup.api.slack_integrations(entity=team)}
    assert channels == {posted: "#models", offline: "#elsewhere"}
    for name, integration in (("posted", posted), ("offline", offline)):
        action = SendNotification(
            integration_id=integration,
            title="New ${alias} model",
            message="${artifact_version_string} is ready",
            severity="WARN",
        )
        setup.automate(action, name)
    setup.publish(setup.alias_added())
    [request] = wandb_emulator_webhooks.wait_for(1)
    message = request.json
    assert message["text"] == f"[WARN] New production model: {team}/train/clf:v0 is ready"
    assert message["severity"] == "WARN"
    [offline_delivery] = _deliveries(setup, "offline")
    assert offline_delivery["outcome"] == "recorded"
    assert offline_delivery["url"] is None
    assert offline_delivery["payload"]["text"] == message["text"]
    assert _deliveries(setup, "posted")[0]["outcome"] == "delivered"


def test_do_nothing_is_recorded(setup: Setup, wandb_emulator_webhooks: WebhookReceiver) -> None:
    setup.automate(DoNothing(), "noop")
    setup.publish(setup.alias_added())
    [logged] = _deliveries(setup, "noop")
    assert (logged["action"], logged["outcome"], logged["url"]) == ("NO_OP", "recorded", None)
    assert logged["event"]["type"] == "ADD_ARTIFACT_ALIAS"
    assert wandb_emulator_webhooks.requests == []


def test_delivery_settings_endpoint(setup: Setup) -> None:
    url = f"{setup.emulator.base_url}/_emulator/automations"
    headers = setup.emulator.control_headers
    before = httpx.get(url, headers=headers, timeout=10).json()
    assert set(before) == {"synchronous", "timeout_s", "retries", "backoff_ms"}
    assert httpx.post(url, json={"retries": -1}, headers=headers, timeout=10).status_code == 400
    assert httpx.post(url, json={"bogus": 1}, headers=headers, timeout=10).status_code == 400
    changed = httpx.post(url, json={"retries": 5}, headers=headers, timeout=10).json()
    assert changed["retries"] == 5
    httpx.post(url, json=before, headers=headers, timeout=10)


def test_payload_is_valid_json_whatever_the_values(
    setup: Setup, wandb_emulator_webhooks: WebhookReceiver
) -> None:
    setup.automate(
        setup.webhook(wandb_emulator_webhooks.url, payload={"a": 'quote " ${alias} \\ end'}),
        "quotes",
    )
    setup.publish(setup.alias_added('we"ird\\alias'))
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert json.loads(request.body)["a"] == 'quote " we"ird\\alias \\ end'


def test_each_attempt_has_a_bounded_timeout(
    setup: Setup, wandb_emulator_webhooks: WebhookReceiver
) -> None:
    setup.emulator.configure_deliveries(timeout_s=0.2, retries=1)
    wandb_emulator_webhooks.respond_with([200, 200], delay_s=2)  # slower than the timeout
    setup.automate(setup.webhook(wandb_emulator_webhooks.url), "slow")
    setup.publish(setup.alias_added())
    [logged] = _deliveries(setup, "slow")
    assert [a["status"] for a in logged["attempts"]] == [None, None]
    assert all("Timeout" in a["error"] for a in logged["attempts"])
    assert logged["outcome"] == "failed"


def test_a_latency_fault_delays_the_attempt_and_is_logged(
    setup: Setup, wandb_emulator_webhooks: WebhookReceiver, wandb_emulator_faults
) -> None:
    rule = wandb_emulator_faults.add(webhook=wandb_emulator_webhooks.url, latency_ms=50, times=1)
    setup.automate(setup.webhook(wandb_emulator_webhooks.url), "delayed")
    setup.publish(setup.alias_added())
    [logged] = _deliveries(setup, "delayed")
    [attempt] = logged["attempts"]
    assert (attempt["status"], attempt["fault"]) == (200, rule.id)
    assert [r.hits for r in wandb_emulator_faults.rules()] == [1]  # the rule as stored
