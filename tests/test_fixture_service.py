"""The local-testcontainer fixture protocol on the fixture port."""

from __future__ import annotations

import httpx
import pytest
from conftest import FixtureClient, ServerProcess, graphql, unique

WHO_AM_I = "{ viewer { username organizations { name } teams { edges { node { name } } } } }"


def test_health(server: ServerProcess) -> None:
    assert httpx.get(server.fixture_url + "/health").status_code == 200


def test_user_up_gives_a_key_equal_to_the_username(fixtures: FixtureClient, server) -> None:
    user = fixtures.user()
    viewer = graphql(server, user.username, WHO_AM_I).json()["data"]["viewer"]
    # `teams` lists the user's own entity too, as on W&B.
    own = {"edges": [{"node": {"name": user.username}}]}
    assert viewer == {"username": user.username, "organizations": [], "teams": own}


def test_user_down_revokes_access(fixtures: FixtureClient, server) -> None:
    user = fixtures.user()
    fixtures.command("user", {"command": "down", "username": user.username})
    assert graphql(server, user.username, WHO_AM_I).status_code == 401


def test_org_members_and_teams(fixtures: FixtureClient, server) -> None:
    owner, viewer = fixtures.user(), fixtures.user()
    org = fixtures.org(owner)
    fixtures.add_org_member(org, viewer, "viewer")
    team = fixtures.team(org, owner)
    me = graphql(server, owner.username, WHO_AM_I).json()["data"]["viewer"]
    assert me["organizations"] == [{"name": org}]
    assert me["teams"]["edges"] == [{"node": {"name": n}} for n in (owner.username, team)]
    assert graphql(server, viewer.username, WHO_AM_I).json()["data"]["viewer"]["organizations"] == [
        {"name": org}
    ]


def test_org_down_removes_its_teams(fixtures: FixtureClient, server) -> None:
    owner = fixtures.user()
    org = fixtures.org(owner)
    team = fixtures.team(org, owner)
    fixtures.command("organization", {"command": "down", "orgName": org})
    me = graphql(server, owner.username, WHO_AM_I).json()["data"]["viewer"]
    assert me["organizations"] == []
    assert me["teams"]["edges"] == [{"node": {"name": owner.username}}]
    entity = graphql(
        server, owner.username, "query ($n: String) { entity(name: $n) { id } }", {"n": team}
    ).json()["data"]["entity"]
    assert entity is None


@pytest.mark.parametrize(
    ("resource", "body", "status"),
    [
        ("user", {"command": "explode", "username": "x"}, 400),
        ("user", {"command": "up"}, 400),
        ("nothing", {"command": "up"}, 404),
        (
            "team",
            {
                "command": "up",
                "username": "x",
                "fixtureData": {"team": {"name": "t"}, "organization": {"name": "missing-org"}},
            },
            404,
        ),
        (
            "organization",
            {"command": "add_members", "orgName": "missing-org", "fixtureData": {"members": []}},
            404,
        ),
    ],
)
def test_bad_commands_are_client_errors(server, resource: str, body: dict, status: int) -> None:
    response = httpx.post(f"{server.fixture_url}/db/{resource}", json=body)
    assert response.status_code == status
    assert response.json()["error"]


def test_duplicate_team_name_across_orgs_conflicts(fixtures: FixtureClient, server) -> None:
    owner = fixtures.user()
    org_a, org_b = fixtures.org(owner), fixtures.org(owner)
    name = unique("shared")
    for org in (org_a, org_b):
        response = httpx.post(
            f"{server.fixture_url}/db/team",
            json={
                "command": "up",
                "username": owner.username,
                "fixtureData": {"team": {"name": name}, "organization": {"name": org}},
            },
        )
    assert response.status_code == 400
