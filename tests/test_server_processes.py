"""Two `serve` processes on one database and one data directory, as a shared service runs
them: SDK processes spread over both write at once without duplicate versions or lost
aliases, and what one process commits is what the other answers with at its next
request, its caches notwithstanding. `make test-postgres` runs these on PostgreSQL."""

from __future__ import annotations

import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest
import wandb
from conftest import ON_POSTGRES, EmulatorProcess, OrgSetup, instance_admin_api, run_in_parallel

# The full fleet on PostgreSQL (make test-postgres); a small one on SQLite keeps make test short.
PROCESSES, LINKS = (16, 20) if ON_POSTGRES else (4, 5)


@pytest.fixture(scope="module")
def pair(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[EmulatorProcess, EmulatorProcess]]:
    data_dir = tmp_path_factory.mktemp("shared") / "data"
    # The first creates the schema, the seed and the signing key; the second finds them.
    with EmulatorProcess(data_dir) as first, EmulatorProcess(data_dir) as second:
        yield first, second


@pytest.fixture
def org(pair: tuple[EmulatorProcess, EmulatorProcess]) -> OrgSetup:
    accounts = pair[0].accounts
    return OrgSetup(accounts.org_admin(default_entity="user"), accounts)


def _api(server: EmulatorProcess, key: str) -> wandb.Api:
    return wandb.Api(api_key=key, overrides={"base_url": server.base_url})


LINKER = textwrap.dedent(
    """
    import pathlib, sys, tempfile, wandb
    base_url, key, team, worker, links = sys.argv[1:6]
    settings = wandb.Settings(api_key=key, base_url=base_url, silent=True)
    root = pathlib.Path(tempfile.mkdtemp())
    with wandb.init(entity=team, project="fleet", settings=settings) as run:
        for i in range(int(links)):
            (root / "weights.txt").write_text(f"worker {worker} link {i}")
            artifact = wandb.Artifact(f"model-{worker}", type="model")
            artifact.add_file(str(root / "weights.txt"))
            run.log_artifact(artifact)
            run.link_artifact(
                artifact, "wandb-registry-shared/contended", aliases=[f"w{worker}-l{i}"]
            )
    """
)


@pytest.mark.timeout(900)  # the full fleet: 320 SDK links
def test_sdk_processes_on_two_servers_get_every_version_once(
    pair: tuple[EmulatorProcess, EmulatorProcess], org: OrgSetup
) -> None:
    api = _api(pair[0], org.admin.api_key)
    api.create_registry("shared", "organization", organization=org.org)
    argvs = [
        [pair[n % 2].base_url, org.admin.api_key, org.team, str(n), str(LINKS)]
        for n in range(PROCESSES)
    ]
    run_in_parallel(LINKER, argvs, timeout=900)

    versions = list(_api(pair[1], org.admin.api_key).registry("shared", org.org).versions())
    assert sorted(int(v.version[1:]) for v in versions) == list(range(PROCESSES * LINKS))
    aliases = {alias for v in versions for alias in v.aliases}
    wanted = {f"w{n}-l{i}" for n in range(PROCESSES) for i in range(LINKS)}
    assert aliases == wanted | {"latest"}
    for version in versions:  # each alias on the version its link made
        [alias] = [a for a in version.aliases if a != "latest"]
        worker, link = alias[1:].split("-l")
        assert version.source_name == f"model-{worker}:v{link}"
    latest = api.artifact(f"{org.org}/wandb-registry-shared/contended:latest")
    assert latest.version == f"v{PROCESSES * LINKS - 1}"


def test_a_revoked_key_is_refused_by_the_other_process_at_once(
    pair: tuple[EmulatorProcess, EmulatorProcess], org: OrgSetup
) -> None:
    first, second = pair
    user = org.member()
    for _ in range(2):  # the second answer comes from the other process's caches
        assert _api(second, user.api_key).viewer.username == user.username

    owner = _api(first, user.api_key).viewer
    [name] = owner.api_keys
    assert owner.delete_api_key(name)
    with pytest.raises(wandb.errors.AuthenticationError):
        _api(second, user.api_key).viewer  # noqa: B018 (the request is the point)


def test_a_deleted_registry_is_gone_from_the_other_process_at_once(
    pair: tuple[EmulatorProcess, EmulatorProcess], org: OrgSetup
) -> None:
    first, second = pair
    _api(first, org.admin.api_key).create_registry("short-lived", "organization", org.org)
    reader = _api(second, org.admin.api_key)
    for _ in range(2):  # the second answer comes from its caches
        assert reader.registry("short-lived", org.org).name == "short-lived"

    _api(first, org.admin.api_key).registry("short-lived", org.org).delete()
    with pytest.raises(ValueError, match="Failed to load registry 'short-lived'"):
        _api(second, org.admin.api_key).registry("short-lived", org.org)


def test_each_write_is_read_back_from_the_other_process(
    pair: tuple[EmulatorProcess, EmulatorProcess], org: OrgSetup
) -> None:
    writer = _api(pair[0], org.admin.api_key)
    reader = _api(pair[1], org.admin.api_key)
    writer.create_registry("ping-pong", "organization", org.org)
    for n in range(10):
        registry = writer.registry("ping-pong", org.org)
        registry.description = f"round {n}"
        registry.save()
        assert reader.registry("ping-pong", org.org).description == f"round {n}"
        writer, reader = reader, writer


def test_the_default_seed_was_applied_once(pair: tuple[EmulatorProcess, EmulatorProcess]) -> None:
    for server in pair:
        assert instance_admin_api(server.base_url).viewer.username == "emulator"
    logs = [Path(server.log_path).read_text() for server in pair]
    assert not any("Traceback" in log for log in logs), logs
