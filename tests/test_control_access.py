"""/_emulator/* needs the control token or an instance admin's key; the journal keeps
no secrets and stays bounded."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from conftest import CONTROL_HEADERS, DEFAULT_KEY, EmulatorProcess, log_artifacts

from wandb_emulator.config import Config
from wandb_emulator.journal import REDACTED, JournalEntry, RequestRecord
from wandb_emulator.serving import exposure_warnings
from wandb_emulator.testing import (
    Accounts,
    EmulatorHandle,
    EmulatorUser,
    InProcessEmulator,
    RunningEmulator,
)

ENDPOINTS = [
    ("POST", "/reset"),
    ("GET", "/journal"),
    ("DELETE", "/journal"),
    ("GET", "/faults"),
    ("POST", "/faults"),
    ("DELETE", "/faults"),
    ("DELETE", "/faults/1"),
    ("POST", "/seed"),
    ("GET", "/anything-else"),
]


def control(server: EmulatorHandle, method: str, path: str, **kwargs) -> httpx.Response:
    return httpx.request(method, server.base_url + "/_emulator" + path, timeout=10, **kwargs)


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_control_endpoints_refuse_requests_without_credentials(
    server: RunningEmulator, method: str, path: str
) -> None:
    response = control(server, method, path, json={})
    assert response.status_code == 401
    assert "control token" in response.json()["error"]


@pytest.mark.parametrize(("method", "path"), ENDPOINTS)
def test_control_endpoints_refuse_ordinary_users(
    server: RunningEmulator, accounts: Accounts, method: str, path: str
) -> None:
    user = accounts.user()
    response = control(server, method, path, json={}, auth=("api", user.api_key))
    assert response.status_code == 401


def test_control_endpoints_accept_the_token_and_instance_admins(server: RunningEmulator) -> None:
    assert control(server, "GET", "/faults", headers=CONTROL_HEADERS).status_code == 200
    assert control(server, "GET", "/faults", auth=("api", DEFAULT_KEY)).status_code == 200
    wrong = {"authorization": "Bearer " + CONTROL_HEADERS["authorization"][-8:]}
    assert control(server, "GET", "/faults", headers=wrong).status_code == 401


def test_serve_generates_and_prints_a_control_token(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("WANDB_EMULATOR_CONTROL_TOKEN")
    with EmulatorProcess(tmp_path / "data") as server:
        printed = re.search(r"WANDB_EMULATOR_CONTROL_TOKEN=(\S+)", server.log())
        assert printed is not None
        headers = {"authorization": f"Bearer {printed.group(1)}"}
        assert control(server, "GET", "/journal", headers=headers).status_code == 200
        assert control(server, "GET", "/journal", headers=CONTROL_HEADERS).status_code == 401


def test_serve_warns_when_listening_beyond_loopback() -> None:
    assert exposure_warnings(Config(host="127.0.0.1")) == []
    assert exposure_warnings(Config(host="localhost")) == []
    exposed = exposure_warnings(Config(host="0.0.0.0"))
    assert any("/_emulator" in w for w in exposed) and any("fixture port" in w for w in exposed)
    quiet = exposure_warnings(Config(host="0.0.0.0", emulator_endpoints=False))
    assert not any("/_emulator" in w for w in quiet)


# ------------------------------------------------------------------ journal contents


def journal(server: RunningEmulator, **params: str) -> list[dict]:
    response = control(server, "GET", "/journal", params=params, headers=CONTROL_HEADERS)
    return response.json()["entries"]


@pytest.mark.local_blobs  # a bucket's presigned URLs never reach the emulator's journal
def test_the_journal_redacts_signed_urls(
    server: RunningEmulator, accounts: Accounts, tmp_path: Path
) -> None:
    user: EmulatorUser = accounts.user()
    log_artifacts(user, user.username, [("data", "dataset", {"a.txt": b"secret bytes"})], tmp_path)
    uploads = [e for e in journal(server) if e["path"].startswith("/storage/upload/")]
    assert uploads
    for entry in uploads:
        payload, signature = entry["path"].removeprefix("/storage/upload/").split(".")
        assert payload and signature == REDACTED


def test_the_journal_redacts_secret_variables(server: RunningEmulator, accounts: Accounts) -> None:
    user = accounts.user()
    variables = {
        "password": "hunter2",
        "apiKey": "k" * 40,
        "nested": {"clientSecret": "s3cr3t", "url": "http://h/storage/blob/abc.def/f.txt"},
    }
    server.graphql(user.api_key, "query RedactMe { viewer { id } }", variables)
    [entry] = journal(server, operation="RedactMe")
    assert entry["variables"] == {
        "password": REDACTED,
        "apiKey": REDACTED,
        "nested": {"clientSecret": REDACTED, "url": f"http://h/storage/blob/abc.{REDACTED}/f.txt"},
    }


def record(variables: dict) -> RequestRecord:
    return RequestRecord("POST", "/graphql", 0.0, operation="Op", variables=variables)


def recorded(emulator: InProcessEmulator, variables: dict) -> JournalEntry:
    """An entry recorded (on the emulator's loop, where the journal writes) as by a request."""

    async def record_now() -> JournalEntry:
        return emulator.emulator.journal.record(record(variables), 200, 1.0)

    return emulator.call(record_now())


def test_journal_entries_are_cut_to_the_entry_cap(tmp_path: Path) -> None:
    config = Config(journal_size=10, journal_entry_bytes=1000, journal_total_bytes=10**6)
    with InProcessEmulator(tmp_path / "data", config) as emulator:
        entry = recorded(emulator, {"small": "kept", "big": "x" * 50_000})
        assert entry.variables is not None and entry.variables["small"] == "kept"
        assert len(entry.variables["big"]) < 1100 and "truncated" in entry.variables["big"]
        many = recorded(emulator, {"items": list(range(100_000))})
        assert many.variables is not None and len(many.variables["items"]) < 200
        assert emulator.journal.entries()[-1].variables == many.variables  # as stored


def test_the_journal_stays_within_its_total_cap(tmp_path: Path) -> None:
    config = Config(journal_size=1000, journal_entry_bytes=10_000, journal_total_bytes=50_000)
    with InProcessEmulator(tmp_path / "data", config) as emulator:
        for _ in range(100):
            recorded(emulator, {"blob": "y" * 20_000})
        entries, held = emulator.call(emulator.emulator.journal.totals())
        assert held <= 50_000
        assert 1 <= entries < 10 and len(emulator.journal) == entries
