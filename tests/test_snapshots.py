"""State snapshots: a rich state made through the SDK survives export -> import -> a server
started on the imported data directory, read back through the SDK the same and every
file byte-identical; bad snapshots are refused with nothing written."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tarfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import wandb
from conftest import DEFAULT_KEY, EmulatorProcess
from test_crash import WORKER
from wandb.apis.public.sweeps import _upsert_sweep
from wandb.automations import ArtifactEvent, DoNothing, OnAddArtifactAlias

from wandb_emulator.blobs import LocalBlobStore
from wandb_emulator.pytest_plugin import _reset_sdk
from wandb_emulator.snapshots import FORMAT_VERSION, MANIFEST
from wandb_emulator.store.migrations import SCHEMA_VERSION
from wandb_emulator.testing import EmulatorUser, RunningEmulator
from wandb_emulator.testing.webhooks import create_webhook_integration, insert_secret, secret_names

PROJECT = "training"


@pytest.fixture(autouse=True)
def _sdk_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the SDK leaves in this process for later tests: creating a sweep sets
    WANDB_ENTITY and WANDB_PROJECT (restored after the test), and `wandb.init` keeps its
    API key per server URL, which a later test's server may reuse (forgotten)."""
    monkeypatch.setenv("WANDB_ENTITY", "")
    monkeypatch.setenv("WANDB_PROJECT", "")
    yield
    _reset_sdk()


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wandb_emulator", *args], capture_output=True, text=True, timeout=120
    )


def _settings(user: EmulatorUser) -> wandb.Settings:
    return wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)


def make_world(emulator: RunningEmulator, tmp_path: Path) -> dict[str, Any]:
    """Users, an organization and its team, a registry with members, a run with history,
    versions with aliases and tags linked into the registry, an automation, a webhook
    integration and a secret, a sweep. What read_back needs to find it again."""
    user = emulator.new_user()
    colleague = emulator.new_user()
    emulator.seed(
        {
            "organizations": [
                {
                    "name": user.organization,
                    "members": [{"username": colleague.username, "role": "member"}],
                }
            ]
        }
    )
    api = user.api()
    registry = api.create_registry(
        "models", visibility="restricted", artifact_types=["model"], description="the models"
    )
    registry.add_members(api.team(user.team), api.user(colleague.username))

    config = {"lr": 0.01, "layers": 3}
    settings = _settings(user)
    with wandb.init(entity=user.team, project=PROJECT, config=config, settings=settings) as run:
        for step in range(5):
            run.log({"loss": 1.0 / (step + 1), "accuracy": step / 5})
        run_id = run.id
        for version in range(2):
            path = tmp_path / f"weights-{version}.bin"
            path.write_bytes(hashlib.sha256(str(version).encode()).digest() * 4096)
            artifact = wandb.Artifact("classifier", type="model", metadata={"v": version})
            artifact.add_file(str(path))
            artifact.add_file(str(tmp_path / "weights-0.bin"), name="shared/base.bin")
            run.log_artifact(artifact, aliases=[f"step-{version}"], tags=[f"tag-{version}"])
            artifact.wait()
            run.link_artifact(artifact, "wandb-registry-models/classifier", aliases=["staging"])

    collection = next(api.registry("models").collections())
    api.create_automation(
        OnAddArtifactAlias(scope=collection, filter=ArtifactEvent.alias.eq("production"))
        >> DoNothing(),
        name="on-production",
        description="nothing, for now",
    )
    create_webhook_integration(api, user.team, "deploy", "http://127.0.0.1:9/hook")
    insert_secret(api, user.team, "DEPLOY_TOKEN", "s3cr3t-value")
    sweep, _ = _upsert_sweep(
        api,
        {"method": "grid", "parameters": {"x": {"values": [1, 2]}}, "program": "train.py"},
        entity=user.team,
        project=PROJECT,
    )
    return {"user": user, "colleague": colleague, "run_id": run_id, "sweep": sweep["name"]}


