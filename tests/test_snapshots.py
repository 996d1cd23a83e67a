"""State snapshots: a rich state made through the SDK survives export -> import -> a server
started on the imported data directory, read back through the SDK the same and every
file byte-identical; bad snapshots are refused with nothing written."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import tarfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import wandb
from wandb.apis.public.sweeps import _upsert_sweep
from wandb.automations import ArtifactEvent, DoNothing, OnAddArtifactAlias

from wandb_emulator.pytest_plugin import _forget_sdk_session_credentials
from wandb_emulator.snapshots import FORMAT_VERSION, MANIFEST
from wandb_emulator.store.migrations import SCHEMA_VERSION
from wandb_emulator.testing import EmulatorUser, RunningEmulator
from wandb_emulator.webhooks import create_webhook_integration, insert_secret, secret_names

PROJECT = "training"


@pytest.fixture(autouse=True)
def _sdk_process_state(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """What the SDK leaves in this process for later tests: creating a sweep sets
    WANDB_ENTITY and WANDB_PROJECT (restored after the test), and `wandb.init` keeps its
    API key per server URL, which a later test's server may reuse (forgotten)."""
    monkeypatch.setenv("WANDB_ENTITY", "")
    monkeypatch.setenv("WANDB_PROJECT", "")
    yield
    _forget_sdk_session_credentials()


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
