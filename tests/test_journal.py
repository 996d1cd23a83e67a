"""The request journal: its limits, its helpers, and what the server records."""

from __future__ import annotations

import time

import httpx
import pytest
from conftest import CONTROL_HEADERS, EmulatorProcess, OrgSetup, RunningEmulator

from wandb_emulator.config import Config
from wandb_emulator.journal import TRIM_EVERY, Journal, JournalEntry
from wandb_emulator.store import server_state
from wandb_emulator.testing import InProcessEmulator

VIEWER = "query Viewer { viewer { username } }"


def listed(*calls: tuple[str | None, dict | None]) -> Journal:
    """A Journal over entries in a list (as a handle reads them from the database)."""
    entries = [
        JournalEntry(seq, time.time(), "POST", "/graphql", 200, 1.0, operation, variables)
        for seq, (operation, variables) in enumerate(calls, 1)
    ]
    return Journal(lambda: list(entries), entries.clear, 10)


def test_find_and_assert_called_match_a_subset_of_the_variables() -> None:
    journal = listed(
        ("FetchRegistry", {"name": "a", "entity": "org"}),
        ("FetchRegistry", {"name": "b", "entity": "org"}),
        (None, None),
    )
    assert journal.operations() == ["FetchRegistry", "FetchRegistry", "(anonymous)"]
    assert len(journal.find("FetchRegistry", {"entity": "org"})) == 2
    [entry] = journal.assert_called("FetchRegistry", times=1, variables={"name": "b"})
    assert entry.variables == {"name": "b", "entity": "org"}
    journal.assert_not_called("FetchRegistry", {"name": "c"})
    assert journal.last("FetchRegistry") == entry
    journal.clear()
    assert len(journal) == 0


def test_assertion_helpers_fail_with_what_was_seen() -> None:
    journal = listed(("Viewer", None))
    with pytest.raises(AssertionError, match=r"UpsertRegistry at least once, got 0.*'Viewer'"):
        journal.assert_called("UpsertRegistry")
    with pytest.raises(AssertionError, match="2 time"):
        journal.assert_called("Viewer", times=2)
    with pytest.raises(AssertionError, match="Viewer was sent 1 time"):
        journal.assert_not_called("Viewer")
    with pytest.raises(AssertionError, match="no request for Nope"):
        journal.last("Nope")


def test_a_journal_holds_at_least_one_entry(tmp_path) -> None:
    with pytest.raises(ValueError):
        InProcessEmulator(tmp_path / "data", Config(journal_size=0))


def test_the_journal_keeps_the_newest_entries_within_its_byte_budget(tmp_path) -> None:
    config = Config(journal_size=3, journal_total_bytes=700)
    with InProcessEmulator(tmp_path / "data", config) as emulator:
        for name in ("A", "B", "C", "D"):
            emulator.client.get(f"/ready?{name}")
        assert [entry.seq for entry in emulator.journal] == [3, 4]  # 2 x ~260 bytes fit
        emulator.journal.clear()
        assert len(emulator.journal) == 0


def test_the_journal_table_is_trimmed_in_steps_and_reads_stay_exact(tmp_path) -> None:
    with InProcessEmulator(tmp_path / "data", Config(journal_size=5)) as emulator:
        for index in range(3 * TRIM_EVERY):
            emulator.client.get(f"/ready?{index}")
            assert len(emulator.journal) == min(index + 1, 5)
        stored = emulator.call(server_state.newest_journal_rows(emulator.emulator.db, 10**6))
        assert 5 <= len(stored) <= 5 + TRIM_EVERY
        assert [entry.seq for entry in emulator.journal] == [row[0] for row in stored[4::-1]]


def journal_entries(server: RunningEmulator, **params: str) -> list[dict]:
    response = httpx.get(
        server.base_url + "/_emulator/journal", params=params, headers=CONTROL_HEADERS, timeout=10
    )
    assert response.status_code == 200
    return response.json()["entries"]


