"""The fast tier of the /graphql endpoint and its neighbours: bad input, limits and
W&B-style errors, in process through the ASGI interface (no socket, no SDK)."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest

from wandb_emulator.testing import EmulatorUser, InProcessEmulator

pytestmark = pytest.mark.fast

FETCH_REGISTRY = """
query FetchRegistry($name: String, $entity: String) {
  entity(name: $entity) { project(name: $name) { id name } }
}
"""


@pytest.fixture(scope="module")
def user(in_process: InProcessEmulator) -> EmulatorUser:
    return in_process.new_user()


@pytest.fixture
def key(user: EmulatorUser) -> str:
    return user.api_key


def post_body(
    emulator: InProcessEmulator, key: str, content: bytes, **headers: str
) -> httpx.Response:
    """POST raw bytes to /graphql (malformed, compressed or oversized bodies)."""
    headers = {"content-type": "application/json", **headers}
    return emulator.client.post("/graphql", content=content, auth=("api", key), headers=headers)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"{not json", "malformed JSON"),
        (b"[1, 2]", "JSON object"),
        (b'{"variables": {}}', "missing `query`"),
        (b'{"query": "{ viewer { id } }", "variables": [1]}', "`variables` must be an object"),
    ],
)
def test_malformed_requests_get_400(
    in_process: InProcessEmulator, key: str, body: bytes, message: str
) -> None:
    response = post_body(in_process, key, body)
    assert response.status_code == 400
    assert message in response.json()["errors"][0]["message"]


def test_syntax_errors_get_400(in_process: InProcessEmulator, key: str) -> None:
    response = in_process.graphql(key, "query { viewer { id ")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"].startswith("Syntax Error")


def test_validation_messages_use_double_quotes(in_process: InProcessEmulator, key: str) -> None:
    response = in_process.graphql(key, "query { serverInfo { nope } }")
    assert response.status_code == 400
    assert response.json()["errors"][0]["message"] == (
        'Cannot query field "nope" on type "ServerInfo".'
    )


def test_wrong_variable_types_are_rejected(in_process: InProcessEmulator, key: str) -> None:
    variables = {"name": {"an": "object"}, "entity": "x"}
    response = in_process.graphql(key, FETCH_REGISTRY, variables)
    assert response.status_code == 400
    assert "$name" in response.json()["errors"][0]["message"]


def test_nullable_variables_are_accepted_where_the_sdk_sends_them(
    in_process: InProcessEmulator, key: str
) -> None:
    response = in_process.graphql(key, FETCH_REGISTRY, {"name": None, "entity": None})
    assert response.status_code == 200
    assert response.json() == {"data": {"entity": None}}


def test_oversized_bodies_get_413(in_process: InProcessEmulator, key: str) -> None:
    query = json.dumps({"query": "{ viewer { id } }", "pad": "x" * (11 * 1024 * 1024)})
    assert post_body(in_process, key, query.encode()).status_code == 413


def test_gzip_bodies_are_accepted(in_process: InProcessEmulator, key: str) -> None:
    body = gzip.compress(json.dumps({"query": "{ viewer { username } }"}).encode())
    response = post_body(in_process, key, body, **{"content-encoding": "gzip"})
    assert response.status_code == 200
    assert response.json()["data"]["viewer"]["username"]


def test_unknown_and_malformed_ids_are_clear_errors(
    in_process: InProcessEmulator, key: str
) -> None:
    mutation = "mutation ($id: String!) { deleteModel(input: {id: $id}) { success } }"
    malformed = in_process.graphql(key, mutation, {"id": "not-base64!"})
    assert malformed.status_code == 200
    assert "invalid id" in malformed.json()["errors"][0]["message"]
    unknown = in_process.graphql(key, mutation, {"id": "UHJvamVjdDo5OTk5OTk="})  # Project:999999
    assert unknown.json()["errors"][0]["message"] == "project not found"
    assert unknown.json()["data"] == {"deleteModel": None}


def test_introspection_answers_type_probes(in_process: InProcessEmulator, key: str) -> None:
    response = in_process.graphql(key, '{ __type(name: "Project") { fields { name } } }')
    fields = {f["name"] for f in response.json()["data"]["__type"]["fields"]}
    assert {"allowAllArtifactTypesInRegistry", "internalId", "artifactTypes"} <= fields


def test_query_depth_is_limited(in_process: InProcessEmulator, key: str) -> None:
    nested = "organization { orgEntity { " * 12 + "name" + " } }" * 12
    query = "{ viewer { organizations { orgEntity { " + nested + " } } } }"
    response = in_process.graphql(key, query)
    assert response.status_code == 400
    assert "exceeds maximum operation depth" in response.json()["errors"][0]["message"]


def test_aliases_are_limited(in_process: InProcessEmulator, key: str) -> None:
    query = "{ " + " ".join(f"a{i}: viewer {{ id }}" for i in range(150)) + " }"
    response = in_process.graphql(key, query)
    assert response.status_code == 400
    assert "aliases" in response.json()["errors"][0]["message"].lower()


ORG_PROJECTS = """query ($org: String!) { organization(name: $org) { orgEntity {
  projects(%s) { edges { node { name } } pageInfo { hasNextPage } } } } }"""


def test_huge_first_is_clamped(in_process: InProcessEmulator) -> None:
    user = in_process.new_user()
    in_process.seed({"registries": [{"name": "one", "organization": user.organization}]})
    query = ORG_PROJECTS % "first: 2147483647"
    response = in_process.graphql(user.api_key, query, {"org": user.organization})
    projects = response.json()["data"]["organization"]["orgEntity"]["projects"]
    assert [e["node"]["name"] for e in projects["edges"]] == ["wandb-registry-one"]
    assert projects["pageInfo"]["hasNextPage"] is False


@pytest.mark.parametrize(
    ("arguments", "message"),
    [('after: "garbage"', "invalid cursor"), ('filters: "{oops"', "invalid filter JSON")],
)
def test_bad_paging_arguments_are_clear_errors(
    in_process: InProcessEmulator, user: EmulatorUser, arguments: str, message: str
) -> None:
    query = ORG_PROJECTS % arguments
    response = in_process.graphql(user.api_key, query, {"org": user.organization})
    assert message in response.json()["errors"][0]["message"]


def test_graphql_requires_post(in_process: InProcessEmulator) -> None:
    assert in_process.client.get("/graphql").status_code == 405


def test_telemetry_probes_succeed_and_unknown_signals_are_not_found(
    in_process: InProcessEmulator,
) -> None:
    # wandb-core's exporter first POSTs nothing; a 404 or 405 would turn it off.
    assert in_process.client.post("/sdk/otel/v1/metrics").status_code == 200
    assert in_process.client.post("/sdk/otel/v1/profiles").status_code == 404


def test_absurd_version_numbers_are_just_not_found(
    in_process: InProcessEmulator, user: EmulatorUser
) -> None:
    create = """mutation ($e: String!) { upsertModel(input: {name: "p", entityName: $e}) {
      project { name } } }"""
    created = in_process.graphql(user.api_key, create, {"e": user.team}).json()
    assert created == {"data": {"upsertModel": {"project": {"name": "p"}}}}
    query = """query ($e: String!) { project(name: "p", entityName: $e) {
      artifactCollectionMembership(name: "x:v99999999999999999999") { id } } }"""
    response = in_process.graphql(user.api_key, query, {"e": user.team}).json()
    assert response == {"data": {"project": {"artifactCollectionMembership": None}}}


def test_requests_without_a_known_key_are_refused(in_process: InProcessEmulator) -> None:
    response = in_process.graphql("x" * 40, "{ viewer { id } }")
    assert response.status_code == 401


def test_references_across_areas_resolve(in_process: InProcessEmulator, user: EmulatorUser) -> None:
    """Fields whose type belongs to a later area (built through graphql/lazy.py)."""
    key, team = user.api_key, user.team
    upsert = """mutation ($e: String!) { upsertBucket(input: {name: "r1", modelName: "lazy",
      entityName: $e}) { bucket { name project { name entity { name } } } } }"""
    bucket = in_process.graphql(key, upsert, {"e": team}).json()["data"]["upsertBucket"]
    assert bucket["bucket"] == {"name": "r1", "project": {"name": "lazy", "entity": {"name": team}}}
    query = """query ($e: String!) {
      viewer { teams { edges { node { name } } } organizations { name } }
      project(name: "lazy", entityName: $e) { run(name: "r1") {
        inputArtifacts { totalCount } outputArtifacts { totalCount } } } }"""
    data = in_process.graphql(key, query, {"e": team}).json()["data"]
    assert {"node": {"name": team}} in data["viewer"]["teams"]["edges"]
    assert {"name": user.organization} in data["viewer"]["organizations"]
    assert data["project"]["run"] == {
        "inputArtifacts": {"totalCount": 0},
        "outputArtifacts": {"totalCount": 0},
    }
