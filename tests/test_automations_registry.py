"""Artifact and registry automations end to end with the real SDK: each event type the
SDK offers, caused by the SDK call that makes it, delivered to a loopback receiver."""

from __future__ import annotations

from pathlib import Path

import pytest
import wandb
from wandb.automations import (
    ArtifactEvent,
    OnAddArtifactAlias,
    OnAddArtifactTag,
    OnAddCollectionTag,
    OnCreateArtifact,
    OnLinkArtifact,
    OnRemoveArtifactTag,
    OnRemoveCollectionTag,
    OnUnlinkArtifact,
    SendWebhook,
)

from wandb_emulator.testing import EmulatorUser, RunningEmulator
from wandb_emulator.testing.webhooks import WebhookReceiver, create_webhook_integration

PAYLOAD = {
    "event": "${event_type}",
    "version": "${artifact_version_string}",
    "collection": "${artifact_collection_name}",
    "alias": "${alias}",
    "tag": "${tag}",
    "by": "${event_author}",
}


def _log(user: EmulatorUser, tmp_path: Path, content: bytes, name: str = "classifier"):
    settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
    with wandb.init(entity=user.team, project="training", settings=settings) as run:
        model = wandb.Artifact(name, type="model", metadata={"accuracy": 0.93})
        path = tmp_path / f"{content.hex()}.pt"
        path.write_bytes(content)
        model.add_file(str(path), name="model.pt")
        run.log_artifact(model)
    model.wait()
    return model


def _hook(user: EmulatorUser, receiver: WebhookReceiver) -> SendWebhook:
    hook = create_webhook_integration(user.api(), user.team, "ci", receiver.url)
    return SendWebhook.from_integration(hook, payload=PAYLOAD)


@pytest.fixture
def registry(wandb_emulator_user: EmulatorUser, tmp_path: Path):
    """Registry `models` with the collection `classifier` holding v0."""
    api = wandb_emulator_user.api()
    api.create_registry("models", visibility="organization", organization=None)
    _log(wandb_emulator_user, tmp_path, b"v0").link("wandb-registry-models/classifier")
    return api.registry("models")


def _collection(registry):
    return next(registry.collections())


def test_readme_example(wandb_emulator_user, wandb_emulator_webhooks, tmp_path) -> None:
    """The example of the README's Automations section, as written there."""
    api = wandb.Api()
    api.create_registry("models", visibility="organization")
    with wandb.init(project="training") as run:
        model = wandb.Artifact("classifier", type="model", metadata={"accuracy": 0.93})
        (tmp_path / "model.pt").write_bytes(b"weights")
        model.add_file(str(tmp_path / "model.pt"))
        run.log_artifact(model)
        run.link_artifact(model, "wandb-registry-models/classifier")
    collection = next(api.registry("models").collections())

    hook = create_webhook_integration(
        api, wandb_emulator_user.team, "deploy", wandb_emulator_webhooks.url
    )
    api.create_automation(
        OnAddArtifactAlias(scope=collection, filter=ArtifactEvent.alias.eq("production"))
        >> SendWebhook.from_integration(
            hook,
            payload={
                "version": "${artifact_version_string}",
                "alias": "${alias}",
                "accuracy": "${artifact_metadata.accuracy}",
                "by": "${event_author}",
            },
        ),
        name="deploy-production",
    )

    model.link("wandb-registry-models/classifier", aliases=["production"])

    [request] = wandb_emulator_webhooks.wait_for(1, timeout=10)
    assert request.json == {
        "version": f"{wandb_emulator_user.org_entity}/wandb-registry-models/classifier:v0",
        "alias": "production",
        "accuracy": 0.93,
        "by": wandb_emulator_user.username,
    }
    assert request.headers["Content-Type"] == "application/json"


def test_link_to_a_registry_fires_with_the_alias_filter(
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
    registry,
    tmp_path: Path,
) -> None:
    user = wandb_emulator_user
    event = OnLinkArtifact(scope=registry, filter=ArtifactEvent.alias.eq("candidate"))
    user.api().create_automation(event >> _hook(user, wandb_emulator_webhooks), name="links")
    _log(user, tmp_path, b"v1").link("wandb-registry-models/classifier")  # no alias
    _log(user, tmp_path, b"v2").link("wandb-registry-models/classifier", aliases=["candidate"])
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert request.json == {
        "event": "LINK_MODEL",
        "version": f"{user.org_entity}/wandb-registry-models/classifier:v2",
        "collection": "classifier",
        "alias": "candidate",
        "tag": "${tag}",
        "by": user.username,
    }


def test_link_into_a_collection_fires_for_new_versions_only(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
    registry,
    tmp_path: Path,
) -> None:
    user = wandb_emulator_user
    event = OnLinkArtifact(scope=_collection(registry))
    user.api().create_automation(event >> _hook(user, wandb_emulator_webhooks), name="c-links")
    source = _log(user, tmp_path, b"v1")
    source.link("wandb-registry-models/classifier")
    source.link("wandb-registry-models/classifier", aliases=["again"])  # linked already
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert request.json["version"] == f"{user.org_entity}/wandb-registry-models/classifier:v1"
    assert len(wandb_emulator.deliveries()) == 1


