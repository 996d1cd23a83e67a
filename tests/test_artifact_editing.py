"""Editing through the SDK: aliases, tags, descriptions, collection renames, deletion."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import OrgSetup, log_artifacts
from wandb.errors import CommError

MODEL = {"m.bin": b"model"}


@pytest.fixture
def linked(org_setup: OrgSetup, tmp_path: Path):
    api = org_setup.admin.api()
    api.create_registry("models", "organization", organization=org_setup.org)
    logged = log_artifacts(org_setup.admin, org_setup.team, [("src", "model", MODEL)], tmp_path)
    logged.artifacts[0].link("wandb-registry-models/edited", aliases=["staging"])
    return org_setup


def test_aliases_are_added_and_removed_with_save(linked: OrgSetup) -> None:
    api = linked.admin.api()
    artifact = api.artifact("wandb-registry-models/edited:staging")
    artifact.aliases.remove("staging")
    artifact.aliases.append("production")
    artifact.save()
    refetched = api.artifact("wandb-registry-models/edited:v0")
    assert set(refetched.aliases) == {"latest", "production"}
    assert not api.artifact_exists("wandb-registry-models/edited:staging")
    # Aliases of the source version are separate from those of the link.
    assert api.artifact(f"{linked.team}/training/src:v0").aliases == ["latest"]


def test_an_alias_moves_between_versions(linked: OrgSetup, tmp_path: Path) -> None:
    second = log_artifacts(linked.admin, linked.team, [("src", "model", {"m.bin": b"2"})], tmp_path)
    second.artifacts[0].link("wandb-registry-models/edited", aliases=["staging"])
    api = linked.admin.api()
    assert api.artifact("wandb-registry-models/edited:staging").version == "v1"
    assert "staging" not in api.artifact("wandb-registry-models/edited:v0").aliases


def test_artifact_tags_description_and_metadata(linked: OrgSetup) -> None:
    api = linked.admin.api()
    source = api.artifact(f"{linked.team}/training/src:v0")
    source.tags = ["reviewed", "fast"]
    source.description = "the reviewed model"
    source.metadata = {"acc": 0.9}
    source.save()
    again = api.artifact(f"{linked.team}/training/src:v0")
    assert sorted(again.tags) == ["fast", "reviewed"]
    assert again.description == "the reviewed model"
    assert again.metadata == {"acc": 0.9}
    again.tags = ["fast"]
    again.save()
    assert api.artifact(f"{linked.team}/training/src:v0").tags == ["fast"]


def test_collection_tags_description_and_rename(linked: OrgSetup) -> None:
    api = linked.admin.api()
    collection = api.artifact("wandb-registry-models/edited:latest").collection
    collection.description = "models we ship"
    collection.tags = ["shipping"]
    collection.name = "renamed"
    collection.save()
    registry = api.registry("models", linked.org)
    [found] = list(registry.collections())
    assert (found.name, found.description, found.tags) == (
        "renamed",
        "models we ship",
        ["shipping"],
    )
    assert api.artifact("wandb-registry-models/renamed:v0").version == "v0"
    found.tags = []
    found.save()
    assert next(iter(registry.collections())).tags == []


def test_delete_needs_delete_aliases(linked: OrgSetup) -> None:
    api = linked.admin.api()
    source = api.artifact(f"{linked.team}/training/src:v0")
    source.aliases.append("keep")
    source.save()
    with pytest.raises(CommError, match="delete_aliases=True"):
        api.artifact(f"{linked.team}/training/src:v0").delete()
    api.artifact(f"{linked.team}/training/src:v0").delete(delete_aliases=True)
    assert not api.artifact_exists(f"{linked.team}/training/src:v0")
    # Deleting the source removes its links too.
    assert not api.artifact_exists("wandb-registry-models/edited:v0")
    assert list(api.registry("models", linked.org).versions()) == []


def test_deleting_a_linked_version_unlinks_it(linked: OrgSetup) -> None:
    api = linked.admin.api()
    api.artifact("wandb-registry-models/edited:v0").delete()
    assert not api.artifact_exists("wandb-registry-models/edited:v0")
    assert api.artifact_exists(f"{linked.team}/training/src:v0")


def test_collection_delete(linked: OrgSetup) -> None:
    api = linked.admin.api()
    api.artifact("wandb-registry-models/edited:latest").collection.delete()
    assert list(api.registry("models", linked.org).collections()) == []
    assert not api.artifact_exists("wandb-registry-models/edited:latest")
    assert api.artifact_exists(f"{linked.team}/training/src:v0")


def test_viewers_cannot_edit(linked: OrgSetup) -> None:
    reader = linked.member()
    artifact = reader.api().artifact(f"{linked.org}/wandb-registry-models/edited:v0")
    artifact.aliases.append("mine")
    with pytest.raises(CommError, match="permission denied"):
        artifact.save()
