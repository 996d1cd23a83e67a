"""Malformed and hostile requests: every one is a 4xx or a GraphQL error with a clear
message, never a 500 or "internal server error", and refused before expensive work."""

from __future__ import annotations

import base64
import gzip
import json
import socket
from urllib.parse import urlsplit

import httpx
import pytest
from conftest import CONTROL_HEADERS

from wandb_emulator.testing import Accounts, EmulatorUser, RunningEmulator

DEEP = 5000


def deep_list(depth: int) -> str:
    return "[" * depth + "]" * depth


def no_server_error(response: httpx.Response) -> None:
    assert response.status_code < 500, response.text
    assert "internal server error" not in response.text


@pytest.fixture(scope="module")
def user(accounts: Accounts) -> EmulatorUser:
    return accounts.user()


def post_raw(server: RunningEmulator, path: str, body: bytes, **headers: str) -> httpx.Response:
    return server.client.post(path, content=body, headers=headers)


UPSERT = (
    "mutation($e: String!, $n: String!) { upsertModel(input: {name: $n, entityName: $e}) "
    "{ project { id } } }"
)


def upsert_project(server: RunningEmulator, user: EmulatorUser, name: str) -> None:
    response = server.graphql(user.api_key, UPSERT, {"e": user.username, "n": name})
    assert "errors" not in response.json(), response.text


# ------------------------------------------------------------------ JSON bodies


def test_deeply_nested_graphql_body_is_a_400(server: RunningEmulator, user: EmulatorUser) -> None:
    body = '{"query": "{ viewer { id } }", "variables": {"a": ' + deep_list(DEEP) + "}}"
    auth = "Basic " + base64.b64encode(f"api:{user.api_key}".encode()).decode()
    response = post_raw(server, "/graphql", body.encode(), authorization=auth)
    assert response.status_code == 400
    assert "nested" in response.json()["errors"][0]["message"]


def test_moderately_nested_variables_leave_the_journal_readable(
    server: RunningEmulator, user: EmulatorUser
) -> None:
    variables = json.loads('{"a": ' + deep_list(600) + "}")
    no_server_error(server.graphql(user.api_key, "{ viewer { id } }", variables))
    response = httpx.get(
        server.base_url + "/_emulator/journal", params={"limit": 5}, headers=CONTROL_HEADERS
    )
    assert response.status_code == 200


def test_deeply_nested_control_body_is_a_400(server: RunningEmulator) -> None:
    response = post_raw(
        server,
        "/_emulator/seed",
        ('{"users": ' + deep_list(DEEP) + "}").encode(),
        **CONTROL_HEADERS,
    )
    assert response.status_code == 400


def test_deeply_nested_fixture_body_is_a_400(server: RunningEmulator) -> None:
    body = '{"command": "up", "username": ' + deep_list(DEEP) + "}"
    response = httpx.post(server.fixture_url + "/db/user", content=body.encode())
    assert response.status_code == 400


def test_gzip_bomb_is_refused_on_the_decompressed_size(
    server: RunningEmulator, user: EmulatorUser
) -> None:
    bomb = gzip.compress(b" " * (12 * 1024 * 1024))  # inflates past the 10 MiB body limit
    auth = "Basic " + base64.b64encode(f"api:{user.api_key}".encode()).decode()
    headers = {"authorization": auth, "content-encoding": "gzip"}
    response = post_raw(server, "/graphql", bomb, **headers)
    assert response.status_code == 413


# ------------------------------------------------------------------ authentication first


