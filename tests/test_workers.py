"""`serve --workers N`: uvicorn worker processes on one port, one database and one blob
store. What every worker must agree on (the control token, the URL-signing key, a
reset), one maintenance leader at a time, and a worker killed under load: nothing the
SDK had acknowledged is lost, the other worker serves meanwhile and uvicorn's supervisor
starts a replacement. (tests/test_server_processes.py runs the fleet of SDK processes
against two workers too.)"""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import IO

import httpx
import pytest
import wandb
from conftest import STORAGE, EmulatorProcess, OrgSetup

from wandb_emulator.config import Config
from wandb_emulator.signing import data_dir_secret
from wandb_emulator.store.database import Database

TWO_WORKERS = Config(log_level="warning", workers=2)
ROUNDS = 12  # requests on fresh connections: each worker answers some of them


@pytest.fixture(scope="module")
def workers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    data_dir = tmp_path_factory.mktemp("workers") / "data"
    with EmulatorProcess(data_dir, TWO_WORKERS) as server:
        yield server


def test_every_worker_answers_and_the_fixture_port_is_served_once(
    workers: EmulatorProcess,
) -> None:
    assert len(workers.worker_pids) == 2
    assert workers.pid not in workers.worker_pids  # the supervisor serves the fixture port
    assert httpx.get(workers.fixture_url + "/health", timeout=30).status_code == 200


@pytest.mark.fast
def test_processes_creating_the_signing_key_together_agree(tmp_path: Path) -> None:
    with ThreadPoolExecutor(8) as pool:
        secrets = set(pool.map(lambda _: data_dir_secret(tmp_path / "data"), range(32)))
    assert len(secrets) == 1
    assert [p.name for p in (tmp_path / "data").iterdir()] == ["signing.key"]


def test_a_generated_control_token_is_every_workers(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "WANDB_EMULATOR_CONTROL_TOKEN"}
    with EmulatorProcess(tmp_path / "data", TWO_WORKERS, env=environment) as server:
        assert server.config.control_token is None
        token = server.control_token  # the one it printed
        headers = {"authorization": f"Bearer {token}"}
        for _ in range(ROUNDS):
            response = httpx.get(server.base_url + "/_emulator/journal", headers=headers)
            assert response.status_code == 200, response.text


def test_a_reset_through_one_worker_is_seen_by_every_worker(workers: EmulatorProcess) -> None:
    user = workers.new_user()
    for _ in range(ROUNDS):  # both workers know the user (and may have cached the key)
        assert workers.graphql(user.api_key, "{ viewer { username } }").status_code == 200
    workers.reset()
    for _ in range(ROUNDS):
        assert workers.graphql(user.api_key, "{ viewer { username } }").status_code == 401
    workers.__dict__.pop("accounts", None)  # the reset removed its users too


def test_one_maintenance_leader_at_a_time(tmp_path: Path) -> None:
    """The lock the periodic sweep takes without waiting: held by one process of the
    database, free again once it lets go (or dies: the kernel or the session drops it)."""
    target = STORAGE.database_url(tmp_path) or tmp_path / "emulator.sqlite3"

    async def leaders() -> list[bool]:
        first, second = Database(target), Database(target)
        await first.open()
        await second.open()
        try:
            async with (
                first.exclusive("blob-work", wait=False) as held_first,
                second.exclusive("blob-work", wait=False) as held_second,
            ):
                pass
            async with second.exclusive("blob-work", wait=False) as held_after:
                pass
            return [held_first, held_second, held_after]
        finally:
            await first.close()
            await second.close()

    assert asyncio.run(leaders()) == [True, False, True]


LINKS_PER_PROCESS = 8
ACKED = re.compile(r"w\d+-l\d+")  # what LOGGER prints once a link is answered
LOGGER = textwrap.dedent(
    """
    import pathlib, sys, tempfile, wandb
    base_url, key, team, worker, links = sys.argv[1:6]
    settings = wandb.Settings(api_key=key, base_url=base_url, silent=True)
    root = pathlib.Path(tempfile.mkdtemp())
    with wandb.init(entity=team, project="killed", id=f"run-{worker}", settings=settings) as run:
        for i in range(int(links)):
            run.log({"step_value": i})
            (root / "weights.txt").write_text(f"worker {worker} link {i}")
            artifact = wandb.Artifact(f"model-{worker}", type="model")
            artifact.add_file(str(root / "weights.txt"))
            run.log_artifact(artifact)
            alias = f"w{worker}-l{i}"
            run.link_artifact(artifact, "wandb-registry-load/linked", aliases=[alias])
            print(alias, flush=True)  # acknowledged
    """
)


def test_a_worker_killed_under_load_loses_nothing_acknowledged(
    workers: EmulatorProcess, tmp_path: Path
) -> None:
    accounts = workers.accounts
    org = OrgSetup(accounts.org_admin(default_entity="user"), accounts)
    api = wandb.Api(api_key=org.admin.api_key, overrides={"base_url": workers.base_url})
    api.create_registry("load", "organization", organization=org.org)
    outputs = [tmp_path / f"sdk-{n}.out" for n in range(4)]
    with contextlib.ExitStack() as files:
        sdk = _start_loggers(workers, org, [files.enter_context(out.open("w")) for out in outputs])
        _kill_a_worker_once_under_way(workers, sdk, outputs)
        # A request in flight on the killed worker fails (the SDK then reports, e.g.,
        # "commitArtifact: unexpected EOF" and its run ends), as behind any load balancer
        # whose replica dies; the other processes carry on through the other worker.
        finished = [n for n, process in enumerate(sdk) if process.wait(timeout=600) == 0]
    printed = [out.read_text() for out in outputs]
    assert finished, printed
    acknowledged = {word for text in printed for word in text.split() if ACKED.fullmatch(word)}
    versions = list(api.registry("load", org.org).versions())
    aliases = {alias for version in versions for alias in version.aliases}
    assert acknowledged <= aliases  # nothing the SDK was answered for is lost
    for n in finished:  # every link and every step of the runs that ran to the end
        assert {f"w{n}-l{i}" for i in range(LINKS_PER_PROCESS)} <= acknowledged
        history = api.run(f"{org.team}/killed/run-{n}").history(keys=["step_value"], pandas=False)
        assert [row["step_value"] for row in history] == list(range(LINKS_PER_PROCESS))
    # uvicorn's supervisor replaced the killed worker: two workers answer again.
    victim = workers.worker_pids.pop()
    workers.worker_pids.clear()
    workers.wait_until_ready()
    assert len(workers.worker_pids) == 2 and victim not in workers.worker_pids


def _start_loggers(
    server: EmulatorProcess, org: OrgSetup, logs: list[IO[str]]
) -> list[subprocess.Popen[str]]:
    return [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                LOGGER,
                server.base_url,
                org.admin.api_key,
                org.team,
                str(n),
                str(LINKS_PER_PROCESS),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for n, log in enumerate(logs)
    ]


def _kill_a_worker_once_under_way(
    server: EmulatorProcess, sdk: list[subprocess.Popen[str]], outputs: list[Path]
) -> None:
    """SIGKILL to one worker once the SDK processes have 4 links acknowledged; the
    killed one is left alone in `server.worker_pids`."""
    deadline = time.monotonic() + 300
    while sum(len(out.read_text().split()) for out in outputs) < 4:
        assert time.monotonic() < deadline and all(p.poll() is None for p in sdk)
        time.sleep(0.2)
    victim = sorted(server.worker_pids)[0]
    os.kill(victim, signal.SIGKILL)
    server.worker_pids.intersection_update({victim})
