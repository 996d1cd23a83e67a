"""Shared fixtures: one emulator per test session (per xdist worker), the pytest plugin's
`wandb_emulator` configured with the suite's control token, and fresh, randomly named
users, organizations and teams for every test (`wandb_emulator.testing`)."""

from __future__ import annotations

import asyncio
import hashlib
import os
import sqlite3
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pytest
from s3_server import TEST_AWS_ENV, UNSET_AWS_ENV, S3Server, start_s3_server

from wandb_emulator import testing
from wandb_emulator.config import Config
from wandb_emulator.local_postgres import LocalPostgres
from wandb_emulator.pytest_plugin import _reset_sdk
from wandb_emulator.testing import (
    Accounts,
    EmulatorHandle,
    EmulatorUser,
    InProcessEmulator,
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
# The SDK's per-process defaults: none in this suite (each test names its own).
SDK_DEFAULTS = ("WANDB_API_KEY", "WANDB_ENTITY", "WANDB_ORGANIZATION", "WANDB_PROJECT")
for var in SDK_DEFAULTS:
    os.environ.pop(var, None)
# boto3, in the tests and in the servers they start, talks to moto only.
os.environ.update(TEST_AWS_ENV)
for var in UNSET_AWS_ENV:
    os.environ.pop(var, None)
# Set to 1, every server the tests start serves with stock Strawberry (tests/test_stock_path.py).
STOCK_PATH = os.environ.get("WANDB_EMULATOR_TEST_STOCK_PATH") == "1"


# `WANDB_EMULATOR_TEST_DATABASE=postgresql` (`make test-postgres`): the servers the tests
# start keep their state in PostgreSQL instead of the SQLite file of their data directory.
TEST_DATABASE_ENV = "WANDB_EMULATOR_TEST_DATABASE"
ON_POSTGRES = os.environ.get(TEST_DATABASE_ENV, "sqlite") == "postgresql"
# `WANDB_EMULATOR_TEST_BLOB_STORE=s3` (`make test-s3`): their blobs go to a bucket of a moto
# server instead of DATA_DIR/blobs. Tests of the local disk store are marked `local_blobs`.
BLOB_STORE_SWITCH = "WANDB_EMULATOR_TEST_BLOB_STORE"
ON_S3 = os.environ.get(BLOB_STORE_SWITCH) == "s3"
TEST_BUCKET = "emulator-tests"


class TestStorage:
    """Where the servers the tests start keep their state: by default the SQLite file and
    the blob directory of their data directory. On PostgreSQL, a database of each data
    directory (the same one when a test restarts a server on it), in a throwaway cluster
    this test process starts on first use. Under the S3 switch, a prefix of each data
    directory in a bucket of one moto server per test process, started on first use."""

    def __init__(self) -> None:
        self.cluster: LocalPostgres | None = None
        self._urls: dict[Path, str] = {}
        self._s3: S3Server | None = None

    def database_url(self, data_dir: Path) -> str | None:
        if not ON_POSTGRES:
            return None
        if self.cluster is None:
            self.cluster = LocalPostgres().start()
        key = data_dir.resolve()
        if key not in self._urls:
            self._urls[key] = self.cluster.create_database()
        return self._urls[key]

    def s3_server(self) -> S3Server:
        if self._s3 is None:
            self._s3 = start_s3_server(Path(tempfile.mkdtemp(prefix="wandb-emulator-moto-")))
            self._s3.create_bucket(TEST_BUCKET)
        return self._s3

    def serving(self, data_dir: Path, config: Config | None) -> Config:
        """`config` (the suite's default when None) on the test storage of `data_dir`,
        unless it names a database or a blob store itself."""
        config = config or Config(log_level="warning")
        if config.database_url is None:
            config = replace(config, database_url=self.database_url(data_dir))
        if ON_S3 and config.blob_store is None:
            # The data dir names the prefix: a server restarted on it finds its blobs.
            prefix = hashlib.md5(str(data_dir.resolve()).encode()).hexdigest()
            config = replace(config, **s3_blob_store(self.s3_server(), prefix=prefix))
        return config

    def stop(self) -> None:
        if self.cluster is not None:
            self.cluster.stop()
            self.cluster = None
        if self._s3 is not None:
            self._s3.stop()
            self._s3 = None


def s3_blob_store(
    s3: S3Server, bucket: str = TEST_BUCKET, prefix: str | None = None
) -> dict[str, str]:
    """The Config settings that keep blobs under a prefix of their own in `bucket` of
    `s3` (a new prefix unless given)."""
    return s3.blob_store(bucket, prefix or uuid.uuid4().hex)


STORAGE = TestStorage()


def pytest_sessionfinish(session: pytest.Session) -> None:
    STORAGE.stop()


class EmulatorProcess(testing.EmulatorProcess):
    """`testing.EmulatorProcess` on the test storage of its data directory."""

    def __init__(self, data_dir: Path, config: Config | None = None, **options: Any) -> None:
        super().__init__(data_dir, STORAGE.serving(data_dir, config), **options)


class RunningEmulator(testing.RunningEmulator):
    """`testing.RunningEmulator` on the test storage of its data directory."""

    def __init__(self, data_dir: Path, config: Config | None = None) -> None:
        super().__init__(data_dir, STORAGE.serving(data_dir, config))


def database_args(data_dir: Path) -> list[str]:
    """The command-line options (`seed`, `export`, ...) that name the test database of
    `data_dir`."""
    url = STORAGE.database_url(data_dir)
    return ["--database-url", url] if url else []


def database_value(data_dir: Path, sql: str) -> Any:
    """The first value `sql` reads from the test database of `data_dir`, outside any server."""
    url = STORAGE.database_url(data_dir)
    if url is None:
        db = sqlite3.connect(f"file:{data_dir / 'emulator.sqlite3'}?mode=ro", uri=True)
        try:
            return db.execute(sql).fetchone()[0]
        finally:
            db.close()

    import asyncpg

    async def read() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await conn.fetchval(sql)
        finally:
            await conn.close()

    return asyncio.run(read())


@pytest.fixture(scope="session")
def wandb_emulator(
    tmp_path_factory: pytest.TempPathFactory, wandb_emulator_config: Config
) -> Iterator[RunningEmulator]:
    """The pytest plugin's session emulator, on the test storage."""
    data_dir = tmp_path_factory.mktemp("wandb-emulator") / "data"
    with RunningEmulator(data_dir, wandb_emulator_config) as emulator:
        yield emulator


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-fuzz",
        action="store_true",
        help="run the full fuzz and crash suite (tests marked `fuzz`)",
    )


