"""Logging artifacts with the real SDK and reading them back, byte for byte."""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path

import pytest
import wandb
from conftest import OrgSetup, journal_mark, journal_since, log_artifacts

FILES = {
    "weights.bin": os.urandom(50_000),
    "config/params.json": b'{"layers": 3}',
    "README.md": b"# model\n",
}


def upload_kind(path: str) -> str:
    """What an upload URL is for: its signed token's payload names it."""
    body = path.rsplit("/", 1)[-1].split(".")[0]
    return json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))["kind"]


def read_tree(root: Path) -> dict[str, bytes]:
    return {
        str(path.relative_to(root)): path.read_bytes()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


@pytest.mark.local_blobs  # counts the artifact files PUT to the emulator
def test_logging_uses_the_whole_upload_protocol(
    org_setup: OrgSetup, server, tmp_path: Path
) -> None:
    mark = journal_mark(server)
    log_artifacts(org_setup.admin, org_setup.team, [("proto", "model", FILES)], tmp_path)
    seen = journal_since(server, mark)
    operations = [e["operation"] for e in seen if e["operation"]]
    for expected in (
        "UpsertBucket",
        "CreateArtifact",
        "CreateArtifactFiles",
        "CommitArtifact",
        "ArtifactType",
    ):
        assert expected in operations, expected
    assert operations.count("CreateArtifactManifest") == 2
    puts = [e for e in seen if e["method"] == "PUT" and e["path"].startswith("/storage/upload/")]
    kinds = [upload_kind(e["path"]) for e in puts]
    assert kinds.count("artifact-file") == len(FILES)
    assert kinds.count("manifest") == 1
    assert "run-file" in kinds
    assert all(e["status"] == 200 for e in puts)
    streams = [e for e in seen if e["path"].endswith("/file_stream")]
    assert streams and all(e["status"] == 200 for e in streams)
    assert not [e for e in seen if e["status"] >= 500]


def test_logged_artifact_downloads_identical_bytes(org_setup: OrgSetup, tmp_path: Path) -> None:
    logged = log_artifacts(org_setup.admin, org_setup.team, [("net", "model", FILES)], tmp_path)
    artifact = org_setup.admin.api().artifact(f"{org_setup.team}/training/net:v0")
    assert artifact.version == "v0"
    assert artifact.type == "model"
    assert artifact.id == logged.artifacts[0].id
    assert artifact.aliases == ["latest"]
    assert artifact.file_count == 3
    assert artifact.size == sum(len(c) for c in FILES.values())
    assert read_tree(Path(artifact.download(root=str(tmp_path / "out")))) == FILES
    assert sorted(f.name for f in artifact.files()) == sorted(FILES)
    assert len(artifact.files()) == 3


def test_same_content_is_the_same_version(org_setup: OrgSetup, tmp_path: Path) -> None:
    log_artifacts(org_setup.admin, org_setup.team, [("data", "dataset", FILES)], tmp_path / "a")
    again = log_artifacts(
        org_setup.admin,
        org_setup.team,
        [("data", "dataset", FILES)],
        tmp_path / "b",
        aliases=["again"],
    )
    assert again.artifacts[0].version == "v0"
    api = org_setup.admin.api()
    versions = api.artifacts("dataset", f"{org_setup.team}/training/data")
    assert [v.version for v in versions] == ["v0"]
    assert set(api.artifact(f"{org_setup.team}/training/data:v0").aliases) == {"latest", "again"}


def test_new_content_is_the_next_version_and_latest_moves(
    org_setup: OrgSetup, tmp_path: Path
) -> None:
    for i in range(3):
        log_artifacts(
            org_setup.admin,
            org_setup.team,
            [("evolving", "model", {"w.bin": f"v{i}".encode()})],
            tmp_path / str(i),
        )
    api = org_setup.admin.api()
    latest = api.artifact(f"{org_setup.team}/training/evolving:latest")
    assert latest.version == "v2"
    first = api.artifact(f"{org_setup.team}/training/evolving:v0")
    assert first.aliases == []
    assert read_tree(Path(first.download(root=str(tmp_path / "v0")))) == {"w.bin": b"v0"}
    versions = api.artifacts("model", f"{org_setup.team}/training/evolving")
    assert sorted(v.version for v in versions) == ["v0", "v1", "v2"]


def test_custom_aliases_and_metadata(org_setup: OrgSetup, tmp_path: Path) -> None:
    with wandb.init(
        entity=org_setup.team,
        project="training",
        settings=wandb.Settings(api_key=org_setup.admin.api_key, base_url=org_setup.admin.base_url),
    ) as run:
        artifact = wandb.Artifact(
            "described",
            type="model",
            description="a model",
            metadata={"accuracy": 0.93, "arch": "resnet"},
        )
        Path(tmp_path, "f.txt").write_text("x")
        artifact.add_file(str(tmp_path / "f.txt"))
        run.log_artifact(artifact, aliases=["best", "prod"]).wait()
    fetched = org_setup.admin.api().artifact(f"{org_setup.team}/training/described:best")
    assert fetched.description == "a model"
    assert fetched.metadata == {"accuracy": 0.93, "arch": "resnet"}
    assert set(fetched.aliases) == {"latest", "best", "prod"}


def test_artifact_exists(org_setup: OrgSetup, tmp_path: Path) -> None:
    log_artifacts(org_setup.admin, org_setup.team, [("present", "model", FILES)], tmp_path)
    api = org_setup.admin.api()
    assert api.artifact_exists(f"{org_setup.team}/training/present:v0")
    assert not api.artifact_exists(f"{org_setup.team}/training/present:v7")
    assert not api.artifact_exists(f"{org_setup.team}/training/absent:latest")


def test_use_artifact_records_lineage(org_setup: OrgSetup, tmp_path: Path) -> None:
    producer = log_artifacts(
        org_setup.admin, org_setup.team, [("input", "dataset", FILES)], tmp_path
    )
    settings = wandb.Settings(api_key=org_setup.admin.api_key, base_url=org_setup.admin.base_url)
    with wandb.init(entity=org_setup.team, project="training", settings=settings) as consumer:
        consumer.use_artifact("input:latest")
        consumer_id = consumer.id
    artifact = org_setup.admin.api().artifact(f"{org_setup.team}/training/input:v0")
    assert artifact.logged_by().id == producer.run_id
    assert [r.id for r in artifact.used_by()] == [consumer_id]
    api = org_setup.admin.api()
    run = api.run(f"{org_setup.team}/training/{consumer_id}")
    assert [a.name for a in run.used_artifacts()] == ["input:v0"]
    assert [
        a.name for a in api.run(f"{org_setup.team}/training/{producer.run_id}").logged_artifacts()
    ] == ["input:v0"]


def test_project_listings(org_setup: OrgSetup, tmp_path: Path) -> None:
    log_artifacts(
        org_setup.admin,
        org_setup.team,
        [("m1", "model", FILES), ("d1", "dataset", FILES), ("m2", "model", FILES)],
        tmp_path,
    )
    api = org_setup.admin.api()
    types = sorted(t.name for t in api.artifact_types(f"{org_setup.team}/training"))
    assert types == ["dataset", "model"]
    collections = api.artifact_collections(f"{org_setup.team}/training", "model")
    assert sorted(c.name for c in collections) == ["m1", "m2"]
    collection = api.artifact_collection("model", f"{org_setup.team}/training/m1")
    assert collection.name == "m1" and collection.type == "model"
    assert [a.version for a in collection.artifacts()] == ["v0"]


def test_incremental_artifact_keeps_earlier_files(
    org_setup: OrgSetup, server, tmp_path: Path
) -> None:
    log_artifacts(org_setup.admin, org_setup.team, [("grow", "dataset", {"a.txt": b"a"})], tmp_path)
    settings = wandb.Settings(api_key=org_setup.admin.api_key, base_url=org_setup.admin.base_url)
    mark = journal_mark(server)
    with wandb.init(entity=org_setup.team, project="training", settings=settings) as run:
        draft = wandb.Artifact("grow", type="dataset", incremental=True)
        Path(tmp_path, "b.txt").write_bytes(b"b")
        draft.add_file(str(tmp_path / "b.txt"))
        run.log_artifact(draft).wait()
    operations = [e["operation"] for e in journal_since(server, mark)]
    assert "UpdateArtifactManifest" in operations
    grown = org_setup.admin.api().artifact(f"{org_setup.team}/training/grow:latest")
    assert grown.version == "v1"
    assert read_tree(Path(grown.download(root=str(tmp_path / "out")))) == {
        "a.txt": b"a",
        "b.txt": b"b",
    }


def test_wrong_type_for_an_existing_name_is_refused(org_setup: OrgSetup, tmp_path: Path) -> None:
    log_artifacts(org_setup.admin, org_setup.team, [("typed", "model", FILES)], tmp_path / "a")
    with pytest.raises(ValueError, match="already exists with type 'model'"):
        log_artifacts(
            org_setup.admin, org_setup.team, [("typed", "dataset", FILES)], tmp_path / "b"
        )


def test_new_draft_of_a_version_keeps_its_files(org_setup: OrgSetup, tmp_path: Path) -> None:
    log_artifacts(
        org_setup.admin, org_setup.team, [("drafted", "dataset", {"a.txt": b"a"})], tmp_path
    )
    settings = wandb.Settings(api_key=org_setup.admin.api_key, base_url=org_setup.admin.base_url)
    with wandb.init(entity=org_setup.team, project="training", settings=settings) as run:
        draft = run.use_artifact("drafted:latest").new_draft()
        Path(tmp_path, "c.txt").write_bytes(b"c")
        draft.add_file(str(tmp_path / "c.txt"))
        run.log_artifact(draft).wait()
    newer = org_setup.admin.api().artifact(f"{org_setup.team}/training/drafted:v1")
    assert read_tree(Path(newer.download(root=str(tmp_path / "out")))) == {
        "a.txt": b"a",
        "c.txt": b"c",
    }
