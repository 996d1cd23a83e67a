"""Shared fixtures: one real emulator process per test session (per xdist worker),
and fresh, randomly named users, organizations and teams for every test."""

from __future__ import annotations

import atexit
import functools
import hashlib
import os
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from asgi import AsgiEmulator
from s3_server import TEST_AWS_ENV, UNSET_AWS_ENV, S3Server, start_s3_server

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
# The control token of every emulator the tests start (`serve` reads it from here).
CONTROL_TOKEN = "test-control-token-" + uuid.uuid4().hex
CONTROL_HEADERS = {"authorization": f"Bearer {CONTROL_TOKEN}"}
os.environ["WANDB_EMULATOR_CONTROL_TOKEN"] = CONTROL_TOKEN
for var in ("WANDB_API_KEY", "WANDB_ENTITY", "WANDB_ORGANIZATION", "WANDB_PROJECT"):
    os.environ.pop(var, None)
# boto3, in the tests and in the servers they start, talks to moto only.
os.environ.update(TEST_AWS_ENV)
for var in UNSET_AWS_ENV:
    os.environ.pop(var, None)
# The switch that runs every server the tests start on a bucket (moto) instead of
# DATA_DIR/blobs: `make test-s3`. Tests of the local disk store are marked `local_blobs`.
BLOB_STORE_SWITCH = "WANDB_EMULATOR_TEST_BLOB_STORE"
ON_S3 = os.environ.get(BLOB_STORE_SWITCH) == "s3"
TEST_BUCKET = "emulator-tests"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--run-fuzz",
        action="store_true",
        help="run the full fuzz and crash suite (tests marked `fuzz`)",
    )


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


def instance_admin_api(base_url: str):
    """A wandb.Api as the default seed's instance admin."""
    import wandb

    return wandb.Api(api_key=DEFAULT_KEY, overrides={"base_url": base_url})


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class ServerProcess:
    process: subprocess.Popen[bytes]
    base_url: str
    fixture_url: str
    data_dir: Path
    log_path: Path
    ca_file: Path | None = None  # for https: the certificate clients must trust

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What httpx should verify the base port's certificate with."""
        return ssl.create_default_context(cafile=self.ca_file) if self.ca_file else True

    def stop(self, sig: int | None = None) -> int:
        if self.process.poll() is None:
            if sig is None:
                self.process.terminate()
            else:
                self.process.send_signal(sig)
        return self.process.wait(timeout=20)


@functools.cache
def shared_s3_server() -> S3Server:
    """One moto server per test process, for the servers `make test-s3` starts."""
    server = start_s3_server(Path(tempfile.mkdtemp(prefix="wandb-emulator-moto-")))
    atexit.register(server.stop)
    server.create_bucket(TEST_BUCKET)
    return server


def s3_blob_store_args(
    s3: S3Server, bucket: str = TEST_BUCKET, prefix: str | None = None
) -> tuple[str, ...]:
    """serve's options for blobs under a prefix of their own in `bucket` (a new one
    unless given)."""
    url = f"s3://{bucket}/{prefix or uuid.uuid4().hex}"
    return ("--blob-store", url, "--s3-endpoint-url", s3.endpoint_url)


def launch_server(
    data_dir: Path,
    *extra: str,
    port: int | None = None,
    log_level: str = "warning",
    tls: tuple[Path, Path] | None = None,
) -> ServerProcess:
    """Start `wandb-emulator serve` (on free ports by default) without waiting for it;
    `tls` (certificate, key) serves the base port over https. Under the S3 switch, its
    blobs go to a prefix of their own in the shared moto server's bucket."""
    port = port or free_port()
    if ON_S3 and "--blob-store" not in extra:
        # The data dir names the prefix: a server restarted on it finds its blobs.
        prefix = hashlib.md5(str(data_dir.resolve()).encode()).hexdigest()
        extra = (*extra, *s3_blob_store_args(shared_s3_server(), prefix=prefix))
    if tls:
        extra = (*extra, "--tls-cert", str(tls[0]), "--tls-key", str(tls[1]))
    fixture_port = free_port()
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    log_path = data_dir.parent / f"{data_dir.name}-server.log"
    command = [sys.executable, "-m", "wandb_emulator", "serve", "--port", str(port)]
    command += ["--fixture-port", str(fixture_port), "--data-dir", str(data_dir)]
    command += ["--log-level", log_level, *extra]
    with log_path.open("ab") as log:
        process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT)
    scheme = "https" if tls else "http"
    base_url, fixture_url = f"{scheme}://127.0.0.1:{port}", f"http://127.0.0.1:{fixture_port}"
    ca_file = tls[0] if tls else None
    return ServerProcess(process, base_url, fixture_url, data_dir, log_path, ca_file)


def start_server(
    data_dir: Path, *extra: str, port: int | None = None, tls: tuple[Path, Path] | None = None
) -> ServerProcess:
    server = launch_server(data_dir, *extra, port=port, tls=tls)
    wait_until_ready(server)
    return server


