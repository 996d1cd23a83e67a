"""kill -9 the server while SDK processes log and link artifacts, restart it, and check
that nothing acknowledged was lost: the database passes `PRAGMA integrity_check`, every
acknowledged version is there with the same bytes (and its registry link), and no
PENDING version is visible. The short run is part of the suite; `--run-fuzz -m fuzz`
runs the long one.
"""

from __future__ import annotations

import hashlib
import json
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import wandb
from conftest import ON_POSTGRES, EmulatorProcess, database_value

WORKER = r"""
import hashlib, json, os, sys, uuid
import wandb

base_url, key, entity, registry, ack_path, count, worker = sys.argv[1:]
settings = wandb.Settings(api_key=key, base_url=base_url, silent=True)
root = os.path.join(os.path.dirname(ack_path), f"files-{worker}")
os.makedirs(root, exist_ok=True)
with wandb.init(entity=entity, project="crash", settings=settings) as run:
    for index in range(int(count)):
        name = f"w{worker}-a{index}"
        content = f"{name} {uuid.uuid4().hex}".encode() * 100
        path = os.path.join(root, f"{name}.bin")
        with open(path, "wb") as f:
            f.write(content)
        artifact = wandb.Artifact(name, type="model")
        artifact.add_file(path)
        logged = run.log_artifact(artifact)
        logged.wait()
        logged.link(f"wandb-registry-{registry}/crash-w{worker}")
        ack = {"name": name, "version": logged.version, "md5": hashlib.md5(content).hexdigest()}
        with open(ack_path, "a") as f:
            f.write(json.dumps(ack) + "\n")
            f.flush()
            os.fsync(f.fileno())
"""


@dataclass
class CrashFigures:
    workers: int
    kills: int
    acknowledged: int
    acknowledged_before_last_kill: int
    workers_failed: int
    pending_rows: int
    seconds: float

    def __str__(self) -> str:
        return (
            f"crash test: {self.workers} SDK processes, {self.kills} kill -9 + restart,"
            f" {self.acknowledged} acknowledged log+link ({self.acknowledged_before_last_kill}"
            f" before the last kill), all present with the same bytes, integrity ok,"
            f" {self.pending_rows} PENDING row(s) in the database and none visible,"
            f" {self.workers_failed} worker(s) exited non-zero, {self.seconds:.0f} s"
        )


def acks(paths: list[Path]) -> list[dict]:
    return [json.loads(line) for p in paths if p.exists() for line in p.read_text().splitlines()]


def wait_for_acks(paths: list[Path], at_least: int, workers: list, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while len(acks(paths)) < at_least:
        assert time.monotonic() < deadline, f"only {len(acks(paths))} acknowledgements"
        if all(w.poll() is not None for w in workers):
            return
        time.sleep(0.1)


def run_crash(tmp_path: Path, workers_n: int, per_worker: int, kills: int) -> CrashFigures:
    started = time.monotonic()
    server = EmulatorProcess(tmp_path / "data").start()
    admin = server.accounts.org_admin(default_entity="user")
    org, team = admin.organization, admin.team
    assert org is not None and team is not None
    registry = "crash"
    admin.api().create_registry(registry, visibility="organization", organization=org)
    ack_paths = [tmp_path / f"acks-{i}.jsonl" for i in range(workers_n)]
    logs = [(tmp_path / f"worker-{i}.log").open("wb") for i in range(workers_n)]
    workers = [
        subprocess.Popen(
            [
                sys.executable,
                "-c",
                WORKER,
                server.base_url,
                admin.api_key,
                team,
                registry,
                str(ack_paths[i]),
                str(per_worker),
                str(i),
            ],
            stdout=subprocess.DEVNULL,
            stderr=logs[i],
        )
        for i in range(workers_n)
    ]
    for log in logs:
        log.close()  # the workers hold their own descriptors
    before_last_kill = 0
    try:
        for kill in range(kills):
            wait_for_acks(ack_paths, (kill + 1) * workers_n, workers)
            before_last_kill = len(acks(ack_paths))
            server.stop(signal.SIGKILL)  # no shutdown, no checkpoint
            server = server.restarted()
        failed = sum(w.wait(timeout=600) != 0 for w in workers)
        figures = check_state(server, admin, team, acks(ack_paths))
    finally:
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
        server.stop()
    return CrashFigures(
        workers=workers_n,
        kills=kills,
        acknowledged=len(acks(ack_paths)),
        acknowledged_before_last_kill=before_last_kill,
        workers_failed=failed,
        pending_rows=figures,
        seconds=time.monotonic() - started,
    )


def check_state(server: EmulatorProcess, admin, team: str, acked: list[dict]) -> int:
    """Check the restarted server's state; the number of PENDING rows left in the database."""
    if not ON_POSTGRES:
        assert database_value(server.config.data_dir, "PRAGMA integrity_check") == "ok"
    pending = database_value(
        server.config.data_dir, "SELECT COUNT(*) FROM artifacts WHERE state = 'PENDING'"
    )
    api: wandb.Api = admin.api()
    assert acked, "no worker acknowledged anything"
    for ack in acked:
        artifact = api.artifact(f"{team}/crash/{ack['name']}:{ack['version']}")
        assert artifact.state == "COMMITTED"
        [entry] = artifact.manifest.entries.values()
        path = Path(artifact.download(root=str(server.config.data_dir.parent / "dl" / ack["name"])))
        content = (path / entry.path).read_bytes()
        assert hashlib.md5(content).hexdigest() == ack["md5"], ack
        assert artifact.linked_artifacts, f"{ack['name']} lost its registry link"
    names = {a["name"] for a in acked}
    for name in names:
        versions = api.artifacts("model", f"{team}/crash/{name}")
        assert all(v.state == "COMMITTED" for v in versions)
    return pending


def test_kill_9_under_load_loses_nothing_acknowledged(tmp_path: Path, capsys) -> None:
    figures = run_crash(tmp_path, workers_n=2, per_worker=3, kills=1)
    with capsys.disabled():
        print(f"\n{figures}")


@pytest.mark.fuzz
def test_kill_9_under_load_long(tmp_path: Path, capsys) -> None:
    figures = run_crash(tmp_path, workers_n=4, per_worker=8, kills=3)
    with capsys.disabled():
        print(f"\n{figures}")
    Path("/tmp/wandb-emulator-crash.txt").write_text(str(figures))
