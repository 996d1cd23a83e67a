"""The Registry lifecycle through the real SDK: create, load, save, rename, delete."""

from __future__ import annotations

import base64
import time

import pytest
from conftest import OrgSetup
from wandb.errors import CommError


def decode(global_id: str) -> str:
    return base64.b64decode(global_id).decode()


def test_create_registry_returns_every_property(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry(
        "models",
        "restricted",
        organization=org_setup.org,
        description="production models",
        artifact_types=["model", "dataset"],
    )
    assert registry.name == "models"
    assert registry.full_name == "wandb-registry-models"
    assert registry.organization == org_setup.org
    org_entity = api.organization(org_setup.org).org_entity.name
    assert registry.entity == org_entity != org_setup.org
    assert registry.path == [org_entity, "wandb-registry-models"]
    assert registry.description == "production models"
    assert registry.visibility == "restricted"
    assert registry.allow_all_artifact_types is False
    assert list(registry.artifact_types) == ["model", "dataset"]
    assert decode(registry.id).startswith("Project:")
    assert registry.created_at and registry.updated_at


def test_registry_fetched_by_name_matches_created(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    created = api.create_registry("data", "organization", organization=org_setup.org)
    fetched = api.registry("data", org_setup.org)
    assert fetched.id == created.id
    assert fetched.visibility == "organization"
    assert fetched.allow_all_artifact_types is True
    assert list(fetched.artifact_types) == []
    assert fetched.description is None


def test_organization_is_inferred_from_the_users_only_org(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("inferred", "organization")
    assert registry.organization == org_setup.org
    assert api.registry("inferred").id == registry.id
    assert [r.name for r in api.registries()] == ["inferred"]


def test_save_updates_description_visibility_and_timestamp(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("evolving", "organization", organization=org_setup.org)
    created_at, first_updated = registry.created_at, registry.updated_at
    time.sleep(1.1)
    registry.description = "now described"
    registry.visibility = "restricted"
    registry.save()
    assert registry.description == "now described"
    assert registry.visibility == "restricted"
    assert registry.updated_at > first_updated
    assert registry.created_at == created_at

    reloaded = api.registry("evolving", org_setup.org)
    assert (reloaded.description, reloaded.visibility) == ("now described", "restricted")
    reloaded.visibility = "organization"
    reloaded.save()
    registry.load()
    assert registry.visibility == "organization"


def test_artifact_types_are_add_only(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry(
        "typed", "organization", organization=org_setup.org, artifact_types=["model"]
    )
    registry.artifact_types.append("dataset")
    registry.save()
    assert list(api.registry("typed", org_setup.org).artifact_types) == ["model", "dataset"]
    with pytest.raises(ValueError, match="Cannot remove"):
        registry.artifact_types.remove("model")


def test_allow_all_artifact_types_toggles(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("toggle", "organization", organization=org_setup.org)
    registry.allow_all_artifact_types = False
    registry.artifact_types.append("model")
    registry.save()
    fetched = api.registry("toggle", org_setup.org)
    assert fetched.allow_all_artifact_types is False
    assert list(fetched.artifact_types) == ["model"]

    fetched.allow_all_artifact_types = True
    fetched.save()
    registry.load()
    assert registry.allow_all_artifact_types is True
    assert list(registry.artifact_types) == ["model"]


def test_types_cannot_be_added_while_all_types_are_allowed(org_setup: OrgSetup) -> None:
    registry = org_setup.admin.api().create_registry(
        "open", "organization", organization=org_setup.org
    )
    registry.artifact_types.append("model")
    with pytest.raises(ValueError, match="allows_all_artifact_types"):
        registry.save()


def test_rename_through_name_and_save(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("before", "organization", organization=org_setup.org)
    registry.name = "after"
    registry.save()
    assert registry.full_name == "wandb-registry-after"
    assert api.registry("after", org_setup.org).id == registry.id
    with pytest.raises(ValueError, match="Failed to load registry 'before'"):
        api.registry("before", org_setup.org)


def test_delete_makes_registry_unloadable(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("doomed", "organization", organization=org_setup.org)
    registry.delete()
    with pytest.raises(ValueError, match="Failed to load registry 'doomed'"):
        registry.load()
    with pytest.raises(ValueError, match="Failed to delete registry 'doomed'"):
        registry.delete()
    assert [r.name for r in api.registries(organization=org_setup.org)] == []
    # The name is free again.
    assert api.create_registry("doomed", "organization", organization=org_setup.org).name


def test_duplicate_name_is_refused(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    api.create_registry("twice", "organization", organization=org_setup.org)
    with pytest.raises(ValueError, match="Registry 'twice' already exists"):
        api.create_registry("twice", "restricted", organization=org_setup.org)


@pytest.mark.parametrize("name", ["", "a/b", "semi:colon", "x" * 200])
def test_invalid_names_are_refused(org_setup: OrgSetup, name: str) -> None:
    with pytest.raises(ValueError):
        org_setup.admin.api().create_registry(name, "organization", organization=org_setup.org)
    assert list(org_setup.admin.api().registries(organization=org_setup.org)) == []


def test_unknown_organization_is_refused(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    with pytest.raises(CommError, match="Organization 'no-such-org' not found"):
        api.create_registry("x", "organization", organization="no-such-org")
    with pytest.raises(CommError, match="Organization 'no-such-org' not found"):
        api.registry("x", organization="no-such-org")


def test_invalid_visibility_is_refused_client_side(org_setup: OrgSetup) -> None:
    with pytest.raises(ValueError, match="Invalid visibility"):
        org_setup.admin.api().create_registry("v", "public", organization=org_setup.org)


def test_unknown_registry_cannot_be_fetched(org_setup: OrgSetup) -> None:
    with pytest.raises(ValueError, match="Failed to load registry 'ghost'"):
        org_setup.admin.api().registry("ghost", org_setup.org)


def test_registry_class_create_and_load(org_setup: OrgSetup) -> None:
    from wandb.apis.public.registries.registry import Registry

    api = org_setup.admin.api()
    created = Registry.create(api, org_setup.org, "classy", "restricted", description="direct")
    entity = api.organization(org_setup.org).org_entity.name
    loaded = Registry(api._service_api, org_setup.org, entity, "classy")
    loaded.load()
    assert (loaded.id, loaded.description, loaded.visibility) == (
        created.id,
        "direct",
        "restricted",
    )
