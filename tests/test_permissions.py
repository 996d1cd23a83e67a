"""Server-side permission rules for registries, observed through the real SDK."""

from __future__ import annotations

import pytest
from conftest import OrgSetup
from wandb.errors import CommError
from wandb.sdk.lib.service.service_connection import WandbApiFailedError


def names(api, org: str) -> list[str]:
    return sorted(r.name for r in api.registries(organization=org))


def test_restricted_registry_is_invisible_to_non_members(org_setup: OrgSetup) -> None:
    admin_api = org_setup.admin.api()
    admin_api.create_registry("secret", "restricted", organization=org_setup.org)
    admin_api.create_registry("open", "organization", organization=org_setup.org)
    colleague = org_setup.member()
    api = colleague.api()
    assert names(api, org_setup.org) == ["open"]
    with pytest.raises(ValueError, match="Failed to load registry 'secret'"):
        api.registry("secret", org_setup.org)

    admin_api.registry("secret", org_setup.org).add_members(admin_api.user(colleague.username))
    assert names(api, org_setup.org) == ["open", "secret"]
    assert api.registry("secret", org_setup.org).visibility == "restricted"


def test_team_membership_grants_access(org_setup: OrgSetup) -> None:
    admin_api = org_setup.admin.api()
    registry = admin_api.create_registry("via-team", "restricted", organization=org_setup.org)
    colleague = org_setup.member()
    admin_api.team(org_setup.team).invite(colleague.username)
    assert names(colleague.api(), org_setup.org) == []

    registry.add_members(admin_api.team(org_setup.team))
    registry.update_member(admin_api.team(org_setup.team), "admin")
    via_team = colleague.api().registry("via-team", org_setup.org)
    via_team.description = "edited by a team admin"
    via_team.save()
    registry.load()
    assert registry.description == "edited by a team admin"


def test_users_outside_the_org_see_nothing(org_setup: OrgSetup) -> None:
    org_setup.admin.api().create_registry("internal", "organization", organization=org_setup.org)
    outsider = org_setup.accounts.user().api()
    with pytest.raises(CommError, match="not found"):
        outsider.organization(org_setup.org)
    with pytest.raises(ValueError, match="not found"):
        list(outsider.registries(organization=org_setup.org))
    with pytest.raises(CommError, match="not found"):
        outsider.registry("internal", org_setup.org)


@pytest.mark.parametrize("role", ["viewer", "restricted_viewer", "member"])
def test_non_admin_roles_cannot_modify_the_registry(org_setup: OrgSetup, role: str) -> None:
    admin_api = org_setup.admin.api()
    registry = admin_api.create_registry("guarded", "organization", organization=org_setup.org)
    colleague = org_setup.member()
    other = admin_api.user(org_setup.member().username)
    registry.add_members(admin_api.user(colleague.username))
    registry.update_member(admin_api.user(colleague.username), role)

    mine = colleague.api().registry("guarded", org_setup.org)
    mine.description = "vandalized"
    with pytest.raises(ValueError, match="Failed to save registry"):
        mine.save()
    with pytest.raises(ValueError, match="Failed to delete registry"):
        mine.delete()
    with pytest.raises(WandbApiFailedError, match="permission denied"):
        mine.add_members(other)
    with pytest.raises(WandbApiFailedError, match="permission denied"):
        mine.update_member(admin_api.user(org_setup.admin.username), "viewer")
    with pytest.raises(WandbApiFailedError, match="permission denied"):
        mine.remove_members(admin_api.user(org_setup.admin.username))

    registry.load()
    assert registry.description is None
    assert {m.user.username for m in registry.user_members()} == {
        org_setup.admin.username,
        colleague.username,
    }


def test_org_members_are_viewers_of_organization_registries(org_setup: OrgSetup) -> None:
    org_setup.admin.api().create_registry("shared", "organization", organization=org_setup.org)
    reader = org_setup.member().api().registry("shared", org_setup.org)
    reader.description = "nope"
    with pytest.raises(ValueError, match="Failed to save registry"):
        reader.save()


def test_registry_admin_may_manage_members(org_setup: OrgSetup) -> None:
    admin_api = org_setup.admin.api()
    registry = admin_api.create_registry("delegated", "restricted", organization=org_setup.org)
    deputy = org_setup.member()
    registry.add_members(admin_api.user(deputy.username))
    registry.update_member(admin_api.user(deputy.username), "admin")
    newcomer = org_setup.member()
    deputy_view = deputy.api().registry("delegated", org_setup.org)
    deputy_view.add_members(deputy.api().user(newcomer.username))
    assert newcomer.username in {m.user.username for m in registry.user_members()}


def test_org_viewers_cannot_create_registries(org_setup: OrgSetup) -> None:
    viewer = org_setup.member("viewer")
    with pytest.raises(ValueError, match="Failed to create registry"):
        viewer.api().create_registry("mine", "organization", organization=org_setup.org)
    assert names(org_setup.admin.api(), org_setup.org) == []


def test_org_members_may_create_registries_and_administer_them(org_setup: OrgSetup) -> None:
    creator = org_setup.member("member")
    registry = creator.api().create_registry("own", "restricted", organization=org_setup.org)
    registry.description = "mine"
    registry.save()
    assert org_setup.admin.api().registry("own", org_setup.org).description == "mine"
