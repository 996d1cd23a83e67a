"""/metrics (Prometheus' text format) and JSON logs: scraped and parsed as an operator's
tools would, with counts that move with the requests made and no secret in any line."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import httpx
import pytest
import wandb
from conftest import CONTROL_HEADERS, CONTROL_TOKEN, EmulatorProcess
from prometheus_client.parser import text_string_to_metric_families
from wandb.automations import DoNothing, OnRunState, RunEvent

from wandb_emulator.config import Config
from wandb_emulator.testing import RunningEmulator
from wandb_emulator.testing.webhooks import create_webhook_integration, insert_secret

Samples = dict[tuple[str, tuple[tuple[str, str], ...]], float]


def scrape(base_url: str, headers: dict[str, str]) -> Samples:
    answer = httpx.get(base_url + "/metrics", headers=headers, timeout=10)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith("text/plain")
    return {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(answer.text)
        for sample in family.samples
    }


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples.get((name, tuple(sorted(labels.items()))), 0.0)


def total(samples: Samples, name: str) -> float:
    return sum(v for (n, _), v in samples.items() if n == name)


def test_metrics_move_with_requests(tmp_path: Path) -> None:
    with RunningEmulator(tmp_path / "data") as emulator:
        headers = emulator.control_headers
        assert httpx.get(emulator.base_url + "/metrics", timeout=10).status_code == 401
        user = emulator.new_user()
        api = user.api()
        api.create_project("metered", user.team)
        api.create_automation(
            OnRunState(scope=api.project("metered", user.team), filter=RunEvent.state.eq("failed"))
            >> DoNothing(),
            name="noop",
        )
        before = scrape(emulator.base_url, headers)
        viewer = {"route": "/graphql", "operation": "Viewer", "method": "POST", "status": "200"}
        for _ in range(3):
            user.api().viewer  # noqa: B018
        payload = b"metered bytes" * 1000
        settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
        with wandb.init(entity=user.team, project="metered", settings=settings) as run:
            (tmp_path / "f.bin").write_bytes(payload)
            artifact = wandb.Artifact("metered", type="dataset")
            artifact.add_file(str(tmp_path / "f.bin"))
            run.log_artifact(artifact).wait()
            run.finish(exit_code=1)
        api.artifact(f"{user.team}/metered/metered:v0").download(
            str(tmp_path / "dl"), skip_cache=True
        )
        after = scrape(emulator.base_url, headers)
        held = emulator.call(emulator.emulator.journal.totals())  # entries, bytes
        # Scrapes are not SDK traffic: the journal leaves them out.
        assert emulator.journal.requests("GET", "/metrics") == []

    requests = "wandb_emulator_requests_total"
    assert value(after, requests, **viewer) - value(before, requests, **viewer) >= 3
    graphql = {"route": "/graphql", "operation": "Viewer"}
    assert value(after, "wandb_emulator_request_duration_seconds_count", **graphql) >= 3
    assert value(after, "wandb_emulator_request_duration_seconds_bucket", **graphql, le="+Inf") >= 3
    uploads = {"route": "/storage/upload/{token}", "operation": "", "method": "PUT"}
    assert value(after, requests, **uploads, status="200") >= 2  # the file and the manifest
    for name in (
        "wandb_emulator_store_statements_total",
        "wandb_emulator_store_cache_lookups_total",
    ):
        assert total(after, name) > total(before, name)
    commits = "wandb_emulator_store_transactions_total"
    assert value(after, commits, outcome="commit") > value(before, commits, outcome="commit")
    assert 0 < value(after, "wandb_emulator_store_cache_hit_ratio", connection="reader") < 1
    moved = "wandb_emulator_blob_bytes_total"
    assert value(after, moved, direction="in") - value(before, moved, direction="in") >= len(
        payload
    )
    assert value(after, moved, direction="out") - value(before, moved, direction="out") >= len(
        payload
    )
    delivered = "wandb_emulator_webhook_deliveries_total"
    assert (
        value(after, delivered, outcome="recorded")
        == value(before, delivered, outcome="recorded") + 1
    )
    assert value(after, "wandb_emulator_journal_entries") == held[0]
    assert value(after, "wandb_emulator_journal_bytes") == held[1] > 0


def test_metrics_can_be_public_and_take_an_instance_admin(tmp_path: Path) -> None:
    config = replace(Config(log_level="warning"), metrics_public=True)
    with RunningEmulator(tmp_path / "public", config) as emulator:
        assert httpx.get(emulator.base_url + "/metrics", timeout=10).status_code == 200
    with RunningEmulator(tmp_path / "private") as emulator:
        admin = {"authorization": f"Bearer {emulator.emulator.default_user_key()}"}
        assert (
            httpx.get(emulator.base_url + "/metrics", headers=admin, timeout=10).status_code == 200
        )
        user = {"authorization": f"Bearer {emulator.new_user().api_key}"}
        assert (
            httpx.get(emulator.base_url + "/metrics", headers=user, timeout=10).status_code == 401
        )


@pytest.fixture
def json_server(tmp_path: Path):
    config = Config(log_format="json", log_level="info")  # --log-format json --log-level info
    with EmulatorProcess(tmp_path / "data", config) as server:
        yield server


def test_json_logs_have_a_line_per_request_and_no_secret(json_server, tmp_path: Path) -> None:
    server = json_server
    key = "keyofalice" + "1" * 40
    seeded = {
        "users": [{"username": "alice-json", "apiKey": key}],
        "organizations": [
            {"name": "json-org", "members": [{"username": "alice-json", "role": "admin"}]}
        ],
        "teams": [
            {
                "name": "json-team",
                "organization": "json-org",
                "members": [{"username": "alice-json", "role": "admin"}],
            }
        ],
    }
    httpx.post(
        server.base_url + "/_emulator/seed", json=seeded, headers=CONTROL_HEADERS, timeout=10
    )
    api = wandb.Api(api_key=key, overrides={"base_url": server.base_url})
    api.create_registry("logged", visibility="organization", organization="json-org")
    insert_secret(api, "json-team", "HOOK_TOKEN", "the-secret-value-42")
    create_webhook_integration(
        api, "json-team", "hook", "http://127.0.0.1:9/hook", access_token_ref="HOOK_TOKEN"
    )
    settings = wandb.Settings(api_key=key, base_url=server.base_url, silent=True)
    with wandb.init(entity="json-team", project="logs", settings=settings) as run:
        (tmp_path / "f.txt").write_text("logged bytes")
        artifact = wandb.Artifact("logged", type="dataset")
        artifact.add_file(str(tmp_path / "f.txt"))
        run.log_artifact(artifact).wait()
    api.artifact("json-team/logs/logged:v0").download(str(tmp_path / "dl"))
    fixture_user = server.accounts.user()  # its username is its API key
    fixture_user.api().viewer  # noqa: B018
    answered = httpx.post(
        server.base_url + "/graphql",
        json={"query": "query Viewer { viewer { username } }"},
        headers={"authorization": f"Bearer {key}", "x-request-id": "trace-me-123"},
        timeout=10,
    )
    server.stop()

    lines = server.log().splitlines()
    entries = [json.loads(line) for line in lines if line.startswith("{")]
    banner = [line for line in lines if not line.startswith("{")]
    assert all(line.startswith(("export ", "# web UI")) for line in banner), banner
    requests = [e for e in entries if e["logger"] == "wandb_emulator.requests"]
    assert {"request_id", "operation", "status", "duration_ms", "user", "route"} <= set(requests[0])
    by_operation = {e["operation"] for e in requests}
    assert {"UpsertRegistry", "CreateArtifact", "InsertSecret"} <= by_operation
    assert any(e["user"] == "alice-json" for e in requests)
    assert answered.headers["x-request-id"] == "trace-me-123"
    assert [e["status"] for e in requests if e["request_id"] == "trace-me-123"] == [200]
    assert len({e["request_id"] for e in requests}) == len(requests)
    everything = server.log()
    for secret in (key, fixture_user.api_key, "the-secret-value-42", CONTROL_TOKEN):
        log_lines = "\n".join(line for line in everything.splitlines() if line.startswith("{"))
        assert secret not in log_lines