def test_graphql_requests_are_recorded_with_the_name_from_the_document(
    server: RunningEmulator, org_setup: OrgSetup
) -> None:
    key = org_setup.admin.api_key
    query = "query FetchRegistry($name: String) { entity(name: $name) { id } }"
    assert server.graphql(key, query, {"name": f"marker-{key}"}).status_code == 200
    [entry] = [
        e
        for e in journal_entries(server, operation="FetchRegistry")
        if e["variables"] == {"name": f"marker-{key}"}
    ]
    assert (entry["method"], entry["path"], entry["status"], entry["errors"]) == (
        "POST",
        "/graphql",
        200,
        [],
    )
    assert entry["duration_ms"] > 0


def test_errors_and_statuses_are_recorded(server: RunningEmulator, org_setup: OrgSetup) -> None:
    marker = f"Unknown{org_setup.org.replace('-', '')}"
    response = server.graphql(org_setup.admin.api_key, f"query {marker} {{ nope }}")
    assert response.status_code == 400
    [entry] = journal_entries(server, operation=marker)
    assert entry["status"] == 400
    assert entry["errors"][0] == 'Cannot query field "nope" on type "Query".'

    # Unauthenticated requests are answered before their body is read: no operation.
    unauthorized = server.graphql("no-such-key", f"query {marker}Auth {{ viewer {{ id }} }}")
    assert unauthorized.status_code == 401
    assert journal_entries(server, operation=f"{marker}Auth") == []
    entry = [e for e in journal_entries(server) if e["status"] == 401][-1]
    assert entry["operation"] is None and "invalid API key" in entry["errors"][0]


def test_other_requests_are_recorded_by_method_and_path(server: RunningEmulator) -> None:
    httpx.get(server.base_url + "/ready", timeout=10)
    httpx.get(server.base_url + "/no/such/path", timeout=10)
    entries = journal_entries(server, limit="50")
    assert {"method": "GET", "path": "/ready", "status": 200}.items() <= entries[-2].items()
    assert entries[-1]["path"] == "/no/such/path" and entries[-1]["status"] == 404
    assert all(entry["operation"] is None for entry in entries[-2:])
    # Reading the journal is not journaled.
    assert not any(e["path"].startswith("/_emulator") for e in journal_entries(server))


def test_journal_http_input_is_checked(server: RunningEmulator) -> None:
    response = httpx.get(
        server.base_url + "/_emulator/journal?limit=x", headers=CONTROL_HEADERS, timeout=10
    )
    assert response.status_code == 400
    assert "limit" in response.json()["error"]
    assert journal_entries(server, limit="0") == []


def test_the_journal_size_is_configurable(tmp_path) -> None:
    with RunningEmulator(tmp_path / "data", Config(journal_size=2, log_level="warning")) as emu:
        for _ in range(3):
            httpx.get(emu.base_url + "/ready", timeout=10)
        response = httpx.get(
            emu.base_url + "/_emulator/journal", headers=emu.control_headers, timeout=10
        ).json()
        assert response["size"] == 2
        assert [entry["seq"] for entry in response["entries"]] == [2, 3]


def test_the_journal_sees_what_the_sdk_sends(wandb_emulator_user, wandb_emulator_journal) -> None:
    import wandb

    api = wandb.Api()
    api.create_registry("journaled", visibility="organization")
    [upsert] = wandb_emulator_journal.assert_called("UpsertRegistry", times=1)
    assert upsert.variables["input"]["entityName"] == wandb_emulator_user.org_entity
    assert upsert.variables["input"]["name"] == "wandb-registry-journaled"
    ops = wandb_emulator_journal.operations()
    assert ops.index("FetchRegistry") < ops.index("UpsertRegistry")


def test_debug_logging_writes_one_line_per_request(tmp_path) -> None:
    with EmulatorProcess(tmp_path / "data", Config(log_level="debug")) as server:
        server.graphql("local-wandb-emulator-default-api-key-0000000000", VIEWER)
    lines = [line for line in server.log().splitlines() if "POST /graphql" in line]
    assert len(lines) == 1
    assert "POST /graphql Viewer -> 200 in " in lines[0] and lines[0].endswith("ms")
