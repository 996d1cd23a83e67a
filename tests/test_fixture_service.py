"""The local-testcontainer fixture protocol on the fixture port."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from wandb_emulator.testing import RunningEmulator
from wandb_emulator.testing.accounts import random_name

WHO_AM_I = "{ viewer { username organizations { name } teams { edges { node { name } } } } }"


def command(server: RunningEmulator, resource: str, body: dict[str, Any]) -> httpx.Response:
    return httpx.post(f"{server.fixture_url}/db/{resource}", json=body, timeout=10)


def ok(response: httpx.Response) -> dict[str, Any]:
    assert response.status_code == 200, response.text
    return response.json()


def user_up(server: RunningEmulator) -> str:
    username = random_name("user", 40)
    body = {"command": "up", "username": username, "password": None, "admin": False}
    assert ok(command(server, "user", body))["apiKey"] == username
    body = {"command": "password", "username": username, "password": username, "admin": False}
    ok(command(server, "user", body))
    return username


def org_up(server: RunningEmulator, owner: str) -> str:
    name = random_name("org")
    body = {"command": "up", "orgName": name, "username": owner, "fixtureData": None}
    assert ok(command(server, "organization", body))["orgEntityName"] == f"{name}-org"
    return name


def team_body(name: str, org: str, owner: str) -> dict[str, Any]:
    data = {"planName": "enterprise", "team": {"name": name}, "organization": {"name": org}}
    return {"command": "up", "username": owner, "fixtureData": data}


def team_up(server: RunningEmulator, org: str, owner: str) -> str:
    name = random_name("team")
    ok(command(server, "team", team_body(name, org, owner)))
    return name


def test_health(server: RunningEmulator) -> None:
    assert httpx.get(server.fixture_url + "/health").status_code == 200


def test_user_up_gives_a_key_equal_to_the_username(server: RunningEmulator) -> None:
    user = user_up(server)
    viewer = server.graphql(user, WHO_AM_I).json()["data"]["viewer"]
    # `teams` lists the user's own entity too, as on W&B.
    own = {"edges": [{"node": {"name": user}}]}
    assert viewer == {"username": user, "organizations": [], "teams": own}


def test_user_down_revokes_access(server: RunningEmulator) -> None:
    user = user_up(server)
    ok(command(server, "user", {"command": "down", "username": user}))
    assert server.graphql(user, WHO_AM_I).status_code == 401


def test_org_members_and_teams(server: RunningEmulator) -> None:
    owner, viewer = user_up(server), user_up(server)
    org = org_up(server, owner)
    members = {"members": [{"username": viewer, "role": "viewer"}]}
    body = {"command": "add_members", "orgName": org, "fixtureData": members}
    ok(command(server, "organization", body))
    team = team_up(server, org, owner)
    me = server.graphql(owner, WHO_AM_I).json()["data"]["viewer"]
    assert me["organizations"] == [{"name": org}]
    assert me["teams"]["edges"] == [{"node": {"name": n}} for n in (owner, team)]
    them = server.graphql(viewer, WHO_AM_I).json()["data"]["viewer"]
    assert them["organizations"] == [{"name": org}]


def test_org_down_removes_its_teams(server: RunningEmulator) -> None:
    owner = user_up(server)
    org = org_up(server, owner)
    team = team_up(server, org, owner)
    ok(command(server, "organization", {"command": "down", "orgName": org}))
    me = server.graphql(owner, WHO_AM_I).json()["data"]["viewer"]
    assert me["organizations"] == []
    assert me["teams"]["edges"] == [{"node": {"name": owner}}]
    query = "query ($n: String) { entity(name: $n) { id } }"
    assert server.graphql(owner, query, {"n": team}).json()["data"]["entity"] is None


@pytest.mark.parametrize(
    ("resource", "body", "status"),
    [
        ("user", {"command": "explode", "username": "x"}, 400),
        ("user", {"command": "up"}, 400),
        ("nothing", {"command": "up"}, 404),
        ("team", team_body("t", "missing-org", "x"), 404),
        (
            "organization",
            {"command": "add_members", "orgName": "missing-org", "fixtureData": {"members": []}},
            404,
        ),
    ],
)
def test_bad_commands_are_client_errors(
    server: RunningEmulator, resource: str, body: dict, status: int
) -> None:
    response = command(server, resource, body)
    assert response.status_code == status
    assert response.json()["error"]


def test_duplicate_team_name_across_orgs_conflicts(server: RunningEmulator) -> None:
    owner = user_up(server)
    org_a, org_b = org_up(server, owner), org_up(server, owner)
    name = random_name("shared")
    assert command(server, "team", team_body(name, org_a, owner)).status_code == 200
    assert command(server, "team", team_body(name, org_b, owner)).status_code == 400
