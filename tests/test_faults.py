"""Fault injection: rule checks, the HTTP API, and what the real SDK sees."""

from __future__ import annotations

import time

import httpx
import pytest
import wandb
from conftest import CONTROL_HEADERS, OrgSetup

from wandb_emulator.faults import FaultRule, FaultSpecError, parse_spec
from wandb_emulator.testing import RunningEmulator

FETCH = "query FetchRegistry($entity: String) { entity(name: $entity) { id } }"


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ({"error": "x"}, "exactly one of"),
        ({"operation": "A", "path": "/x", "error": "x"}, "exactly one of"),
        ({"operation": "A"}, "needs an `error`"),
        ({"operation": "A", "status": 99}, "between 200 and 599"),
        ({"operation": "A", "status": True}, "`status` must be a int"),
        ({"operation": "A", "error": "x", "times": 0}, "at least 1"),
        ({"operation": "A", "latency_ms": -1}, "latency_ms"),
        ({"operation": "A", "error": "x", "variables": [1]}, "`variables` must be an object"),
        ({"operation": "A", "error": "x", "colour": "red"}, "unknown fault keys"),
    ],
)
def test_bad_rules_are_refused_with_a_reason(spec: dict, message: str) -> None:
    with pytest.raises(FaultSpecError, match=message):
        parse_spec(spec)


def test_rules_apply_n_times_to_matching_variables_then_stop(in_process) -> None:
    faults = in_process.emulator.faults
    in_process.faults.clear()
    in_process.faults.add(operation="FetchRegistry", variables={"name": "a"}, error="boom", times=2)

    def take(operation: str, variables: dict) -> FaultRule | None:
        return in_process.call(faults.take_for_operation(operation, variables))

    assert take("FetchRegistry", {"name": "b"}) is None
    assert take("Other", {"name": "a"}) is None
    assert take("FetchRegistry", {"name": "a", "entity": "e"}).hits == 1
    assert take("FetchRegistry", {"name": "a"}).hits == 2
    assert take("FetchRegistry", {"name": "a"}) is None
    (rule,) = in_process.faults.rules()
    assert rule.to_json()["exhausted"] and rule.hits == 2


def test_path_rules_match_other_requests_by_glob_and_method(in_process) -> None:
    faults = in_process.emulator.faults
    in_process.faults.clear()
    rule = in_process.faults.add(path="/files/*", method="put", status=503)
    assert in_process.call(faults.take_for_request("GET", "/files/a/b")) is None
    assert in_process.call(faults.take_for_request("PUT", "/files/a/b")).id == rule.id
    assert in_process.call(faults.take_for_request("PUT", "/other")) is None
    assert in_process.faults.remove(rule.id) and not in_process.faults.remove(rule.id)


def faults_url(server: RunningEmulator) -> str:
    return server.base_url + "/_emulator/faults"


def test_faults_over_http(server: RunningEmulator, org_setup: OrgSetup) -> None:
    key, entity = org_setup.admin.api_key, f"{org_setup.org}-only"
    added = httpx.post(
        faults_url(server),
        headers=CONTROL_HEADERS,
        json={"operation": "FetchRegistry", "variables": {"entity": entity}, "error": "nope"},
        timeout=10,
    )
    assert added.status_code == 201
    rule = added.json()["fault"]
    try:
        listed = httpx.get(faults_url(server), headers=CONTROL_HEADERS, timeout=10).json()["faults"]
        assert rule["id"] in [r["id"] for r in listed]

        failed = server.graphql(key, FETCH, {"entity": entity})
        assert failed.status_code == 200
        assert failed.json() == {"data": None, "errors": [{"message": "nope"}]}
        # Other variables are not affected.
        assert server.graphql(key, FETCH, {"entity": "other"}).json() == {"data": {"entity": None}}
        journal = httpx.get(
            server.base_url + "/_emulator/journal",
            headers=CONTROL_HEADERS,
            params={"operation": "FetchRegistry"},
        ).json()["entries"]
        [faulted] = [e for e in journal if (e["variables"] or {}).get("entity") == entity]
        assert faulted["fault"]["id"] == rule["id"] and faulted["errors"] == ["nope"]
    finally:
        assert (
            httpx.delete(
                f"{faults_url(server)}/{rule['id']}", headers=CONTROL_HEADERS, timeout=10
            ).status_code
            == 200
        )
    assert (
        httpx.delete(
            f"{faults_url(server)}/{rule['id']}", headers=CONTROL_HEADERS, timeout=10
        ).status_code
        == 404
    )


@pytest.mark.parametrize(
    ("body", "status", "message"),
    [
        (b"{not json", 400, "malformed JSON"),
        (b"[]", 400, "JSON object"),
        (b'{"operation": "A", "status": "500"}', 400, "`status` must be a int"),
    ],
)
def test_bad_fault_requests_get_a_4xx_json_error(
    server: RunningEmulator, body: bytes, status: int, message: str
) -> None:
    response = httpx.post(faults_url(server), headers=CONTROL_HEADERS, content=body, timeout=10)
    assert response.status_code == status
    assert message in response.json()["error"]


def test_an_injected_error_makes_the_sdk_fail(wandb_emulator_user, wandb_emulator_faults) -> None:
    api = wandb.Api()
    api.create_registry("faulty", visibility="organization")
    wandb_emulator_faults.add(operation="FetchRegistry", error="registry store is down", times=1)
    with pytest.raises(ValueError, match="Failed to load registry 'faulty'"):
        api.registry("faulty")
    assert api.registry("faulty").name == "faulty"  # times=1: the next call succeeds


def test_the_sdk_retries_an_injected_500(
    wandb_emulator_user, wandb_emulator_faults, wandb_emulator_journal
) -> None:
    api = wandb.Api()
    wandb_emulator_faults.add(operation="GetTeamEntity", status=500, times=1)
    assert api.team(wandb_emulator_user.team).name == wandb_emulator_user.team
    statuses = [entry.status for entry in wandb_emulator_journal.find("GetTeamEntity")]
    assert statuses == [500, 200]
    assert wandb_emulator_journal.find("GetTeamEntity")[0].fault["status"] == 500


def test_injected_latency_is_observed(
    wandb_emulator_user, wandb_emulator_faults, wandb_emulator_journal
) -> None:
    api = wandb.Api()
    wandb_emulator_faults.add(operation="GetTeamEntity", latency_ms=400, times=1)
    started = time.perf_counter()
    api.team(wandb_emulator_user.team)
    assert time.perf_counter() - started >= 0.4
    [entry] = wandb_emulator_journal.find("GetTeamEntity")
    assert entry.duration_ms >= 400 and entry.status == 200


def test_path_faults_answer_non_graphql_requests(wandb_emulator, wandb_emulator_faults) -> None:
    wandb_emulator_faults.add(path="/ready", status=503, times=1)
    assert httpx.get(wandb_emulator.base_url + "/ready", timeout=10).status_code == 503
    assert httpx.get(wandb_emulator.base_url + "/ready", timeout=10).status_code == 200
