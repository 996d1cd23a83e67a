"""Access rules an outsider could probe: file bytes by digest, registries one may not
see, organization names and membership, and user search."""

from __future__ import annotations

import base64
from pathlib import Path

import httpx
import pytest
from conftest import OrgSetup, instance_admin_api, log_artifacts
from wandb.sdk.lib.service.service_connection import WandbApiFailedError

from wandb_emulator.testing import Accounts, EmulatorUser, RunningEmulator


def md5_hex(artifact, name: str) -> str:
    return base64.b64decode(artifact.manifest.entries[name].digest).hex()


# ------------------------------------------------------------------ file bytes


def test_files_by_digest_need_read_access(
    server: RunningEmulator, org_setup: OrgSetup, accounts: Accounts, tmp_path: Path
) -> None:
    logged = log_artifacts(
        org_setup.admin,
        org_setup.team,
        [("private", "dataset", {"p.txt": b"private bytes"})],
        tmp_path,
    )
    artifact = org_setup.admin.api().artifact(f"{org_setup.team}/training/private:v0")
    digest = md5_hex(artifact, "p.txt")
    paths = [
        f"/artifacts/{org_setup.team}/{digest}",
        f"/artifactsV2/default/{org_setup.team}/x/{digest}/p.txt",
    ]
    outsider = accounts.user()
    same_org_stranger = org_setup.member("member")  # in the org, not in the team
    client = server.client
    for path in paths:
        # A bucket's store answers with a redirect to a presigned URL of the object.
        owner = client.get(path, auth=("api", org_setup.admin.api_key), follow_redirects=True)
        assert owner.status_code == 200 and owner.content == b"private bytes"
        for user in (outsider, same_org_stranger):
            assert client.get(path, auth=("api", user.api_key)).status_code == 404
    assert logged.artifacts


# ------------------------------------------------------------------ hidden registries


@pytest.fixture
def hidden(org_setup: OrgSetup) -> str:
    """A restricted registry of the org; ordinary members and viewers cannot see it."""
    name = "hidden-" + org_setup.org[-6:]
    org_setup.admin.api().create_registry(name, visibility="restricted", organization=org_setup.org)
    return name


def outcome(call) -> str:
    try:
        result = call()
    except Exception as exc:  # the SDK's error, as the caller sees it
        return f"{type(exc).__name__}: {exc}"
    return f"result: {result!r}"


def same_for_hidden_and_missing(hidden: str, call) -> None:
    missing = hidden.replace("hidden-", "missing-")
    seen_hidden = outcome(lambda: call(hidden)).replace(hidden, "NAME")
    seen_missing = outcome(lambda: call(missing)).replace(missing, "NAME")
    assert seen_hidden == seen_missing


def test_a_hidden_registry_reads_like_a_missing_one(org_setup: OrgSetup, hidden: str) -> None:
    api = org_setup.member("member").api()
    same_for_hidden_and_missing(hidden, lambda name: api.registry(name, org_setup.org))
    same_for_hidden_and_missing(
        hidden,
        lambda name: api.artifact(f"{org_setup.org}/wandb-registry-{name}/thing:v0"),
    )


def test_creating_over_a_hidden_registry_fails_like_creating_where_one_may_not(
    org_setup: OrgSetup, hidden: str
) -> None:
    viewer = org_setup.member("viewer").api()
    same_for_hidden_and_missing(
        hidden,
        lambda name: viewer.create_registry(
            name, visibility="organization", organization=org_setup.org
        ),
    )


def test_upsert_model_on_a_hidden_registry_fails_like_on_a_missing_one(
    server: RunningEmulator, org_setup: OrgSetup, hidden: str
) -> None:
    viewer = org_setup.member("viewer")
    org_entity = org_entity_name(server, org_setup)

    def upsert(name: str) -> None:
        response = server.graphql(
            viewer.api_key,
            "mutation($e: String!, $n: String!) { upsertModel(input: "
            '{entityName: $e, name: $n, description: "x"}) { project { id } } }',
            {"e": org_entity, "n": f"wandb-registry-{name}"},
        )
        raise RuntimeError([e["message"] for e in response.json()["errors"]])

    same_for_hidden_and_missing(hidden, upsert)