def test_unauthenticated_request_is_refused_before_its_body_is_read(
    server: RunningEmulator,
) -> None:
    """The 401 arrives although the announced 50 MB body is never sent."""
    url = urlsplit(server.base_url)
    with socket.create_connection((url.hostname, url.port), timeout=10) as sock:
        sock.sendall(
            b"POST /graphql HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            b'Content-Length: 50000000\r\n\r\n{"query": "{'
        )
        reply = sock.recv(4096)
    assert reply.startswith(b"HTTP/1.1 401")


def test_unauthenticated_variables_are_not_journaled(server: RunningEmulator) -> None:
    response = server.client.post(
        "/graphql",
        json={"query": "query Probe { viewer { id } }", "variables": {"blob": "x" * 1000}},
    )
    assert response.status_code == 401
    journal = httpx.get(
        server.base_url + "/_emulator/journal", params={"limit": 1}, headers=CONTROL_HEADERS
    ).json()
    assert journal["entries"][-1]["status"] == 401
    assert journal["entries"][-1]["variables"] is None


def test_token_limit_applies_before_the_document_is_walked(
    server: RunningEmulator, user: EmulatorUser
) -> None:
    document = "query Big { viewer { " + "id " * 30_000 + "} }"
    response = server.graphql(user.api_key, document)
    assert response.status_code == 400
    assert "token" in response.json()["errors"][0]["message"].lower()


# ------------------------------------------------------------------ GraphQL documents


def test_unknown_operation_name_is_a_400(server: RunningEmulator, user: EmulatorUser) -> None:
    response = server.client.post(
        "/graphql",
        json={"query": "query A { viewer { id } }", "operationName": "B"},
        auth=("api", user.api_key),
    )
    assert response.status_code == 400
    assert "B" in response.json()["errors"][0]["message"]


def test_chain_of_fragment_spreads_is_refused(server: RunningEmulator, user: EmulatorUser) -> None:
    fragments = "".join(f"fragment F{i} on Query {{ ...F{i + 1} }}\n" for i in range(500))
    document = "query Q { ...F0 }\n" + fragments + "fragment F500 on Query { viewer { id } }"
    response = server.graphql(user.api_key, document)
    no_server_error(response)
    assert response.json()["errors"]


def test_global_id_beyond_64_bits_is_an_invalid_id(
    server: RunningEmulator, user: EmulatorUser
) -> None:
    huge = base64.b64encode(b"Artifact:" + b"9" * 30).decode()
    response = server.graphql(
        user.api_key, "query($id: ID!) { artifact(id: $id) { id } }", {"id": huge}
    )
    no_server_error(response)
    assert "invalid id" in response.json()["errors"][0]["message"]


def projects_matching(server: RunningEmulator, user: EmulatorUser, filters: dict) -> httpx.Response:
    response = server.graphql(
        user.api_key,
        "query($e: String!, $f: JSONString) { entity(name: $e) { projects(filters: $f) "
        "{ edges { node { name } } } } }",
        {"e": user.username, "f": json.dumps(filters)},
        timeout=30,
    )
    no_server_error(response)
    return response


def test_deeply_nested_filter_is_a_clear_error(server: RunningEmulator, user: EmulatorUser) -> None:
    nested: dict = {"name": "x"}
    for _ in range(400):
        nested = {"$and": [nested]}
    response = projects_matching(server, user, nested)
    assert "nested deeper" in response.json()["errors"][0]["message"]


def test_regex_filters_run_in_linear_time(server: RunningEmulator, user: EmulatorUser) -> None:
    """`(a+)+$` against a long run of a's backtracks for ages in a backtracking engine
    (2^40 steps here); RE2 answers at once."""
    upsert_project(server, user, "a" * 40 + "!")
    response = projects_matching(server, user, {"name": {"$regex": "(a+)+$"}})
    assert response.json()["data"]["entity"]["projects"]["edges"] == []


def test_regex_filters_refuse_what_the_engine_cannot_bound(
    server: RunningEmulator, user: EmulatorUser
) -> None:
    response = projects_matching(server, user, {"name": {"$regex": "(a)\\1"}})
    assert "$regex" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("first", [-1, -1000])
def test_negative_page_sizes_are_refused(
    server: RunningEmulator, user: EmulatorUser, first: int
) -> None:
    response = server.graphql(
        user.api_key,
        "query($e: String!, $n: Int) { models(entityName: $e, first: $n) "
        "{ edges { node { id } } } }",
        {"e": user.username, "n": first},
    )
    no_server_error(response)
    assert "first" in response.json()["errors"][0]["message"]


def test_negative_cursor_is_refused(server: RunningEmulator, user: EmulatorUser) -> None:
    cursor = base64.b64encode(b"cursor:-7").decode()
    response = server.graphql(
        user.api_key,
        "query($e: String!, $c: String) { models(entityName: $e, after: $c) "
        "{ edges { node { id } } } }",
        {"e": user.username, "c": cursor},
    )
    assert "invalid cursor" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("name", ["with\x00nul", "tab\there", "bell\x07", "del\x7f"])
def test_control_characters_in_names_are_refused(
    server: RunningEmulator, user: EmulatorUser, name: str
) -> None:
    response = server.graphql(
        user.api_key,
        "mutation($n: String!, $e: String!) { upsertModel(input: {name: $n, entityName: $e}) "
        "{ project { id } } }",
        {"n": name, "e": user.username},
    )
    no_server_error(response)
    assert "invalid project name" in response.json()["errors"][0]["message"]


# ------------------------------------------------------------------ fixture port types

WRONG_TYPES = [
    ("user", {"command": ["up"]}),
    ("user", {"command": "up", "username": ["x"]}),
    ("user", {"command": "up", "username": {"a": 1}}),
    ("user", {"command": "up", "username": 7}),
    ("user", {"command": "up", "username": "okname", "password": ["p"]}),
    ("user", {"command": "password", "username": 3.5}),
    ("user", {"command": "down", "username": [1]}),
    ("organization", {"command": "up", "orgName": {"x": 1}}),
    ("organization", {"command": "up", "orgName": "o", "fixtureData": {"orgEntityName": [1]}}),
    ("organization", {"command": "up", "orgName": "o", "username": ["u"]}),
    ("organization", {"command": "add_members", "orgName": "o", "fixtureData": {"members": 5}}),
    ("organization", {"command": "add_members", "orgName": "o", "fixtureData": {"members": [5]}}),
    ("organization", {"command": "add_members", "orgName": ["o"]}),
    ("organization", {"command": "down", "orgName": 1}),
    ("team", {"command": "up", "fixtureData": {"team": "t"}}),
    ("team", {"command": "up", "fixtureData": {"team": {"name": ["t"]}}}),
    ("team", {"command": "up", "fixtureData": {"team": {"name": "t"}, "organization": [1]}}),
    ("team", {"command": "up", "fixtureData": []}),
]


@pytest.mark.parametrize(("resource", "body"), WRONG_TYPES)
def test_wrong_json_types_on_the_fixture_port_are_400s(
    server: RunningEmulator, resource: str, body: dict
) -> None:
    response = httpx.post(f"{server.fixture_url}/db/{resource}", json=body, timeout=10)
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["error"]


CONTROL_WRONG_TYPES = [
    ("/faults", {"operation": ["Viewer"]}),
    ("/faults", {"operation": "Viewer", "times": "x"}),
    ("/faults", {"operation": "Viewer", "status": [500]}),
    ("/faults", {"operation": "Viewer", "variables": [1]}),
    ("/faults", {"path": {"a": 1}}),
    ("/faults", {"operation": "Viewer", "latency_ms": {"a": 1}}),
    ("/faults", {"operation": "Viewer", "bogus": 1}),
    ("/seed", {"users": "x"}),
    ("/seed", {"users": [1]}),
    ("/seed", {"users": [{"username": ["u"]}]}),
    ("/seed", {"organizations": [{"name": {"a": 1}}]}),
    ("/seed", {"teams": [{"name": "t", "organization": 5}]}),
    ("/seed", {"registries": [{"name": None}]}),
]


@pytest.mark.parametrize(("path", "body"), CONTROL_WRONG_TYPES)
def test_wrong_json_types_on_control_endpoints_are_400s(
    server: RunningEmulator, path: str, body: dict
) -> None:
    response = httpx.post(
        server.base_url + "/_emulator" + path, json=body, headers=CONTROL_HEADERS, timeout=10
    )
    assert response.status_code == 400, response.text


@pytest.mark.parametrize("limit", ["\u00b2", "-1", "1e3", "99999999999999999999999"])
def test_journal_limit_is_parsed_strictly(server: RunningEmulator, limit: str) -> None:
    response = httpx.get(
        server.base_url + "/_emulator/journal", params={"limit": limit}, headers=CONTROL_HEADERS
    )
    assert response.status_code in (200, 400)
    no_server_error(response)
