"""The /graphql endpoint's handling of bad input, limits and W&B-style errors."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
from conftest import OrgSetup, ServerProcess, graphql

FETCH_REGISTRY = """
query FetchRegistry($name: String, $entity: String) {
  entity(name: $entity) { project(name: $name) { id name } }
}
"""


@pytest.fixture
def key(org_setup: OrgSetup) -> str:
    return org_setup.admin.api_key


def post(server: ServerProcess, key: str, content: bytes, **headers: str) -> httpx.Response:
    return httpx.post(
        server.base_url + "/graphql",
        content=content,
        auth=("api", key),
        headers={"content-type": "application/json", **headers},
        timeout=10,
    )


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"variables": {}}', "missing `query`"),
        (b'{"query": "{ viewer { id } }", "variables": [1]}', "`variables` must be an object"),
    ],
)
def test_malformed_requests_get_400(server, key, body: bytes, message: str) -> None:
    response = post(server, key, body)
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


def test_syntax_errors_get_400(server, key) -> None:
    response = graphql(server, key, "query { viewer { id ")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("Syntax Error")


def test_validation_messages_use_double_quotes(server, key) -> None:
    response = graphql(server, key, "query { serverInfo { nope } }")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        'Cannot query field "nope" on type "ServerInfo".'
    )


def test_wrong_variable_types_are_rejected(server, key) -> None:
    response = graphql(server, key, FETCH_REGISTRY, {"name": {"an": "object"}, "entity": "x"})
    assert response.status_code == 400
    assert "$name" in response.json()["errors"][0]["message"]


def test_nullable_variables_are_accepted_where_the_sdk_sends_them(server, key) -> None:
    response = graphql(server, key, FETCH_REGISTRY, {"name": None, "entity": None})
    assert response.status_code == 200
    assert response.json() == {"data": {"entity": None}}


def test_oversized_bodies_get_413(server, key) -> None:
    query = json.dumps({"query": "{ viewer { id } }", "pad": "x" * (11 * 1024 * 1024)})
    response = post(server, key, query.encode())
    assert response.status_code == 413


def test_gzip_bodies_are_accepted(server, key) -> None:
    body = gzip.compress(json.dumps({"query": "{ viewer { username } }"}).encode())
    response = post(server, key, body, **{"content-encoding": "gzip"})
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["username"]


def test_unknown_and_malformed_ids_are_clear_errors(server, key) -> None:
    mutation = "mutation ($id: String!) { deleteModel(input: {id: $id}) { success } }"
    malformed = graphql(server, key, mutation, {"id": "not-base64!"})
    assert malformed.status_code == 200
    assert "invalid id" in malformed.json()["errors"][0]["message"]
    unknown = graphql(server, key, mutation, {"id": "UHJvamVjdDo5OTk5OTk="})  # Project:999999
    assert unknown.json()["errors"][0]["message"] == "project not found"
    assert unknown.json()["data"] == {"deleteModel": None}


def test_failed_mutations_leave_no_partial_state(org_setup: OrgSetup, server) -> None:
    api = org_setup.admin.api()
    registry = api.create_registry("atomic", "organization", organization=org_setup.org)
    colleague = api.user(org_setup.member().username)
    outsider_account = org_setup.fixtures.user()
    org_setup.fixtures.org(outsider_account)  # a member of another organization
    outsider = api.user(outsider_account.username)
    mutation = """mutation ($input: CreateProjectMembersInput!) {
      createProjectMembers(input: $input) { success } }"""
    response = graphql(
        server,
        org_setup.admin.api_key,
        mutation,
        {"input": {"projectId": registry.id, "userIds": [colleague.id, outsider.id]}},
    )
    assert "not a member of the registry's organization" in response.json()["errors"][0]["message"]
    assert [m.user.username for m in registry.user_members()] == [org_setup.admin.username]


def test_introspection_answers_type_probes(server, key) -> None:
    response = graphql(server, key, '{ __type(name: "Project") { fields { name } } }')
    fields = {f["name"] for f in response.json()["data"]["__type"]["fields"]}
    assert {"allowAllArtifactTypesInRegistry", "internalId", "artifactTypes"} <= fields


def test_query_depth_is_limited(server, key) -> None:
    nested = "organization { orgEntity { " * 12 + "name" + " } }" * 12
    response = graphql(server, key, "{ viewer { organizations { orgEntity { " + nested + " } } } }")
    assert response.status_code == 400
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


def test_aliases_are_limited(server, key) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(150)) + " }"
    response = graphql(server, key, query)
    assert response.status_code == 400
    assert "aliases" in response.json()["errors"][0]["message"].lower()


def test_huge_first_is_clamped(org_setup: OrgSetup, server) -> None:
    org_setup.admin.api().create_registry("one", "organization", organization=org_setup.org)
    query = """query ($org: String!) { organization(name: $org) { orgEntity {
      projects(first: 2147483647) { edges { node { name } } pageInfo { hasNextPage } } } } }"""
    response = graphql(server, org_setup.admin.api_key, query, {"org": org_setup.org})
    projects = response.json()["data"]["organization"]["orgEntity"]["projects"]
    assert [e["node"]["name"] for e in projects["edges"]] == ["wandb-registry-one"]


def test_invalid_cursor_is_a_clear_error(org_setup: OrgSetup, server) -> None:
    query = """query ($org: String!) { organization(name: $org) { orgEntity {
      projects(after: "garbage") { edges { node { name } } } } } }"""
    response = graphql(server, org_setup.admin.api_key, query, {"org": org_setup.org})
    assert "invalid cursor" in response.json()["errors"][0]["message"]


def test_invalid_filter_json_is_a_clear_error(org_setup: OrgSetup, server) -> None:
    query = """query ($org: String!) { organization(name: $org) { orgEntity {
      projects(filters: "{oops") { edges { node { name } } } } } }"""
    response = graphql(server, org_setup.admin.api_key, query, {"org": org_setup.org})
    assert "invalid filter JSON" in response.json()["errors"][0]["message"]


def test_graphql_requires_post(server) -> None:
    assert httpx.get(server.base_url + "/graphql").status_code == 405


def test_telemetry_is_declined(server) -> None:
    assert httpx.post(server.base_url + "/sdk/otel/v1/metrics").status_code == 404


def test_absurd_version_numbers_are_just_not_found(org_setup: OrgSetup, server) -> None:
    query = """query ($e: String!) { project(name: "p", entityName: $e) {
      artifactCollectionMembership(name: "x:v99999999999999999999") { id } } }"""
    org_setup.admin.api().create_project("p", org_setup.team)
    response = graphql(server, org_setup.admin.api_key, query, {"e": org_setup.team}).json()
    assert response == {"data": {"project": {"artifactCollectionMembership": None}}}
