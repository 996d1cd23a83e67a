"""Users, API keys, organizations and teams through the real SDK."""

from __future__ import annotations

import json

import pytest
import wandb
from conftest import OrgSetup, instance_admin_api
from wandb.errors import AuthenticationError, CommError
from wandb.sdk.lib.service.service_connection import WandbApiFailedError

from wandb_emulator.testing import Accounts, RunningEmulator

UPDATE_DEFAULT_ENTITY = """
mutation ($entity: String!) { updateUser(input: {defaultEntity: $entity}) { user { entity } } }
"""


def test_unknown_api_key_is_an_authentication_error(server: RunningEmulator) -> None:
    with pytest.raises(AuthenticationError, match="invalid API key"):
        _ = wandb.Api(api_key="x" * 40, overrides={"base_url": server.base_url}).viewer


def test_viewer_and_default_entity(accounts: Accounts) -> None:
    user = accounts.user()
    api = user.api()
    assert api.viewer.username == user.username
    assert api.default_entity == user.username


def test_update_user_changes_the_default_entity(org_setup: OrgSetup, server) -> None:
    response = server.graphql(
        org_setup.admin.api_key, UPDATE_DEFAULT_ENTITY, {"entity": org_setup.team}
    )
    assert response.json()["data"]["updateUser"]["user"]["entity"] == org_setup.team
    assert org_setup.admin.api().default_entity == org_setup.team
    response = server.graphql(
        org_setup.admin.api_key, UPDATE_DEFAULT_ENTITY, {"entity": "no-such-entity"}
    )
    assert "not found" in response.json()["errors"][0]["message"]


def test_organization_and_its_org_entity(org_setup: OrgSetup) -> None:
    org = org_setup.admin.api().organization(org_setup.org)
    assert org.name == org_setup.org
    assert org.org_entity.name == org_setup.admin.org_entity
    with pytest.raises(CommError, match="Organization 'missing-org' not found"):
        org_setup.admin.api().organization("missing-org")


def test_organization_is_inferred_from_a_team_entity(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api(entity=org_setup.team)
    assert api.organization().name == org_setup.org


def test_user_search_by_username_and_email(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    found = api.user(org_setup.admin.username)
    assert found.username == org_setup.admin.username
    assert api.user(f"{org_setup.admin.username}@example.com").username == found.username
    assert [k for k in found.api_keys]  # the viewer sees their own keys
    # Not an instance admin: no search, and an unknown name is refused like a stranger.
    with pytest.raises(WandbApiFailedError, match="searching users is for instance admins"):
        api.user("nobody-by-this-name")
    instance_admin = instance_admin_api(org_setup.admin.base_url)
    assert instance_admin.user("nobody-by-this-name") is None


def test_team_lookup_lists_members(org_setup: OrgSetup) -> None:
    team = org_setup.admin.api().team(org_setup.team)
    assert team.name == org_setup.team
    assert [(m.username, m.admin, m.pending) for m in team.members] == [
        (org_setup.admin.username, True, False)
    ]


def test_create_team_invite_and_remove_member(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    team = api.create_team("squad-" + org_setup.org)
    assert team.name == "squad-" + org_setup.org
    assert [m.username for m in team.members] == [org_setup.admin.username]

    newcomer = org_setup.accounts.user()
    assert team.invite(newcomer.username) is True
    assert team.invite(newcomer.username) is False  # already a member
    team.load(force=True)
    member = next(m for m in team.members if m.username == newcomer.username)
    assert member.admin is False
    # Joining a team of an org makes the user a member of that org.
    assert newcomer.api().organization(org_setup.org).name == org_setup.org

    assert member.delete() is True
    assert [m.username for m in api.team(team.name).members] == [org_setup.admin.username]


def test_invite_by_unknown_email_is_pending(org_setup: OrgSetup) -> None:
    team = org_setup.admin.api().team(org_setup.team)
    assert team.invite("future.colleague@example.com") is True
    team.load(force=True)
    pending = [m for m in team.members if m.pending]
    assert [m.email for m in pending] == ["future.colleague@example.com"]
    assert pending[0].delete() is True
    team.load(force=True)
    assert not [m for m in team.members if m.pending]


def test_only_team_admins_invite(org_setup: OrgSetup) -> None:
    colleague = org_setup.member()
    org_setup.admin.api().team(org_setup.team).invite(colleague.username)
    as_member = colleague.api().team(org_setup.team)
    assert as_member.invite(org_setup.accounts.user().username) is False


def test_a_user_in_no_organization_creates_a_team_without_one(accounts: Accounts, server) -> None:
    loner = accounts.user()
    name = "lonely-" + loner.username[:20]
    team = loner.api().create_team(name)
    assert team.name == name
    assert [m.username for m in team.members] == [loner.username]
    query = "query ($n: String) { entity(name: $n) { isTeam organization { name } } }"
    response = server.graphql(loner.api_key, query, {"n": name})
    assert response.json()["data"]["entity"] == {"isTeam": True, "organization": None}


def test_instance_admins_create_users(server) -> None:
    from wandb_emulator.config import DEFAULT_SEED_FILE

    seed = json.loads(DEFAULT_SEED_FILE.read_text())
    admin_key = seed["users"][0]["apiKey"]
    api = wandb.Api(api_key=admin_key, overrides={"base_url": server.base_url})
    created = api.create_user("jane.doe@example.org")
    assert created.email == "jane.doe@example.org"
    assert created.username.startswith("jane-doe")
    assert api.user("jane.doe@example.org").username == created.username
    again = api.create_user("jane.doe@example.net")
    assert again.username != created.username


def test_only_instance_admins_create_users(accounts: Accounts) -> None:
    with pytest.raises(WandbApiFailedError, match="only instance admins"):
        accounts.user().api().create_user("someone@example.org")


def test_service_accounts_join_the_team(org_setup: OrgSetup) -> None:
    team = org_setup.admin.api().team(org_setup.team)
    account = team.create_service_account("CI uploader")
    assert account is not None
    assert account.account_type == "SERVICE"
    assert [m.account_type for m in org_setup.admin.api().team(org_setup.team).members] == [
        "USER",
        "SERVICE",
    ]


def test_viewer_teams_lists_the_own_entity_first(org_setup: OrgSetup, accounts: Accounts) -> None:
    admin = org_setup.admin.api()
    assert admin.viewer.teams == [org_setup.admin.username, org_setup.team]
    loner = accounts.user()  # in no team
    assert loner.api().viewer.teams == [loner.username]


def test_a_personal_entity_read_as_a_team_has_its_user_as_one_member(
    org_setup: OrgSetup, accounts: Accounts
) -> None:
    loner = accounts.user()
    [member] = loner.api().team(loner.username).members
    assert (member.username, member.account_type, member.admin) == (loner.username, "USER", True)
    [seen_by_other] = org_setup.admin.api().team(loner.username).members
    assert seen_by_other.username == loner.username
