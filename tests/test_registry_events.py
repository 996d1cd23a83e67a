"""Registry changes made through the real SDK are announced once each, after commit, in
order, to a subscriber registered before start (`RunningEmulator.subscribe`); refused
operations announce nothing."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import pytest
import wandb
from conftest import RunningEmulator, instance_admin_api
from wandb.sdk.lib.service.service_connection import WandbApiFailedError

from wandb_emulator.domain.errors import NotFound
from wandb_emulator.domain.events import Event
from wandb_emulator.store import accounts, projects
from wandb_emulator.testing import EmulatorUser


@pytest.fixture
def running(tmp_path: Path) -> Iterator[tuple[RunningEmulator, list[Event]]]:
    emulator = RunningEmulator(tmp_path / "data")
    seen: list[Event] = []

    async def record(event: Event) -> None:
        seen.append(event)

    emulator.subscribe(record)
    with emulator:
        yield emulator, seen


def described(events: list[Event]) -> list[tuple[str, dict[str, Any]]]:
    """Each event's type and fields, without its timestamp."""
    return [(type(e).__name__, {k: v for k, v in asdict(e).items() if k != "at"}) for e in events]


def _colleague(emulator: RunningEmulator, owner: EmulatorUser) -> str:
    """A plain member of the owner's organization (API key = username, 40+ characters)."""
    username = "user-" + secrets.token_hex(20)
    emulator.seed(
        {
            "users": [{"username": username}],
            "organizations": [{"name": owner.organization, "members": [{"username": username}]}],
        }
    )
    return username


def _ids(emulator: RunningEmulator, owner: EmulatorUser, colleague: str) -> dict[str, int]:
    async def read() -> dict[str, int]:
        async with emulator.emulator.db.read() as conn:
            admin = await accounts.user_by_username(conn, owner.username)
            other = await accounts.user_by_username(conn, colleague)
            org = await accounts.org_by_name(conn, owner.organization)
            team = await accounts.entity_by_name(conn, owner.team)
            entity = await accounts.entity_by_name(conn, owner.org_entity)
            assert admin and other and org and team and entity
            registry = await projects.project_by_name(conn, entity.id, "wandb-registry-events")
            assert registry is not None
            return {
                "admin": admin.id,
                "colleague": other.id,
                "org": org.id,
                "team": team.id,
                "registry": registry.id,
            }

    return emulator.call(read())


def test_registry_lifecycle_events(running: tuple[RunningEmulator, list[Event]]) -> None:
    emulator, seen = running
    owner = emulator.new_user()
    colleague = _colleague(emulator, owner)
    assert seen == []  # users, organizations and teams are not registry changes

    api = owner.api()
    registry = api.create_registry("events", "restricted", organization=owner.organization)
    ids = _ids(emulator, owner, colleague)
    user, team = api.user(colleague), api.team(owner.team)
    registry.add_members(user, team)
    registry.add_members(user)  # already a member: nothing changes
    registry.update_member(user, "viewer")

    refused_at = len(seen)
    newcomer = api.user(_colleague(emulator, owner))
    instance_admin = instance_admin_api(emulator.base_url)
    outsider = instance_admin.user(emulator.new_user().username)  # in another organization
    with pytest.raises(WandbApiFailedError, match="not a member of the registry's organization"):
        registry.add_members(newcomer, outsider)  # all or nothing: the newcomer is not added
    with pytest.raises(WandbApiFailedError, match="invalid role 'owner'"):
        registry.update_member(user, "owner")
    colleague_api = wandb.Api(api_key=colleague, overrides={"base_url": emulator.base_url})
    visible = colleague_api.registry("events", organization=owner.organization)
    visible.description = "not mine to change"
    with pytest.raises(ValueError, match="Failed to save"):
        visible.save()
    with pytest.raises(ValueError, match="Failed to delete"):
        visible.delete()
    assert described(seen[refused_at:]) == []

    registry.description = "announced"
    registry.save()
    registry.save()  # the same values again: nothing changes
    registry.name = "events-renamed"
    registry.save()
    registry.remove_members(user, team)
    registry.delete()

    admin, project, org = ids["admin"], ids["registry"], ids["org"]
    assert described(seen) == [
        ("RegistryCreated", {"actor_id": admin, "project_id": project, "organization_id": org}),
        (
            "RegistryMemberAdded",
            {
                "actor_id": admin,
                "project_id": project,
                "role": "admin",
                "user_id": admin,
                "team_entity_id": None,
            },
        ),
        (
            "RegistryMemberAdded",
            {
                "actor_id": admin,
                "project_id": project,
                "role": "member",
                "user_id": ids["colleague"],
                "team_entity_id": None,
            },
        ),
        (
            "RegistryMemberAdded",
            {
                "actor_id": admin,
                "project_id": project,
                "role": "member",
                "user_id": None,
                "team_entity_id": ids["team"],
            },
        ),
        (
            "RegistryMemberRoleChanged",
            {
                "actor_id": admin,
                "project_id": project,
                "role": "viewer",
                "user_id": ids["colleague"],
                "team_entity_id": None,
            },
        ),
        (
            "RegistryUpdated",
            {
                "actor_id": admin,
                "project_id": project,
                "organization_id": org,
                "changed": ("description",),
            },
        ),
        (
            "RegistryUpdated",
            {
                "actor_id": admin,
                "project_id": project,
                "organization_id": org,
                "changed": ("name",),
            },
        ),
        (
            "RegistryMemberRemoved",
            {
                "actor_id": admin,
                "project_id": project,
                "user_id": ids["colleague"],
                "team_entity_id": None,
            },
        ),
        (
            "RegistryMemberRemoved",
            {
                "actor_id": admin,
                "project_id": project,
                "user_id": None,
                "team_entity_id": ids["team"],
            },
        ),
        (
            "RegistryDeleted",
            {
                "actor_id": admin,
                "project_id": project,
                "organization_id": org,
                "name": "wandb-registry-events-renamed",
            },
        ),
    ]


def test_seeded_registries_are_announced_as_the_system(
    running: tuple[RunningEmulator, list[Event]],
) -> None:
    emulator, seen = running
    owner = emulator.new_user()
    emulator.seed(
        {
            "registries": [
                {
                    "name": "seeded",
                    "organization": owner.organization,
                    "members": [{"username": owner.username, "role": "viewer"}],
                }
            ]
        }
    )
    emulator.seed({"registries": [{"name": "seeded", "organization": owner.organization}]})
    broken = {
        "name": "broken",
        "organization": owner.organization,
        "members": [{"username": "nobody"}],
    }
    with pytest.raises(NotFound, match="user 'nobody' not found"):
        emulator.seed({"registries": [broken]})  # created, then rolled back: not announced
    assert [(type(e).__name__, e.actor_id) for e in seen] == [
        ("RegistryCreated", None),
        ("RegistryMemberAdded", None),
    ]
