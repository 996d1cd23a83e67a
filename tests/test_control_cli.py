"""`wandb-emulator reset | seed | journal | fault | deliveries` against a running emulator."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import wandb
from conftest import CONTROL_TOKEN, RunningEmulator, database_args, instance_admin_api

from wandb_emulator.config import Config
from wandb_emulator.testing import free_port

SEED_YAML = """
users:
  - username: yaml-user
    apiKey: yaml-user-key-0000000000000000000000000000000000
organizations:
  - name: yaml-org
    members: [{username: yaml-user, role: admin}]
registries:
  - name: from-yaml
    organization: yaml-org
"""
YAML_KEY = "yaml-user-key-0000000000000000000000000000000000"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wandb_emulator", *args], capture_output=True, text=True, timeout=60
    )


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    config = Config(control_token=CONTROL_TOKEN, log_level="warning")  # as the environment says
    with RunningEmulator(tmp_path / "data", config) as running:
        yield running


def test_seed_a_yaml_file_into_a_running_server_then_reset(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(SEED_YAML)
    seeded = cli("seed", str(seed_file), "--url", emulator.base_url)
    assert seeded.returncode == 0, seeded.stderr
    api = wandb.Api(api_key=YAML_KEY, overrides={"base_url": emulator.base_url})
    assert [r.name for r in api.registries(organization="yaml-org")] == ["from-yaml"]

    reset = cli("--log-level", "debug", "reset", "--url", emulator.base_url)
    assert reset.returncode == 0, reset.stderr
    assert reset.stdout.startswith("reset in ")
    with pytest.raises(wandb.errors.AuthenticationError):
        wandb.Api(api_key=YAML_KEY, overrides={"base_url": emulator.base_url})


def _seed_data_dir(seed_file: Path, data_dir: Path) -> subprocess.CompletedProcess[str]:
    """`wandb-emulator seed --data-dir` (with the data dir's test database)."""
    args = ["--data-dir", str(data_dir), *database_args(data_dir), "--log-level", "warning"]
    return cli("seed", str(seed_file), *args)


def test_seed_a_data_dir_before_serving(tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(SEED_YAML)
    data_dir = tmp_path / "data"
    seeded = _seed_data_dir(seed_file, data_dir)
    assert seeded.returncode == 0, seeded.stderr
    with RunningEmulator(data_dir) as emulator:
        api = wandb.Api(api_key=YAML_KEY, overrides={"base_url": emulator.base_url})
        assert [r.name for r in api.registries(organization="yaml-org")] == ["from-yaml"]
        # The default seed was applied too, as `serve` does on a fresh data dir.
        default = instance_admin_api(emulator.base_url)
        assert default.viewer.username == "emulator"


def test_seed_a_data_dir_while_it_is_served(tmp_path: Path) -> None:
    """The server's caches of reads notice another process's commit: a key it has
    refused works once `seed --data-dir` has added its user, with no write by the
    server in between."""
    seed_file = tmp_path / "seed.yaml"
    seed_file.write_text(SEED_YAML)
    data_dir = tmp_path / "data"
    with RunningEmulator(data_dir) as emulator:
        with pytest.raises(wandb.errors.AuthenticationError):
            wandb.Api(api_key=YAML_KEY, overrides={"base_url": emulator.base_url})
        seeded = _seed_data_dir(seed_file, data_dir)
        assert seeded.returncode == 0, seeded.stderr
        api = wandb.Api(api_key=YAML_KEY, overrides={"base_url": emulator.base_url})
        assert api.viewer.username == "yaml-user"
        assert [r.name for r in api.registries(organization="yaml-org")] == ["from-yaml"]


def test_bad_seed_files_fail_with_a_message(emulator: RunningEmulator, tmp_path: Path) -> None:
    seed_file = tmp_path / "seed.json"
    seed_file.write_text('{"teams": [{"name": "t", "organization": "missing"}]}')
    result = cli("seed", str(seed_file), "--url", emulator.base_url)
    assert result.returncode == 2
    assert "organization 'missing' not found" in result.stderr
    missing = cli("seed", str(tmp_path / "absent.json"), "--url", emulator.base_url)
    assert missing.returncode == 2 and "cannot read seed file" in missing.stderr


def test_faults_and_journal_from_the_command_line(emulator: RunningEmulator) -> None:
    url = ["--url", emulator.base_url]
    added = cli(
        "fault", "add", "--operation", "Viewer", "--error", "cli says no", "--times", "1", *url
    )
    assert added.returncode == 0, added.stderr
    rule = json.loads(added.stdout)
    assert (rule["operation"], rule["error"], rule["times"]) == ("Viewer", "cli says no", 1)
    assert [r["id"] for r in json.loads(cli("fault", "list", *url).stdout)] == [rule["id"]]

    response = httpx.post(
        emulator.base_url + "/graphql",
        json={"query": "query Viewer { viewer { id } }"},
        auth=("api", emulator.new_user().api_key),
    )
    assert response.json()["errors"] == [{"message": "cli says no"}]
    entries = json.loads(cli("journal", "--operation", "Viewer", *url).stdout)
    assert entries[-1]["fault"]["id"] == rule["id"]

    assert cli("fault", "clear", *url).returncode == 0
    assert emulator.faults.rules() == []
    assert cli("journal", "--clear", *url).returncode == 0
    assert len(emulator.journal) == 0


def test_refused_faults_and_unreachable_servers_exit_2(emulator: RunningEmulator) -> None:
    refused = cli("fault", "add", "--operation", "Viewer", "--url", emulator.base_url)
    assert refused.returncode == 2
    assert "HTTP 400" in refused.stderr and "needs an `error`" in refused.stderr
    nowhere = cli("reset", "--url", f"http://127.0.0.1:{free_port()}")
    assert nowhere.returncode == 2 and "cannot reach the emulator" in nowhere.stderr


def test_deliveries_command_prints_the_log_and_changes_settings(
    emulator: RunningEmulator,
) -> None:
    from wandb.automations import DoNothing, OnRunState, RunEvent

    user = emulator.new_user()
    api = user.api()
    api.create_project("cli", user.team)
    project = api.project("cli", user.team)
    event = OnRunState(scope=project, filter=RunEvent.state.eq("finished"))
    api.create_automation(event >> DoNothing(), name="cli-noop")
    with wandb.init(
        entity=user.team,
        project="cli",
        settings=wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True),
    ) as run:
        run_id = run.id
    printed = cli("deliveries", "--automation", "cli-noop", "--url", emulator.base_url)
    assert printed.returncode == 0, printed.stderr
    [delivery] = json.loads(printed.stdout)
    assert (delivery["action"], delivery["outcome"]) == ("NO_OP", "recorded")
    assert delivery["event"]["run_id"] == run_id

    changed = cli("deliveries", "--mode", "sync", "--retries", "1", "--url", emulator.base_url)
    assert json.loads(changed.stdout)["synchronous"] is True
    assert emulator.emulator.automations.settings.retries == 1
    assert cli("deliveries", "--clear", "--url", emulator.base_url).returncode == 0
    assert emulator.deliveries() == []