def read_back(world: dict[str, Any], base_url: str, downloads: Path) -> dict[str, Any]:
    """Everything make_world made, as the SDK reads it from the server at `base_url`, and
    the MD5 of every file downloaded."""
    user: EmulatorUser = world["user"]
    api = wandb.Api(api_key=user.api_key, overrides={"base_url": base_url})
    registry = api.registry("models", user.organization)
    versions = {}
    for version in registry.versions():
        directory = Path(version.download(root=str(downloads / version.name)))
        files = {
            str(p.relative_to(directory)): hashlib.md5(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*"))
            if p.is_file()
        }
        versions[version.name] = {
            "aliases": sorted(version.aliases),
            "tags": sorted(version.tags),
            "metadata": version.metadata,
            "digest": version.digest,
            "source": version.source_name,
            "files": files,
        }
    run = api.run(f"{user.team}/{PROJECT}/{world['run_id']}")
    colleague = wandb.Api(
        api_key=world["colleague"].api_key, overrides={"base_url": base_url}
    ).viewer
    return {
        "viewer": (api.viewer.username, api.default_entity),
        "colleague": colleague.username,
        "team": sorted(m.username for m in api.team(user.team).members),
        "registry": (
            registry.description,
            registry.visibility,
            list(registry.artifact_types),
            sorted((m.user.username, str(m.role)) for m in registry.user_members()),
            sorted((m.team.name, str(m.role)) for m in registry.team_members()),
        ),
        "collections": [(c.name, c.type) for c in registry.collections()],
        "versions": versions,
        "run": (
            run.name,
            run.state,
            {k: v for k, v in run.config.items() if not k.startswith("_")},
            {k: run.summary[k] for k in ("loss", "accuracy")},
            [(row["_step"], row["loss"]) for row in run.scan_history()],
            sorted(a.name for a in run.logged_artifacts()),
        ),
        "automations": sorted(
            (a.name, a.description, a.event.event_type.value, a.action.action_type.value)
            for a in api.automations(entity=user.org_entity)
        ),
        "integrations": sorted(i.name for i in api.webhook_integrations(entity=user.team)),
        "secrets": secret_names(api, user.team),
        "sweep": api.sweep(f"{user.team}/{PROJECT}/{world['sweep']}").config["parameters"],
    }


def test_round_trip_export_import_and_serve(tmp_path: Path) -> None:
    with RunningEmulator(tmp_path / "a") as first:
        world = make_world(first, tmp_path)
        before = read_back(world, first.base_url, tmp_path / "downloads-a")
        # The export reads the data directory itself, while its server runs.
        exported = cli("export", str(tmp_path / "state.tar"), "--data-dir", str(tmp_path / "a"))
        assert exported.returncode == 0, exported.stderr
    imported = cli("import", str(tmp_path / "state.tar"), "--data-dir", str(tmp_path / "b"))
    assert imported.returncode == 0, imported.stderr
    assert "imported" in imported.stdout

    with RunningEmulator(tmp_path / "b") as second:
        after = read_back(world, second.base_url, tmp_path / "downloads-b")
    assert after == before
    assert len(before["versions"]) == 2 and all(v["files"] for v in before["versions"].values())
    assert before["run"][4] == [(step, 1.0 / (step + 1)) for step in range(5)]
    [automation] = before["automations"]
    assert automation[:2] == ("on-production", "nothing, for now")
    assert (before["integrations"], before["secrets"]) == (["deploy"], ["DEPLOY_TOKEN"])
    assert len(before["registry"][3]) == 2 and len(before["registry"][4]) == 1


def test_the_manifest_describes_the_archive(tmp_path: Path) -> None:
    with RunningEmulator(tmp_path / "data") as emulator:
        emulator.new_user()
        manifest = emulator.snapshot(tmp_path / "state.tar")
    with tarfile.open(tmp_path / "state.tar") as tar:
        names = tar.getnames()
        written = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    assert written == manifest
    assert names[0] == MANIFEST and sorted(names[1:]) == sorted(manifest["files"])
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["database"]["schema_version"] == SCHEMA_VERSION
    assert manifest["counts"]["tables"]["users"] == 2  # the default seed's and new_user's


# ---------------------------------------------------------------- while writing


def check_consistent(data_dir: Path) -> int:
    """An imported snapshot is one commit's state: the database passes its checks, every
    committed version's files are stored with their bytes, every collection's version
    indexes run 0..n-1 with `latest` on the last. The number of committed versions."""
    with sqlite3.connect(data_dir / "emulator.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        assert conn.execute("PRAGMA foreign_key_check").fetchall() == []
        files = conn.execute(
            "SELECT f.blob_key FROM artifact_files f JOIN artifacts a ON a.id = f.artifact_id"
            " WHERE a.state = 'COMMITTED'"
        ).fetchall()
        indexes = conn.execute(
            "SELECT collection_id, group_concat(version_index) FROM"
            " (SELECT * FROM artifact_memberships ORDER BY version_index) GROUP BY collection_id"
        ).fetchall()
        latest = conn.execute(
            "SELECT m.collection_id, m.version_index = (SELECT max(version_index)"
            " FROM artifact_memberships WHERE collection_id = m.collection_id)"
            " FROM artifact_aliases a JOIN artifact_memberships m"
            " ON m.collection_id = a.collection_id AND m.artifact_id = a.artifact_id"
            " WHERE a.alias = 'latest'"
        ).fetchall()
        committed = conn.execute("SELECT count(*) FROM artifacts WHERE state = 'COMMITTED'")
        count = committed.fetchone()[0]
    conn.close()
    blobs = LocalBlobStore(data_dir / "blobs")
    for (key,) in files:
        assert hashlib.md5(blobs.path(key).read_bytes()).hexdigest() == key
    for _, listed in indexes:
        assert [int(i) for i in listed.split(",")] == list(range(len(listed.split(","))))
    assert len(latest) == len(indexes) and all(is_last for _, is_last in latest)
    return count


def test_export_during_concurrent_sdk_writes_is_consistent(tmp_path: Path) -> None:
    with RunningEmulator(tmp_path / "data") as emulator:
        user = emulator.new_user()
        user.api().create_registry("crash", visibility="organization")
        workers = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    emulator.base_url,
                    user.api_key,
                    user.team,
                    "crash",
                    str(tmp_path / f"acks-{n}.jsonl"),
                    "6",
                    str(n),
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for n in range(2)
        ]
        counts = []
        try:
            for n in range(4):
                target = tmp_path / f"state-{n}.tar"
                exported = cli("export", str(target), "--data-dir", str(tmp_path / "data"))
                assert exported.returncode == 0, exported.stderr
                imported = cli("import", str(target), "--data-dir", str(tmp_path / f"copy-{n}"))
                assert imported.returncode == 0, imported.stderr
                counts.append(check_consistent(tmp_path / f"copy-{n}"))
        finally:
            assert [w.wait(timeout=300) for w in workers] == [0, 0]
        final = emulator.snapshot(tmp_path / "final.tar")
    assert counts == sorted(counts)  # each snapshot a later commit's state
    assert final["counts"]["tables"]["artifacts"] >= 12 and counts[-1] <= 12


# ---------------------------------------------------------------- serve, signals


def _log_big_artifact(base_url: str, tmp_path: Path, megabytes: int) -> None:
    settings = wandb.Settings(api_key=DEFAULT_KEY, base_url=base_url, silent=True)
    with wandb.init(entity="emulator-team", project="big", settings=settings) as run:
        artifact = wandb.Artifact("big", type="dataset")
        for n in range(3):
            path = tmp_path / f"big-{n}.bin"
            path.write_bytes(os.urandom(megabytes * 1024 * 1024 // 3))
            artifact.add_file(str(path))
        run.log_artifact(artifact).wait()


@pytest.mark.local_blobs  # snapshots hold the local store's blobs
def test_serve_export_on_exit_under_sigterm_then_import(tmp_path: Path) -> None:
    target = tmp_path / "exit.tar"
    server = EmulatorProcess(tmp_path / "data", options=["--export-on-exit", str(target)]).start()
    _log_big_artifact(server.base_url, tmp_path, 1)
    assert server.stop(signal.SIGTERM) == 0
    with tarfile.open(target) as tar:
        manifest = json.loads(tar.extractfile(MANIFEST).read())  # type: ignore[union-attr]
    assert manifest["counts"]["tables"]["artifacts"] == 1 and manifest["counts"]["blobs"] >= 4
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".exit.tar")] == []

    second = EmulatorProcess(tmp_path / "again", options=["--import", str(target)]).start()
    try:
        api = wandb.Api(api_key=DEFAULT_KEY, overrides={"base_url": second.base_url})
        # skip_cache: the SDK's file cache keeps the destination of an earlier download that
        # skipped it (ArtifactFileCache._override_cache_path) and then answers every file of
        # that size with that file; an earlier test in this process may have left one.
        artifact = api.artifact("emulator-team/big/big:v0")
        downloaded = Path(artifact.download(str(tmp_path / "dl"), skip_cache=True))
        for n in range(3):
            assert (downloaded / f"big-{n}.bin").read_bytes() == (
                tmp_path / f"big-{n}.bin"
            ).read_bytes()
    finally:
        second.stop()
    refused = EmulatorProcess(tmp_path / "again", options=["--import", str(target)]).launch()
    assert refused.process is not None and refused.process.wait(timeout=60) == 2
    assert "--replace" in refused.log()


@pytest.mark.local_blobs  # snapshots hold the local store's blobs
def test_a_second_signal_during_the_export_leaves_the_previous_snapshot(tmp_path: Path) -> None:
    target = tmp_path / "exit.tar"
    target.write_bytes(b"the previous snapshot")
    server = EmulatorProcess(tmp_path / "data", options=["--export-on-exit", str(target)]).start()
    _log_big_artifact(server.base_url, tmp_path, 150)
    server.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".exit.tar.*/snapshot.tar")):  # the export has begun
        assert time.monotonic() < deadline and server.process.poll() is None
        time.sleep(0.002)
    assert server.stop(signal.SIGINT) == 130
    assert target.read_bytes() == b"the previous snapshot"
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".exit.tar")] == []
    assert "snapshot abandoned" in server.log()


