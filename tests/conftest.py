"""Shared fixtures: one emulator per test session (per xdist worker), the pytest plugin's
`wandb_emulator` configured with the suite's control token, and fresh, randomly named
users, organizations and teams for every test (`wandb_emulator.testing`)."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from wandb_emulator.config import Config
from wandb_emulator.testing import (
    Accounts,
    EmulatorHandle,
    EmulatorUser,
    InProcessEmulator,
    RunningEmulator,
)

_WANDB_HOME = Path(tempfile.mkdtemp(prefix="wandb-emulator-tests-"))
os.environ.update(
    WANDB_SILENT="true",
    WANDB_DIR=str(_WANDB_HOME),
    WANDB_CONFIG_DIR=str(_WANDB_HOME / "config"),
    WANDB_CACHE_DIR=str(_WANDB_HOME / "cache"),
    WANDB_DATA_DIR=str(_WANDB_HOME / "data"),
    WANDB_ERROR_REPORTING="false",
    NETRC=str(_WANDB_HOME / "netrc"),
)
# The default seed's instance admin.
DEFAULT_KEY = "local-wandb-emulator-default-api-key-0000000000"
# The control token of the session's emulator, and of the `serve` processes tests start
# (`serve` and the control commands read it from the environment).
CONTROL_TOKEN = "test-control-token-" + uuid.uuid4().hex
CONTROL_HEADERS = {"authorization": f"Bearer {CONTROL_TOKEN}"}
os.environ["WANDB_EMULATOR_CONTROL_TOKEN"] = CONTROL_TOKEN
for var in ("WANDB_API_KEY", "WANDB_ENTITY", "WANDB_ORGANIZATION", "WANDB_PROJECT"):
    os.environ.pop(var, None)
# Set to 1, every server the tests start serves with stock Strawberry (tests/test_stock_path.py).
STOCK_PATH = os.environ.get("WANDB_EMULATOR_TEST_STOCK_PATH") == "1"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-fuzz",
        action="store_true",
        help="run the full fuzz and crash suite (tests marked `fuzz`)",
    )


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--run-fuzz"):
        return
    skip = pytest.mark.skip(reason="the full fuzz run is opt-in: pytest --run-fuzz -m fuzz")
    for item in items:
        if "fuzz" in item.keywords:
            item.add_marker(skip)


def instance_admin_api(base_url: str):
    """A wandb.Api as the default seed's instance admin."""
    import wandb

    return wandb.Api(api_key=DEFAULT_KEY, overrides={"base_url": base_url})


@pytest.fixture(scope="session")
def wandb_emulator_config() -> Config:
    """The plugin's session emulator, with the suite's control token (and stock Strawberry
    when the suite runs for tests/test_stock_path.py)."""
    return Config(log_level="warning", control_token=CONTROL_TOKEN, fast_execution=not STOCK_PATH)


@pytest.fixture(scope="session")
def server(wandb_emulator: RunningEmulator) -> RunningEmulator:
    """The session's emulator, as the default server of the SDK in this process."""
    os.environ["WANDB_BASE_URL"] = wandb_emulator.base_url
    return wandb_emulator


@pytest.fixture(scope="module")
def in_process(tmp_path_factory: pytest.TempPathFactory) -> Iterator[InProcessEmulator]:
    """The fast tier's emulator: in this process, through the ASGI interface."""
    with InProcessEmulator(tmp_path_factory.mktemp("in-process") / "data") as emulator:
        yield emulator


@pytest.fixture(scope="session")
def accounts(server: RunningEmulator) -> Accounts:
    return server.accounts


@dataclass(frozen=True)
class OrgSetup:
    """An organization with its admin user and one team the admin belongs to."""

    admin: EmulatorUser
    accounts: Accounts

    @property
    def org(self) -> str:
        assert self.admin.organization is not None
        return self.admin.organization

    @property
    def team(self) -> str:
        assert self.admin.team is not None
        return self.admin.team

    def member(self, role: str = "member") -> EmulatorUser:
        return self.accounts.member(self.org, role)


@pytest.fixture
def org_setup(accounts: Accounts) -> OrgSetup:
    return OrgSetup(accounts.org_admin(default_entity="user"), accounts)


@dataclass
class RunLog:
    """What a test logged through `wandb.init`: the run id and the logged artifacts."""

    run_id: str
    artifacts: list


def write_files(root: Path, files: dict[str, bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return root


def log_artifacts(
    user: EmulatorUser,
    entity: str,
    specs: list[tuple[str, str, dict[str, bytes]]],
    tmp_path: Path,
    *,
    project: str = "training",
    aliases: list[str] | None = None,
) -> RunLog:
    """Run `wandb.init` in `entity` and log one artifact per (name, type, files) spec."""
    import wandb

    settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
    logged = []
    with wandb.init(entity=entity, project=project, settings=settings) as run:
        for index, (name, type_, files) in enumerate(specs):
            artifact = wandb.Artifact(name, type=type_)
            artifact.add_dir(str(write_files(tmp_path / f"{name}-{index}", files)))
            logged.append(run.log_artifact(artifact, aliases=aliases))
        for artifact in logged:
            artifact.wait()
        run_id = run.id
    return RunLog(run_id, logged)


def run_in_parallel(script: str, argvs: list[list[str]], timeout: float = 180) -> list[str]:
    """Run `script` in one Python process per argv, all at once; return their stdout."""
    workers = [
        subprocess.Popen(
            [sys.executable, "-c", script, *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    outputs = []
    for worker in workers:
        out, err = worker.communicate(timeout=timeout)
        assert worker.returncode == 0, err
        assert "database is locked" not in err
        outputs.append(out.strip())
    return outputs


def journal_mark(server: EmulatorHandle) -> int:
    """The newest journal sequence number, to read what a test sends after it."""
    entries = journal_since(server, 0)
    return entries[-1]["seq"] if entries else 0


def journal_since(server: EmulatorHandle, mark: int) -> list[dict]:
    response = server.client.get("/_emulator/journal", headers=server.control_headers)
    return [e for e in response.json()["entries"] if e["seq"] > mark]