def test_a_hidden_registry_name_is_only_taken(
    server: RunningEmulator, org_setup: OrgSetup, hidden: str
) -> None:
    """Names are unique, so creating one that a hidden registry holds cannot succeed;
    the error says the name is taken and nothing more."""
    member = org_setup.member("member")
    response = server.graphql(
        member.api_key,
        "mutation($e: String!, $n: String!) { upsertModel(input: {entityName: $e, name: $n})"
        " { project { id } } }",
        {"e": org_entity_name(server, org_setup), "n": f"wandb-registry-{hidden}"},
    )
    assert [e["message"] for e in response.json()["errors"]] == [
        f"project 'wandb-registry-{hidden}' already exists"
    ]


def org_entity_name(server: RunningEmulator, org_setup: OrgSetup) -> str:
    response = server.graphql(
        org_setup.admin.api_key,
        "query($o: String!) { organization(name: $o) { orgEntity { name } } }",
        {"o": org_setup.org},
    )
    return response.json()["data"]["organization"]["orgEntity"]["name"]


def test_linking_into_a_hidden_registry_fails_like_into_a_missing_one(
    org_setup: OrgSetup, hidden: str, tmp_path: Path
) -> None:
    member = org_setup.member("member")
    team = org_setup.accounts.team(org_setup.org, member)
    log_artifacts(member, team, [("src", "model", {"m.bin": b"m"})], tmp_path)
    artifact = member.api().artifact(f"{team}/training/src:v0")
    same_for_hidden_and_missing(
        hidden, lambda name: artifact.link(f"{org_setup.org}/wandb-registry-{name}/c")
    )


# ------------------------------------------------------------------ organizations

ORG_OF_ENTITY = (
    "query($e: String!) { entity(name: $e) { organization { name } members { username } } }"
)


def test_org_names_and_members_are_for_members(
    server: RunningEmulator, org_setup: OrgSetup, accounts: Accounts
) -> None:
    outsider = accounts.user()
    seen = server.graphql(outsider.api_key, ORG_OF_ENTITY, {"e": org_setup.team}).json()["data"]
    assert seen["entity"] is None or (
        seen["entity"]["organization"] is None and seen["entity"]["members"] == []
    )
    member = org_setup.member("viewer")
    seen = server.graphql(member.api_key, ORG_OF_ENTITY, {"e": org_setup.team}).json()["data"]
    assert seen["entity"]["organization"] == {"name": org_setup.org}


def test_other_users_organizations_are_only_shared_ones(
    server: RunningEmulator, org_setup: OrgSetup, accounts: Accounts
) -> None:
    other = accounts.user()
    other_org = accounts.org(other)
    accounts.add_org_member(org_setup.org, other, "member")
    query = "query($q: String) { users(query: $q) { edges { node { organizations { name } } } } }"
    response = server.graphql(org_setup.admin.api_key, query, {"q": other.username})
    [edge] = response.json()["data"]["users"]["edges"]
    names = {o["name"] for o in edge["node"]["organizations"]}
    assert org_setup.org in names and other_org not in names


# ------------------------------------------------------------------ user search


def test_user_search_is_for_instance_admins(
    server: RunningEmulator, org_setup: OrgSetup, accounts: Accounts
) -> None:
    outsider: EmulatorUser = accounts.user()
    with pytest.raises(WandbApiFailedError, match="searching users is for instance admins"):
        outsider.api().users("user-")
    query = 'query($n: Int) { users(query: "user-", first: $n) { edges { node { id } } } }'
    assert "errors" in server.graphql(outsider.api_key, query, {"n": -1}).json()
    admin = instance_admin_api(server.base_url)
    assert len(admin.users(org_setup.admin.username[:12])) >= 1


def test_exact_lookup_serves_the_registry_member_workflow(
    org_setup: OrgSetup, accounts: Accounts
) -> None:
    member = org_setup.member("member")
    api = org_setup.admin.api()
    registry = api.create_registry(
        "members-" + org_setup.org[-6:], visibility="restricted", organization=org_setup.org
    )
    user = api.user(member.username)
    assert user is not None and user.username == member.username
    registry.add_members(user)
    assert member.username in [m.user.username for m in registry.user_members()]
    stranger = accounts.user()  # outside every shared organization: as if missing
    for name in (stranger.username, "no-such-user-" + org_setup.org):
        with pytest.raises(WandbApiFailedError, match="searching users is for instance admins"):
            api.user(name)


def test_a_missing_file_by_digest_is_a_404_too(
    server: RunningEmulator, org_setup: OrgSetup
) -> None:
    response = httpx.get(
        f"{server.base_url}/artifacts/{org_setup.team}/{'0' * 32}",
        auth=("api", org_setup.admin.api_key),
    )
    assert response.status_code == 404
