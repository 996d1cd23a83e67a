"""Registry members through the real SDK: add, list, update roles, remove."""

from __future__ import annotations

import pytest
from conftest import OrgSetup, instance_admin_api
from wandb.sdk.lib.service.service_connection import WandbApiFailedError


def roles_of(registry) -> dict[str, str]:
    users = {m.user.username: m.role for m in registry.user_members()}
    teams = {m.team.name: m.role for m in registry.team_members()}
    return {**users, **teams}


def test_creator_is_the_first_admin(org_setup: OrgSetup) -> None:
    registry = org_setup.admin.api().create_registry(
        "owned", "restricted", organization=org_setup.org
    )
    assert roles_of(registry) == {org_setup.admin.username: "admin"}


def test_add_list_update_remove_members(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("team-space", "restricted", organization=org_setup.org)
    colleague = org_setup.member()
    user = api.user(colleague.username)
    team = api.team(org_setup.team)

    registry.add_members(user, team)
    assert roles_of(registry) == {
        org_setup.admin.username: "admin",
        colleague.username: "member",
        org_setup.team: "member",
    }
    members = registry.members()
    assert {type(m).__name__ for m in members} == {"UserMember", "TeamMember"}

    registry.update_member(user, "viewer").update_member(team, "restricted_viewer")
    assert roles_of(registry)[colleague.username] == "viewer"
    assert roles_of(registry)[org_setup.team] == "restricted_viewer"
    registry.update_member(user, "admin")
    assert roles_of(registry)[colleague.username] == "admin"

    registry.remove_members(user, team)
    assert roles_of(registry) == {org_setup.admin.username: "admin"}


def test_members_can_be_given_by_id_strings(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("by-id", "organization", organization=org_setup.org)
    colleague = api.user(org_setup.member().username)
    registry.add_members(colleague.id, api.team(org_setup.team).id)
    assert colleague.username in roles_of(registry)
    assert org_setup.team in roles_of(registry)


def test_adding_twice_keeps_the_role(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("stable", "organization", organization=org_setup.org)
    colleague = api.user(org_setup.member().username)
    registry.add_members(colleague)
    registry.update_member(colleague, "viewer")
    registry.add_members(colleague)
    assert roles_of(registry)[colleague.username] == "viewer"


def test_invalid_role_is_refused(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("roles", "organization", organization=org_setup.org)
    colleague = api.user(org_setup.member().username)
    registry.add_members(colleague)
    with pytest.raises(WandbApiFailedError, match="invalid role 'owner'"):
        registry.update_member(colleague, "owner")
    assert roles_of(registry)[colleague.username] == "member"


def test_updating_a_non_member_is_refused(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("strict", "organization", organization=org_setup.org)
    stranger = api.user(org_setup.member().username)
    with pytest.raises(WandbApiFailedError, match="is not a member"):
        registry.update_member(stranger, "viewer")


def test_users_of_another_org_cannot_be_added(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("closed", "organization", organization=org_setup.org)
    account = org_setup.accounts.user()
    org_setup.accounts.org(account)  # users in no organization may be added (W&B does)
    outsider = instance_admin_api(org_setup.admin.base_url).user(account.username)  # others may not
    with pytest.raises(WandbApiFailedError, match="not a member of the registry's organization"):
        registry.add_members(outsider)
    assert outsider.username not in roles_of(registry)


def test_add_members_needs_at_least_one(org_setup: OrgSetup) -> None:
    registry = org_setup.admin.api().create_registry(
        "none", "organization", organization=org_setup.org
    )
    with pytest.raises(TypeError):
        registry.add_members()