# ---------------------------------------------------------------- in a running server


def test_snapshot_and_restore_over_http_and_the_command_line(tmp_path: Path) -> None:
    with RunningEmulator(tmp_path / "data") as emulator:
        user = emulator.new_user()
        user.api().create_registry("kept", visibility="organization")
        url, headers = emulator.base_url + "/_emulator", emulator.control_headers
        assert httpx.get(url + "/snapshot", timeout=30).status_code == 401
        taken = httpx.get(url + "/snapshot", headers=headers, timeout=30)
        assert taken.status_code == 200, taken.text
        assert taken.headers["content-type"] == "application/x-tar"
        (tmp_path / "http.tar").write_bytes(taken.content)
        control = ("--url", emulator.base_url, "--control-token", emulator.control_token)
        saved = cli("snapshot", str(tmp_path / "cli.tar"), *control)
        assert saved.returncode == 0, saved.stderr

        user.api().create_registry("dropped", visibility="organization")
        refused = httpx.post(url + "/restore", headers=headers, content=b"junk", timeout=30)
        assert refused.status_code == 400 and "not restored" in refused.json()["error"]
        assert _registries(user) == ["dropped", "kept"]

        restored = httpx.post(url + "/restore", headers=headers, content=taken.content, timeout=30)
        assert restored.status_code == 200, restored.text
        assert _registries(user) == ["kept"]

        user.api().create_registry("dropped", visibility="organization")
        done = cli("restore", str(tmp_path / "cli.tar"), *control)
        assert done.returncode == 0, done.stderr
        assert _registries(user) == ["kept"]