# Past this size, a failed `==` of two byte strings is explained by sizes and MD5s: pytest's
# own explanation runs difflib over them, which takes minutes for a few hundred KiB.
LONG_BYTES = 4096


def pytest_assertrepr_compare(op: str, left: object, right: object) -> list[str] | None:
    if not (op == "==" and isinstance(left, bytes) and isinstance(right, bytes)):
        return None
    if max(len(left), len(right)) <= LONG_BYTES:
        return None
    first = next((i for i, (a, b) in enumerate(zip(left, right, strict=False)) if a != b), None)
    return [
        "byte strings differ",
        f"sizes: {len(left)} != {len(right)}" if len(left) != len(right) else f"size: {len(left)}",
        f"md5: {hashlib.md5(left).hexdigest()} != {hashlib.md5(right).hexdigest()}",
        f"first difference at byte {first}" if first is not None else "one is a prefix",
    ]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if ON_S3:
        on_disk = pytest.mark.skip(reason="checks the local disk store; the S3 switch is on")
        for item in items:
            if "local_blobs" in item.keywords:
                item.add_marker(on_disk)
    if config.getoption("--run-fuzz"):
        return
    skip = pytest.mark.skip(reason="the full fuzz run is opt-in: pytest --run-fuzz -m fuzz")
    for item in items:
        if "fuzz" in item.keywords:
            item.add_marker(skip)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item: pytest.Item) -> Iterator[None]:
    """After every test and its fixtures: the SDK keeps a default entity per process (its
    `wandb.setup()` singleton's settings, and WANDB_ENTITY, which creating a sweep or
    running an agent sets), and a later test's `wandb.Api()` without an entity would
    resolve paths in it, on another test's server. The suite sets no default entity, so
    whichever a test left is dropped, with the SDK's state."""
    yield
    leaked = any(os.environ.pop(var, None) is not None for var in SDK_DEFAULTS)
    setup = sys.modules.get("wandb.sdk.wandb_setup")
    singleton = getattr(setup, "_singleton", None)  # set up once per process, or None
    if leaked or (singleton is not None and singleton.settings.entity):
        _reset_sdk()


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
