"""Abandoned uploads are removed and unreferenced blobs collected, in the background,
after deletes and at reset."""

from __future__ import annotations

import base64
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import wandb
from conftest import RunningEmulator

from wandb_emulator.config import Config
from wandb_emulator.testing import EmulatorUser

CREATE = """
mutation CreateArtifact($input: CreateArtifactInput!) {
  createArtifact(input: $input) { artifact { id state } }
}
"""
FETCH = "query($id: ID!) { artifact(id: $id) { id state } }"
EAGER = Config(log_level="warning", pending_max_age_seconds=0, blob_grace_seconds=0)


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[RunningEmulator]:
    with RunningEmulator(tmp_path / "data", EAGER) as running:
        yield running


def gql(user: EmulatorUser, query: str, variables: dict) -> dict:
    response = httpx.post(
        user.base_url + "/graphql",
        json={"query": query, "variables": variables},
        auth=("api", user.api_key),
        timeout=10,
    )
    body = response.json()
    assert "errors" not in body, body
    return body["data"]


def pending_version(user: EmulatorUser) -> str:
    """A version created and never committed, as by a client killed mid-upload."""
    created = gql(
        user,
        CREATE,
        {
            "input": {
                "artifactTypeName": "dataset",
                "entityName": user.team,
                "projectName": "abandoned",
                "artifactCollectionName": "half-done",
                "digest": uuid.uuid4().hex,
            }
        },
    )["createArtifact"]["artifact"]
    assert created["state"] == "PENDING"
    return created["id"]


def blob_files(emulator: RunningEmulator) -> set[str]:
    root = emulator.config.data_dir / "blobs"
    return {p.name for p in root.glob("*/*") if p.is_file()}


def log_artifact(user: EmulatorUser, tmp_path: Path, name: str, content: bytes):
    path = tmp_path / f"{name}.bin"
    path.write_bytes(content)
    settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
    with wandb.init(entity=user.team, project="gc", settings=settings) as run:
        artifact = wandb.Artifact(name, type="dataset")
        artifact.add_file(str(path))
        run.log_artifact(artifact).wait()
    return user.api().artifact(f"{user.team}/gc/{name}:latest")


def blob_key(artifact, name: str) -> str:
    return base64.b64decode(artifact.manifest.entries[name].digest).hex()


def test_abandoned_pending_versions_are_removed(emulator: RunningEmulator) -> None:
    user = emulator.new_user()
    version_id = pending_version(user)
    swept = emulator.maintain()
    assert swept.abandoned_versions == 1
    assert gql(user, FETCH, {"id": version_id})["artifact"] is None
    assert (
        user.api().artifact_collection_exists(f"{user.team}/abandoned/half-done", "dataset")
        is False
    )


def test_recent_pending_versions_are_kept(tmp_path: Path) -> None:
    with RunningEmulator(tmp_path / "data", Config(log_level="warning")) as emulator:
        user = emulator.new_user()
        version_id = pending_version(user)
        assert emulator.maintain().abandoned_versions == 0
        assert gql(user, FETCH, {"id": version_id})["artifact"]["state"] == "PENDING"


def test_a_background_task_removes_abandoned_uploads(tmp_path: Path) -> None:
    config = Config(
        log_level="warning", pending_max_age_seconds=0, maintenance_interval_seconds=0.05
    )
    with RunningEmulator(tmp_path / "data", config) as emulator:
        user = emulator.new_user()
        version_id = pending_version(user)
        deadline = time.monotonic() + 30
        while gql(user, FETCH, {"id": version_id})["artifact"] is not None:
            assert time.monotonic() < deadline, "the abandoned version was never removed"
            time.sleep(0.05)


@pytest.mark.local_blobs  # the blob files on disk
def test_deleted_versions_release_their_blobs(emulator: RunningEmulator, tmp_path: Path) -> None:
    user = emulator.new_user()
    shared, own = b"shared bytes " + uuid.uuid4().bytes, b"own bytes " + uuid.uuid4().bytes
    kept = log_artifact(user, tmp_path, "kept", shared)
    log_artifact(user, tmp_path, "other", shared)
    doomed = log_artifact(user, tmp_path, "doomed", own)
    own_key = blob_key(doomed, "doomed.bin")
    shared_key = blob_key(kept, "kept.bin")
    assert {own_key, shared_key} <= blob_files(emulator)

    doomed.delete(delete_aliases=True)  # wakes the background sweep (interval: 10 minutes)
    deadline = time.monotonic() + 30
    while own_key in blob_files(emulator):
        assert time.monotonic() < deadline, "the deleted version's blob was never collected"
        time.sleep(0.05)
    assert shared_key in blob_files(emulator)
    downloaded = Path(kept.download(root=str(tmp_path / "k")))
    assert (downloaded / "kept.bin").read_bytes() == shared


@pytest.mark.local_blobs  # the blob files on disk
def test_reset_deletes_every_blob(emulator: RunningEmulator, tmp_path: Path) -> None:
    user = emulator.new_user()
    log_artifact(user, tmp_path, "gone", b"gone " + uuid.uuid4().bytes)
    assert blob_files(emulator)
    emulator.reset()
    assert blob_files(emulator) == set()