def _registries(user: EmulatorUser) -> list[str]:
    return sorted(r.name for r in user.api().registries())


PLUGIN_TESTS = """
import pytest
import wandb

KEY = "restoreduserkey" + "0" * 30


@pytest.mark.wandb_emulator_snapshot("state.tar")
def test_first(wandb_emulator_user):
    api = wandb_emulator_user.api()  # made after the restore
    assert [r.name for r in api.registries()] == []
    admin = wandb.Api(api_key=KEY, overrides={"base_url": wandb_emulator_user.base_url})
    assert [r.name for r in admin.registries(organization="snap-org")] == ["from-snapshot"]


@pytest.mark.wandb_emulator_snapshot("state.tar")
def test_second_sees_the_snapshot_again(wandb_emulator):
    api = wandb.Api(api_key=KEY, overrides={"base_url": wandb_emulator.base_url})
    assert [r.name for r in api.registries(organization="snap-org")] == ["from-snapshot"]
    api.create_registry("made-here", visibility="organization", organization="snap-org")


@pytest.mark.wandb_emulator_snapshot("state.tar")
def test_third_does_not_see_the_second(wandb_emulator):
    api = wandb.Api(api_key=KEY, overrides={"base_url": wandb_emulator.base_url})
    assert [r.name for r in api.registries(organization="snap-org")] == ["from-snapshot"]
"""


def test_the_plugin_marker_restores_a_snapshot_before_each_test(
    pytester: pytest.Pytester, tmp_path: Path
) -> None:
    key = "restoreduserkey" + "0" * 30
    with RunningEmulator(tmp_path / "data") as emulator:
        emulator.seed(
            {
                "users": [{"username": "restored-user", "apiKey": key, "admin": True}],
                "organizations": [
                    {
                        "name": "snap-org",
                        "members": [{"username": "restored-user", "role": "admin"}],
                    }
                ],
                "registries": [{"name": "from-snapshot", "organization": "snap-org"}],
            }
        )
        emulator.snapshot(pytester.path / "state.tar")
    pytester.makepyfile(PLUGIN_TESTS)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=3)