def wait_until_ready(server: ServerProcess, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.process.poll() is not None:
            raise RuntimeError(f"emulator exited early:\n{server.log_path.read_text()}")
        try:
            if (
                httpx.get(server.base_url + "/ready", timeout=1, verify=server.verify).status_code
                == 200
                and httpx.get(server.fixture_url + "/health", timeout=1).status_code == 200
            ):
                return
        except httpx.TransportError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"emulator not ready after {timeout}s:\n{server.log_path.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    proc = start_server(tmp_path_factory.mktemp("emulator") / "data")
    os.environ["WANDB_BASE_URL"] = proc.base_url
    yield proc
    proc.stop()


@pytest.fixture(scope="module")
def asgi_emulator(tmp_path_factory: pytest.TempPathFactory) -> Iterator[AsgiEmulator]:
    """The fast tier's emulator: in this process, through the ASGI transport."""
    emulator = AsgiEmulator(tmp_path_factory.mktemp("asgi") / "data")
    yield emulator
    emulator.close()


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


@dataclass(frozen=True)
class Account:
    """A user created through the fixture service; its API key is its username."""

    username: str
    base_url: str

    @property
    def api_key(self) -> str:
        return self.username

    def api(self, **overrides: str):
        import wandb

        return wandb.Api(api_key=self.api_key, overrides={"base_url": self.base_url, **overrides})


class FixtureClient:
    """Speaks W&B's local-testcontainer fixture protocol to the emulator."""

    def __init__(self, server: ServerProcess) -> None:
        self.server = server
        self.http = httpx.Client(base_url=server.fixture_url, timeout=10)

    def command(self, resource: str, body: dict) -> dict:
        response = self.http.post(f"/db/{resource}", json=body)
        response.raise_for_status()
        return response.json()

    def user(self) -> Account:
        username = "user-" + uuid.uuid4().hex + uuid.uuid4().hex[:8]
        self.command(
            "user", {"command": "up", "username": username, "password": None, "admin": False}
        )
        self.command(
            "user",
            {"command": "password", "username": username, "password": username, "admin": False},
        )
        return Account(username, self.server.base_url)

    def org(self, owner: Account) -> str:
        name = unique("org")
        self.command(
            "organization",
            {"command": "up", "orgName": name, "username": owner.username, "fixtureData": None},
        )
        return name

    def add_org_members(self, org: str, **roles: str) -> None:
        members = [{"username": username, "role": role} for username, role in roles.items()]
        self.command(
            "organization",
            {"command": "add_members", "orgName": org, "fixtureData": {"members": members}},
        )

    def add_org_member(self, org: str, user: Account, role: str) -> None:
        self.add_org_members(org, **{user.username: role})

    def team(self, org: str, owner: Account) -> str:
        name = unique("team")
        self.command(
            "team",
            {
                "command": "up",
                "username": owner.username,
                "fixtureData": {
                    "planName": "enterprise",
                    "team": {"name": name},
                    "organization": {"name": org},
                },
            },
        )
        return name


@pytest.fixture(scope="session")
def fixtures(server: ServerProcess) -> Iterator[FixtureClient]:
    client = FixtureClient(server)
    yield client
    client.http.close()  # its pooled connections, or warnings (errors here) at teardown


@dataclass(frozen=True)
class OrgSetup:
    """An organization with its admin user and one team the admin belongs to."""

    admin: Account
    org: str
    team: str
    fixtures: FixtureClient

    def member(self, role: str = "member") -> Account:
        user = self.fixtures.user()
        self.fixtures.add_org_member(self.org, user, role)
        return user


@pytest.fixture
def org_setup(fixtures: FixtureClient) -> OrgSetup:
    admin = fixtures.user()
    org = fixtures.org(admin)
    team = fixtures.team(org, admin)
    return OrgSetup(admin=admin, org=org, team=team, fixtures=fixtures)


@functools.cache
def http_client(base_url: str) -> httpx.Client:
    """One keep-alive client per server: a new connection per request costs ~20 ms."""
    return httpx.Client(base_url=base_url, timeout=10)


def graphql(
    server: ServerProcess, key: str, query: str, variables: dict | None = None, **kwargs
) -> httpx.Response:
    return http_client(server.base_url).post(
        "/graphql",
        json={"query": query, "variables": variables or {}},
        auth=("api", key),
        **kwargs,
    )


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
    user: Account,
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


def journal_mark(server: ServerProcess) -> int:
    """The newest journal sequence number, to read what a test sends after it."""
    entries = journal_since(server, 0)
    return entries[-1]["seq"] if entries else 0


def journal_since(server: ServerProcess, mark: int) -> list[dict]:
    response = httpx.get(
        f"{server.base_url}/_emulator/journal", headers=CONTROL_HEADERS, timeout=10
    )
    return [e for e in response.json()["entries"] if e["seq"] > mark]
