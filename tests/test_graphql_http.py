"""The /graphql endpoint's error handling where it needs real SDK state (the edge cases
that need no SDK run in process: tests/test_graphql_edges.py)."""

from __future__ import annotations

from conftest import OrgSetup, instance_admin_api


def test_failed_mutations_leave_no_partial_state(org_setup: OrgSetup, server) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("atomic", "organization", organization=org_setup.org)
    colleague = api.user(org_setup.member().username)
    outsider_account = org_setup.accounts.user()
    org_setup.accounts.org(outsider_account)  # a member of another organization
    outsider = instance_admin_api(server.base_url).user(outsider_account.username)
    mutation = """mutation ($input: CreateProjectMembersInput!) {
      createProjectMembers(input: $input) { success } }"""
    response = server.graphql(
        org_setup.admin.api_key,
        mutation,
        {"input": {"projectId": registry.id, "userIds": [colleague.id, outsider.id]}},
    )
    assert "not a member of the registry's organization" in response.json()["errors"][0]["message"]
    assert [m.user.username for m in registry.user_members()] == [org_setup.admin.username]
