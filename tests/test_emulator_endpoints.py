"""/_emulator/*: reset and seed over HTTP, bad input, and turning the endpoints off."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import wandb
from conftest import EmulatorProcess, RunningEmulator, instance_admin_api

from wandb_emulator.config import Config
from wandb_emulator.testing import EmulatorUser


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    with RunningEmulator(tmp_path / "data") as running:
        yield running


def registries_of(user: EmulatorUser) -> list[str]:
    return [registry.name for registry in user.api().registries()]


def test_reset_over_http_returns_to_the_default_seed(emulator: RunningEmulator) -> None:
    user = emulator.new_user()
    user.api().create_registry("gone-after-reset", visibility="organization")
    emulator.faults.add(operation="NotSentHere", error="x")
    default = instance_admin_api(emulator.base_url)
    default.create_registry("default-org-registry", visibility="organization")

    response = httpx.post(
        emulator.base_url + "/_emulator/reset", headers=emulator.control_headers, timeout=10
    )
    assert response.status_code == 200 and response.json()["duration_ms"] > 0

    assert emulator.faults.rules() == [] and emulator.journal.entries() == []
    assert (
        httpx.post(
            emulator.base_url + "/graphql",
            json={"query": "{ viewer { id } }"},
            auth=("api", user.api_key),
            timeout=10,
        ).status_code
        == 401
    )
    assert [r.name for r in default.registries()] == []
    assert default.viewer.username == "emulator"


def test_reset_from_python(emulator: RunningEmulator) -> None:
    user = emulator.new_user()
    user.api().create_registry("models", visibility="organization")
    emulator.reset()
    again = emulator.new_user()
    assert registries_of(again) == []
    with pytest.raises(wandb.errors.AuthenticationError):  # the user is gone with its key
        user.api()


def test_seed_over_http(emulator: RunningEmulator) -> None:
    key = "seeded-user-key-" + "0" * 40
    seed = {
        "users": [{"username": "seeded", "apiKey": key}],
        "organizations": [
            {"name": "seeded-org", "members": [{"username": "seeded", "role": "admin"}]}
        ],
        "registries": [{"name": "from-seed", "organization": "seeded-org"}],
    }
    response = httpx.post(
        emulator.base_url + "/_emulator/seed",
        headers=emulator.control_headers,
        json=seed,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    api = wandb.Api(api_key=key, overrides={"base_url": emulator.base_url})
    assert [r.name for r in api.registries(organization="seeded-org")] == ["from-seed"]


@pytest.mark.parametrize(
    ("seed", "message"),
    [
        ([], "JSON object"),
        ({"users": {"username": "x"}}, "`users` must be a list"),
        ({"users": [{"name": "x"}]}, "users[0]: `username` must be a string"),
        ({"teams": [{"name": "t"}]}, "teams[0]: `organization`"),
        ({"organizations": [{"name": "o", "members": [{}]}]}, "members[0] needs a `username`"),
        ({"teams": [{"name": "t", "organization": "missing"}]}, "organization 'missing'"),
        ({"users": [{"username": "bad/name"}]}, "invalid user name"),
    ],
)
def test_bad_seeds_get_400(emulator: RunningEmulator, seed: object, message: str) -> None:
    response = httpx.post(
        emulator.base_url + "/_emulator/seed",
        headers=emulator.control_headers,
        json=seed,
        timeout=10,
    )
    assert response.status_code == 400
    assert message in response.json()["error"]


def test_a_failing_seed_is_applied_not_at_all(emulator: RunningEmulator) -> None:
    key = "partial-user-key-" + "0" * 40
    seed = {
        "users": [{"username": "partial", "apiKey": key}],
        "teams": [{"name": "t", "organization": "missing"}],
    }
    response = httpx.post(
        emulator.base_url + "/_emulator/seed",
        headers=emulator.control_headers,
        json=seed,
        timeout=10,
    )
    assert response.status_code == 400
    with pytest.raises(wandb.errors.AuthenticationError):
        wandb.Api(api_key=key, overrides={"base_url": emulator.base_url})


def test_unknown_emulator_endpoints_get_a_json_404(emulator: RunningEmulator) -> None:
    response = httpx.get(
        emulator.base_url + "/_emulator/reset", headers=emulator.control_headers, timeout=10
    )
    assert response.status_code == 404
    assert "POST /reset" in response.json()["error"]


def test_the_endpoints_can_be_left_out(tmp_path: Path) -> None:
    config = Config(log_level="warning", emulator_endpoints=False)  # --no-emulator-endpoints
    with EmulatorProcess(tmp_path / "data", config) as server:
        assert httpx.post(server.base_url + "/_emulator/reset", timeout=10).status_code == 404
        assert httpx.get(server.base_url + "/_emulator/journal", timeout=10).status_code == 404
        assert httpx.get(server.base_url + "/ready", timeout=10).status_code == 200