def test_unlink_fires(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
    registry,
) -> None:
    user = wandb_emulator_user
    event = OnUnlinkArtifact(scope=_collection(registry))
    user.api().create_automation(event >> _hook(user, wandb_emulator_webhooks), name="unlinks")
    user.api().artifact("wandb-registry-models/classifier:v0").unlink()
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert request.json["event"] == "UNLINK_ARTIFACT"
    assert request.json["collection"] == "classifier"


def test_artifact_tags_added_and_removed(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
    registry,
) -> None:
    user, api = wandb_emulator_user, wandb_emulator_user.api()
    action = _hook(user, wandb_emulator_webhooks)
    api.create_automation(
        OnAddArtifactTag(scope=registry, filter=ArtifactEvent.tag.eq("approved")) >> action,
        name="tagged",
    )
    api.create_automation(OnRemoveArtifactTag(scope=registry) >> action, name="untagged")
    version = api.artifact("wandb-registry-models/classifier:v0")
    version.tags = ["approved", "fast"]
    version.save()
    version = api.artifact("wandb-registry-models/classifier:v0")
    version.tags = ["fast"]
    version.save()
    added, removed = wandb_emulator_webhooks.wait_for(2)
    assert (added.json["event"], added.json["tag"]) == ("ADD_ARTIFACT_TAG", "approved")
    assert (removed.json["event"], removed.json["tag"]) == ("REMOVE_ARTIFACT_TAG", "approved")
    names = [d["automation"]["name"] for d in wandb_emulator.deliveries()]
    assert names == ["tagged", "untagged"]  # "fast" matched neither


def test_collection_tags_added_and_removed(
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
    registry,
) -> None:
    user, api = wandb_emulator_user, wandb_emulator_user.api()
    collection = _collection(registry)
    action = _hook(user, wandb_emulator_webhooks)
    api.create_automation(OnAddCollectionTag(scope=collection) >> action, name="ctag")
    api.create_automation(OnRemoveCollectionTag(scope=collection) >> action, name="cuntag")
    collection.tags = ["vision"]
    collection.save()
    collection = _collection(api.registry("models"))
    collection.tags = []
    collection.save()
    added, removed = wandb_emulator_webhooks.wait_for(2)
    assert (added.json["event"], added.json["tag"]) == ("ADD_COLLECTION_TAG", "vision")
    assert (removed.json["event"], removed.json["tag"]) == ("REMOVE_COLLECTION_TAG", "vision")
    assert added.json["collection"] == "classifier"


def test_create_artifact_fires_for_each_new_version(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
    tmp_path: Path,
) -> None:
    user, api = wandb_emulator_user, wandb_emulator_user.api()
    _log(user, tmp_path, b"first", name="detector")
    collection = api.artifact_collection("model", f"{user.team}/training/detector")
    event = OnCreateArtifact(scope=collection)
    api.create_automation(event >> _hook(user, wandb_emulator_webhooks), name="created")
    _log(user, tmp_path, b"second", name="detector")
    _log(user, tmp_path, b"second", name="detector")  # same content: no new version
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert request.json["event"] == "CREATE_ARTIFACT"
    assert request.json["version"] == f"{user.team}/training/detector:v1"
    assert len(wandb_emulator.deliveries()) == 1


def test_project_scope_sees_every_collection(
    wandb_emulator_user: EmulatorUser,
    wandb_emulator_webhooks: WebhookReceiver,
    registry,
    tmp_path: Path,
) -> None:
    user, api = wandb_emulator_user, wandb_emulator_user.api()
    event = OnAddArtifactAlias(scope=registry, filter=ArtifactEvent.alias.matches_regex("^prod"))
    api.create_automation(event >> _hook(user, wandb_emulator_webhooks), name="any-prod")
    _log(user, tmp_path, b"other", name="other").link(
        "wandb-registry-models/other", aliases=["production-eu"]
    )
    [request] = wandb_emulator_webhooks.wait_for(1)
    assert (request.json["collection"], request.json["alias"]) == ("other", "production-eu")


def test_registry_automations_are_invisible_outside_the_registry(
    wandb_emulator: RunningEmulator,
    wandb_emulator_user: EmulatorUser,
    registry,
) -> None:
    user, api = wandb_emulator_user, wandb_emulator_user.api()
    from wandb.automations import DoNothing

    api.create_automation(OnLinkArtifact(scope=registry) >> DoNothing(), name="private")
    assert [a.name for a in api.automations(entity=user.org_entity)] == ["private"]
    stranger = wandb_emulator.new_user()
    assert list(stranger.api().automations(entity=user.org_entity)) == []
