"""Blobs in an S3-compatible bucket (`--blob-store s3://bucket/prefix`), against moto's
server on loopback: the SDK uploads and downloads through presigned bucket URLs, the
emulator checks sizes and MD5s itself, multipart uploads, ranges, collection, reset,
and `wandb verify` with the bucket CORS configuration README.md documents."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

import httpx
import pytest
import wandb
from certs import self_signed_certificate
from conftest import (
    STORAGE,
    EmulatorProcess,
    OrgSetup,
    RunningEmulator,
    journal_mark,
    journal_since,
    log_artifacts,
    s3_blob_store,
    write_files,
)
from s3_server import S3Server, start_s3_server
from test_artifact_fidelity import download_elsewhere
from test_storage import _create
from test_verify import assert_wandb_verify_passes

from wandb_emulator import testing
from wandb_emulator.config import Config, parse_s3_url
from wandb_emulator.snapshots import SnapshotError
from wandb_emulator.testing import free_port

BUCKET = "emulator-blobs"
FILES = """mutation ($input: CreateArtifactFilesInput!) { createArtifactFiles(input: $input) {
  files { edges { node { storagePath uploadUrl uploadHeaders
    uploadMultipartUrls { uploadID uploadUrlParts { partNumber uploadUrl } } } } } } }"""
MANIFEST = """mutation ($artifactID: ID!, $entity: String!) {
  createArtifactManifest(input: {artifactID: $artifactID, name: "wandb_manifest.json",
    digest: "d", entityName: $entity, projectName: "uploads", runName: "", type: FULL}) {
    artifactManifest { file { uploadUrl } } } }"""
COMMIT = """mutation ($id: ID!) {
  commitArtifact(input: {artifactID: $id}) { artifact { state size } } }"""
STATE = """query ($id: ID!) { artifact(id: $id) { state currentManifest { id } } }"""
COMPLETE = """mutation ($artifactID: ID!, $parts: [UploadPartsInput!]!, $path: String!,
  $uploadID: String!) { completeMultipartUploadArtifact(input: {completeMultipartAction:
  Complete, completedParts: $parts, artifactID: $artifactID, storagePath: $path,
  uploadID: $uploadID}) { digest } }"""
MANIFEST_AND_FILES = """query ($id: ID!) { artifact(id: $id) {
  currentManifest { file { directUrl } }
  files { edges { node { name storagePath directUrl } } } } }"""


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def holding(s3: S3Server, prefix: str, content: bytes) -> set[str]:
    """The objects under the prefix named for this content (`.../<md5 hex>`)."""
    md5 = hashlib.md5(content).hexdigest()
    return {key for key in s3.object_keys(BUCKET, prefix + "/") if key.endswith("/" + md5)}


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = start_s3_server(tmp_path_factory.mktemp("moto"))
    server.create_bucket(BUCKET)
    yield server
    server.stop()


def on_bucket(s3: S3Server, bucket: str = BUCKET, **settings: Any) -> Config:
    """A Config keeping blobs under a new prefix of `bucket`."""
    return Config(log_level="warning", **s3_blob_store(s3, bucket), **settings)


@pytest.fixture(scope="module")
def emulator(s3: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmulatorProcess]:
    with EmulatorProcess(tmp_path_factory.mktemp("s3-emulator") / "data", on_bucket(s3)) as server:
        yield server


def blob_prefix(emulator: EmulatorProcess) -> str:
    assert emulator.config.blob_store is not None
    return parse_s3_url(emulator.config.blob_store)[1]


@pytest.fixture
def setup(emulator: EmulatorProcess) -> OrgSetup:
    return OrgSetup(emulator.accounts.org_admin(default_entity="user"), emulator.accounts)


def _announce(emulator: EmulatorProcess, setup: OrgSetup, artifact_id: str, spec: dict) -> dict:
    response = emulator.graphql(
        setup.admin.api_key,
        FILES,
        {"input": {"artifactFiles": [{"artifactID": artifact_id, **spec}]}},
    ).json()
    return response["data"]["createArtifactFiles"]["files"]["edges"][0]["node"]


def _uploaded_file(emulator: EmulatorProcess, setup: OrgSetup, name: str, content: bytes) -> str:
    """A new pending version with the file `f.bin` announced and PUT; its id."""
    artifact_id = _create(emulator, setup, name)["id"]
    url = _announce(emulator, setup, artifact_id, {"name": "f.bin", "md5": b64md5(content)})
    httpx.put(url["uploadUrl"], content=content, timeout=10).raise_for_status()
    return str(artifact_id)


def _commit_with(
    emulator: EmulatorProcess, setup: OrgSetup, artifact_id: str, contents: dict
) -> dict:
    key = setup.admin.api_key
    variables = {"artifactID": artifact_id, "entity": setup.team}
    url = emulator.graphql(key, MANIFEST, variables).json()["data"]["createArtifactManifest"][
        "artifactManifest"
    ]["file"]["uploadUrl"]
    manifest = {
        "version": 1,
        "storagePolicy": "wandb-storage-policy-v1",
        "storagePolicyConfig": {"storageLayout": "V2"},
        "contents": contents,
    }
    httpx.put(url, json=manifest, timeout=10).raise_for_status()
    return emulator.graphql(key, COMMIT, {"id": artifact_id}).json()


def _presigned_at(s3: S3Server, url: str, object_key: str) -> bool:
    parts = urlsplit(url)
    return (
        f"{parts.scheme}://{parts.netloc}" == s3.endpoint_url
        and unquote(parts.path) == f"/{BUCKET}/{object_key}"
        and "X-Amz-Signature" in parse_qs(parts.query)
    )


def test_every_upload_goes_to_the_bucket_laid_out_as_on_wandb(
    s3: S3Server, emulator: EmulatorProcess, setup: OrgSetup, tmp_path: Path
) -> None:
    """The SDK PUTs nothing to the emulator: artifact files, the manifest and run files
    go to presigned bucket URLs, at W&B's paths, and come back byte for byte."""
    content, saved = os.urandom(50_000), os.urandom(3000)
    (tmp_path / "saved.bin").write_bytes(saved)
    settings = wandb.Settings(
        api_key=setup.admin.api_key, base_url=setup.admin.base_url, silent=True
    )
    mark = journal_mark(emulator)
    with wandb.init(entity=setup.team, project="laid", settings=settings) as run:
        run.save(str(tmp_path / "saved.bin"), base_path=str(tmp_path), policy="now")
        artifact = wandb.Artifact("w", type="model")
        artifact.add_dir(str(write_files(tmp_path / "w", {"w.bin": content})))
        run.log_artifact(artifact).wait()
        run_id = run.id
    seen = journal_since(emulator, mark)
    assert [e["path"] for e in seen if e["method"] == "PUT"] == []
    assert {"CreateRunFiles", "CreateArtifactFiles", "CommitArtifact"} <= {
        e["operation"] for e in seen
    }
    prefix = blob_prefix(emulator)
    logged = setup.admin.api().artifact(f"{setup.team}/laid/w:v0")
    found = emulator.graphql(setup.admin.api_key, MANIFEST_AND_FILES, {"id": logged.id}).json()
    node = found["data"]["artifact"]["files"]["edges"][0]["node"]
    md5 = hashlib.md5(content).hexdigest()
    sequence, version = node["storagePath"].split("/")[1:3]
    assert node["storagePath"] == f"wandb_artifacts/{sequence}/{version}/{md5}"
    assert _presigned_at(s3, node["directUrl"], f"{prefix}/{node['storagePath']}")
    manifest_url = found["data"]["artifact"]["currentManifest"]["file"]["directUrl"]
    manifest_key = f"{prefix}/wandb_artifacts/{sequence}/{version}/wandb_manifest.json"
    assert _presigned_at(s3, manifest_url, manifest_key)
    run_file = setup.admin.api().run(f"{setup.team}/laid/{run_id}").file("saved.bin")
    assert run_file.size == len(saved)
    run_object = unquote(urlsplit(run_file.direct_url).path).removeprefix(f"/{BUCKET}/")
    assert re.fullmatch(rf"{prefix}/wandb_runs/\d+/saved\.bin", run_object)
    assert _presigned_at(s3, run_file.direct_url, run_object)
    assert httpx.get(run_file.direct_url, timeout=10).content == saved
    root = download_elsewhere(setup.admin, f"{setup.team}/laid/w:v0", tmp_path)
    assert (root / "w.bin").read_bytes() == content
    ranged = httpx.get(node["directUrl"], headers={"range": "bytes=100-199"}, timeout=10)
    assert ranged.status_code == 206
    assert ranged.content == content[100:200]


def test_identical_bytes_are_stored_once_and_point_at_the_first_object(
    s3: S3Server, emulator: EmulatorProcess, setup: OrgSetup, tmp_path: Path
) -> None:
    shared, own = os.urandom(2000), os.urandom(2000)
    log_artifacts(setup.admin, setup.team, [("first", "data", {"a.bin": shared})], tmp_path)
    log_artifacts(
        setup.admin,
        setup.team,
        [("second", "data", {"same.bin": shared, "own.bin": own})],
        tmp_path,
    )
    paths = {}
    for name in ("first", "second"):
        artifact = setup.admin.api().artifact(f"{setup.team}/training/{name}:v0")
        found = emulator.graphql(setup.admin.api_key, MANIFEST_AND_FILES, {"id": artifact.id})
        for edge in found.json()["data"]["artifact"]["files"]["edges"]:
            paths[(name, edge["node"]["name"])] = edge["node"]["storagePath"]
    assert paths[("second", "same.bin")] == paths[("first", "a.bin")]
    assert paths[("second", "own.bin")].split("/")[:3] != paths[("first", "a.bin")].split("/")[:3]
    prefix = blob_prefix(emulator)
    assert holding(s3, prefix, shared) == {f"{prefix}/{paths[('first', 'a.bin')]}"}
    # Announced again, stored content gets no upload URL and names the same object.
    artifact_id = _create(emulator, setup, "third")["id"]
    node = _announce(emulator, setup, artifact_id, {"name": "x.bin", "md5": b64md5(shared)})
    assert node["uploadUrl"] is None
    assert node["storagePath"] == paths[("first", "a.bin")]
    root = download_elsewhere(setup.admin, f"{setup.team}/training/second:v0", tmp_path)
    assert (root / "same.bin").read_bytes() == shared


def test_run_files_uploaded_with_the_api_are_read_from_the_bucket(
    s3: S3Server, emulator: EmulatorProcess, setup: OrgSetup, tmp_path: Path
) -> None:
    """Api `run.upload_file`: a presigned PUT, then markRunFilesUploaded, at which the
    emulator reads what arrived; a new upload of the same name replaces it."""
    settings = wandb.Settings(
        api_key=setup.admin.api_key, base_url=setup.admin.base_url, silent=True
    )
    with wandb.init(entity=setup.team, project="later", settings=settings) as run:
        run_id = run.id
    api_run = setup.admin.api().run(f"{setup.team}/later/{run_id}")
    path = tmp_path / "report.txt"
    for content in (b"first draft", b"the final, longer version"):
        path.write_bytes(content)
        mark = journal_mark(emulator)
        api_run.upload_file(str(path), root=str(tmp_path))
        seen = journal_since(emulator, mark)
        assert [e["method"] for e in seen if e["method"] == "PUT"] == []
        assert "MarkRunFilesUploaded" in {e["operation"] for e in seen}
        stored = setup.admin.api().run(f"{setup.team}/later/{run_id}").file("report.txt")
        assert (stored.size, stored.md5) == (len(content), b64md5(content))
        assert httpx.get(stored.direct_url, timeout=10).content == content
    objects = s3.object_keys(BUCKET, f"{blob_prefix(emulator)}/wandb_runs/")
    assert len({key for key in objects if key.endswith("/report.txt")}) == 1  # replaced


def test_distributed_patches_each_get_an_object_and_are_merged_at_commit(
    s3: S3Server, emulator: EmulatorProcess, setup: OrgSetup, tmp_path: Path
) -> None:
    settings = wandb.Settings(
        api_key=setup.admin.api_key, base_url=setup.admin.base_url, silent=True
    )
    init = {"entity": setup.team, "project": "dist", "settings": settings}
    for shard in range(2):
        with wandb.init(**init) as run:
            part = wandb.Artifact("sharded", type="dataset")
            part.add_dir(
                str(write_files(tmp_path / f"s{shard}", {f"shard{shard}.txt": b"%d" % shard}))
            )
            run.upsert_artifact(part, distributed_id="d1")
    with wandb.init(**init) as run:
        run.finish_artifact(wandb.Artifact("sharded", type="dataset"), distributed_id="d1")
    root = download_elsewhere(setup.admin, f"{setup.team}/dist/sharded:v0", tmp_path)
    assert {p.name: p.read_bytes() for p in root.iterdir()} == {
        "shard0.txt": b"0",
        "shard1.txt": b"1",
    }
    version = setup.admin.api().artifact(f"{setup.team}/dist/sharded:v0")
    found = emulator.graphql(setup.admin.api_key, MANIFEST_AND_FILES, {"id": version.id})
    folder = "/".join(
        found.json()["data"]["artifact"]["files"]["edges"][0]["node"]["storagePath"].split("/")[:3]
    )
    names = {
        k.rsplit("/", 1)[1] for k in s3.object_keys(BUCKET, f"{blob_prefix(emulator)}/{folder}/")
    }
    patches = {n for n in names if n.startswith("wandb_manifest.patch.")}
    assert len(patches) == 3  # one object per upload URL: two shards and the finisher's
    assert "wandb_manifest.json" in names  # the merged manifest


def test_a_manifest_that_is_not_json_fails_the_commit_and_changes_nothing(
    emulator: EmulatorProcess, setup: OrgSetup
) -> None:
    content = os.urandom(100)
    artifact_id = _uploaded_file(emulator, setup, "garbled", content)
    key, variables = setup.admin.api_key, {"artifactID": artifact_id, "entity": setup.team}
    manifest_url = emulator.graphql(key, MANIFEST, variables).json()["data"][
        "createArtifactManifest"
    ]["artifactManifest"]["file"]["uploadUrl"]
    httpx.put(manifest_url, content=b"{not json", timeout=10).raise_for_status()
    refused = emulator.graphql(key, COMMIT, {"id": artifact_id}).json()
    assert "the uploaded manifest is not valid JSON" in refused["errors"][0]["message"]
    state = emulator.graphql(key, STATE, {"id": artifact_id}).json()["data"]["artifact"]
    assert state == {"state": "PENDING", "currentManifest": None}
    # The client uploads a good manifest to the same URL and commits again.
    contents = {"f.bin": {"digest": b64md5(content), "size": len(content)}}
    committed = _commit_with(emulator, setup, artifact_id, contents)
    assert committed["data"]["commitArtifact"]["artifact"]["state"] == "COMMITTED"


def test_a_data_directory_moves_into_a_bucket_by_copying_its_blobs(
    s3: S3Server, tmp_path: Path
) -> None:
    """README's recipe: serve on local disk, stop, copy DATA_DIR/blobs under the prefix,
    serve the same data dir with --blob-store: everything downloads, and content stored
    before is not uploaded again."""
    data, prefix = tmp_path / "data", uuid.uuid4().hex
    weights, notes = os.urandom(3000), b"run notes"
    # On local disk whatever the suite's blob store, on the suite's database.
    local_disk = Config(log_level="warning", database_url=STORAGE.database_url(data))
    with testing.RunningEmulator(data, local_disk) as local:
        user = local.new_user()
        log_artifacts(user, user.team, [("moved", "model", {"w.bin": weights})], tmp_path)
        (tmp_path / "notes.txt").write_bytes(notes)
        settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
        with wandb.init(entity=user.team, project="training", settings=settings) as run:
            run.save(str(tmp_path / "notes.txt"), base_path=str(tmp_path), policy="now")
            run_id = run.id
    client = s3.client()
    for path in (data / "blobs").rglob("*"):
        if path.is_file():
            relative = path.relative_to(data / "blobs").as_posix()
            client.put_object(Bucket=BUCKET, Key=f"{prefix}/{relative}", Body=path.read_bytes())
    copied = s3.object_keys(BUCKET, prefix + "/")
    bucket = Config(log_level="warning", **s3_blob_store(s3, BUCKET, prefix))
    with RunningEmulator(data, bucket) as moved:
        user = replace(user, base_url=moved.base_url)
        root = download_elsewhere(user, f"{user.team}/training/moved:v0", tmp_path / "d")
        assert (root / "w.bin").read_bytes() == weights
        saved = user.api().run(f"{user.team}/training/{run_id}").file("notes.txt")
        assert httpx.get(saved.direct_url, timeout=10).content == notes
        log_artifacts(
            user, user.team, [("again", "model", {"same.bin": weights})], tmp_path / "again"
        )
        root = download_elsewhere(user, f"{user.team}/training/again:v0", tmp_path / "g")
        assert (root / "same.bin").read_bytes() == weights
        new = s3.object_keys(BUCKET, prefix + "/") - copied
        assert not {k for k in new if k.endswith(hashlib.md5(weights).hexdigest())}


def test_upload_urls_are_presigned_for_the_announced_md5(
    s3: S3Server, emulator: EmulatorProcess, setup: OrgSetup
) -> None:
    content = os.urandom(1000)
    artifact_id = _create(emulator, setup, "signed")["id"]
    node = _announce(emulator, setup, artifact_id, {"name": "f.bin", "md5": b64md5(content)})
    assert node["storagePath"].startswith("wandb_artifacts/")
    assert _presigned_at(s3, node["uploadUrl"], f"{blob_prefix(emulator)}/{node['storagePath']}")
    query = parse_qs(urlsplit(node["uploadUrl"]).query)
    assert "content-md5" in query["X-Amz-SignedHeaders"][0].split(";")
    assert node["uploadHeaders"] == [f"Content-MD5:{b64md5(content)}"]


def test_commit_refuses_bytes_the_bucket_took_for_another_md5(
    s3: S3Server, emulator: EmulatorProcess, setup: OrgSetup
) -> None:
    content, impostor = os.urandom(1000), os.urandom(1000)
    artifact_id = _create(emulator, setup, "impostor")["id"]
    spec = {"name": "f.bin", "md5": b64md5(content)}
    url = _announce(emulator, setup, artifact_id, spec)["uploadUrl"]
    # moto checks neither the signature nor the Content-MD5: it stores whatever comes.
    assert httpx.put(url, content=impostor, timeout=10).status_code == 200
    contents = {"f.bin": {"digest": b64md5(content), "size": len(content)}}
    refused = _commit_with(emulator, setup, artifact_id, contents)
    assert "do not match its MD5" in refused["errors"][0]["message"]
    # The content does not count as stored: the next announce hands out an upload URL.
    retry = _announce(emulator, setup, artifact_id, spec)["uploadUrl"]
    assert retry is not None
    httpx.put(retry, content=content, timeout=10).raise_for_status()
    committed = emulator.graphql(setup.admin.api_key, COMMIT, {"id": artifact_id}).json()
    assert committed["data"]["commitArtifact"]["artifact"] == {
        "state": "COMMITTED",
        "size": len(content),
    }


def test_commit_refuses_a_size_other_than_the_manifests(
    emulator: EmulatorProcess, setup: OrgSetup
) -> None:
    content = os.urandom(100)
    artifact_id = _uploaded_file(emulator, setup, "sized", content)
    contents = {"f.bin": {"digest": b64md5(content), "size": 99}}
    refused = _commit_with(emulator, setup, artifact_id, contents)
    assert "has 100 bytes, the manifest says 99" in refused["errors"][0]["message"]


def _multipart(emulator: EmulatorProcess, setup: OrgSetup, parts: list[bytes], md5: str) -> dict:
    """Announce a multipart file, PUT each part to its presigned URL (with its
    Content-MD5, as wandb-core sends it), then complete it."""
    name = "big-" + uuid.uuid4().hex[:6]
    artifact_id = _create(emulator, setup, name)["id"]
    spec = {
        "name": "big.bin",
        "md5": md5,
        "uploadPartsInput": [
            {"partNumber": n + 1, "hexMD5": hashlib.md5(p).hexdigest()} for n, p in enumerate(parts)
        ],
    }
    node = _announce(emulator, setup, artifact_id, spec)
    upload = node["uploadMultipartUrls"]
    etags = []
    for part, target in zip(parts, upload["uploadUrlParts"], strict=True):
        response = httpx.put(
            target["uploadUrl"], content=part, headers={"Content-MD5": b64md5(part)}, timeout=30
        )
        assert response.status_code == 200, response.text
        etags.append(response.headers["etag"].strip('"'))
    completed = emulator.graphql(
        setup.admin.api_key,
        COMPLETE,
        {
            "artifactID": artifact_id,
            "path": node["storagePath"],
            "uploadID": upload["uploadID"],
            "parts": [{"partNumber": n + 1, "hexMD5": e} for n, e in enumerate(etags)],
        },
        timeout=60,
    ).json()
    return {
        "artifact_id": artifact_id,
        "name": name,
        "completed": completed,
        "storage_path": node["storagePath"],
    }


def test_multipart_uploads_go_to_the_bucket_and_are_checked_whole(
    s3: S3Server, emulator: EmulatorProcess, setup: OrgSetup, tmp_path: Path
) -> None:
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]  # S3's smallest non-last part
    whole = b"".join(parts)
    prefix = blob_prefix(emulator)

    lying = _multipart(emulator, setup, parts, b64md5(b"something else"))["completed"]
    assert "does not match its announced MD5" in lying["errors"][0]["message"]
    assert holding(s3, prefix, b"something else") == set()

    done = _multipart(emulator, setup, parts, b64md5(whole))
    assert done["completed"]["data"]["completeMultipartUploadArtifact"]["digest"] == b64md5(whole)
    assert holding(s3, prefix, whole) == {f"{prefix}/{done['storage_path']}"}
    assert not s3.object_keys(BUCKET, f"{prefix}/.multipart/")  # staging objects are gone
    contents = {"big.bin": {"digest": b64md5(whole), "size": len(whole)}}
    committed = _commit_with(emulator, setup, done["artifact_id"], contents)
    assert committed["data"]["commitArtifact"]["artifact"]["state"] == "COMMITTED"
    artifact = setup.admin.api().artifact(f"{setup.team}/uploads/{done['name']}:v0")
    out = Path(artifact.download(root=str(tmp_path / "out")))
    assert (out / "big.bin").read_bytes() == whole


def _log_file(user, tmp_path: Path, name: str, content: bytes):
    log_artifacts(
        user, user.team, [(name, "dataset", {f"{name}.bin": content})], tmp_path, project="gc"
    )
    return user.api().artifact(f"{user.team}/gc/{name}:latest")


def test_collection_and_reset_delete_only_the_emulators_objects(
    s3: S3Server, tmp_path: Path
) -> None:
    prefix = uuid.uuid4().hex
    config = Config(log_level="warning", **s3_blob_store(s3, BUCKET, prefix), blob_grace_seconds=0)
    client = s3.client()
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/notes/readme.txt", Body=b"not a blob")
    client.put_object(Bucket=BUCKET, Key=f"{prefix}-other/keep.bin", Body=b"elsewhere")
    with RunningEmulator(tmp_path / "data", config) as running:
        user = running.new_user()
        shared, own = b"shared " + uuid.uuid4().bytes, b"own " + uuid.uuid4().bytes
        first = _log_file(user, tmp_path, "first", shared)
        _log_file(user, tmp_path, "other", shared)
        doomed = _log_file(user, tmp_path, "doomed", own)
        [shared_object] = holding(s3, prefix, shared)  # in the folder of `first`
        [own_object] = holding(s3, prefix, own)
        doomed_folder = own_object.rsplit("/", 1)[0] + "/"
        assert f"{doomed_folder}wandb_manifest.json" in s3.object_keys(BUCKET, doomed_folder)

        first.delete(delete_aliases=True)
        doomed.delete(delete_aliases=True)
        running.maintain()
        left = s3.object_keys(BUCKET, prefix + "/")
        assert not {k for k in left if k.startswith(doomed_folder)}  # file and manifest
        assert {shared_object, f"{prefix}/notes/readme.txt"} <= left  # `other` points there
        root = download_elsewhere(user, f"{user.team}/gc/other:v0", tmp_path / "o")
        assert (root / "other.bin").read_bytes() == shared
        # Content whose object was collected is uploaded again when announced again.
        _log_file(user, tmp_path, "again", own)
        root = download_elsewhere(user, f"{user.team}/gc/again:v0", tmp_path / "a")
        assert (root / "again.bin").read_bytes() == own

        running.reset()
        assert s3.object_keys(BUCKET, prefix + "/") == set()
        assert s3.object_keys(BUCKET, f"{prefix}-other/") == {f"{prefix}-other/keep.bin"}


def test_snapshots_refuse_a_server_whose_blobs_are_in_a_bucket(
    s3: S3Server, tmp_path: Path
) -> None:
    with (
        RunningEmulator(tmp_path / "data", on_bucket(s3)) as running,
        pytest.raises(SnapshotError, match="keeps them in a bucket"),
    ):
        running.snapshot(tmp_path / "state.tar")
    assert not (tmp_path / "state.tar").exists()


def test_serve_refuses_a_bucket_it_cannot_reach(s3: S3Server, tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "wandb_emulator",
            "serve",
            "--data-dir",
            str(tmp_path / "d"),
            "--port",
            "0",
            "--fixture-port",
            "0",
            "--blob-store",
            "s3://no-such-bucket/p",
            "--s3-endpoint-url",
            s3.endpoint_url,
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1
    assert "cannot use the blob store: bucket 'no-such-bucket'" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("s3://bucket/a/b/", None),
        ("s3://bucket", None),
        ("gs://bucket/p", "expected s3://bucket/prefix"),
        ("s3://Bad_Bucket/p", "is not an S3 bucket name"),
        ("s3://bucket/a//b", "empty, '.' or '..' segment"),
        ("s3://bucket/a/../b", "empty, '.' or '..' segment"),
    ],
)
def test_blob_store_urls(url: str, error: str | None) -> None:
    if error is None:
        bucket, prefix = parse_s3_url(url)
        assert bucket == "bucket" and not prefix.startswith("/") and not prefix.endswith("/")
    else:
        with pytest.raises(ValueError, match=error):
            parse_s3_url(url)


def test_wandb_verify_passes_against_a_bucket_with_the_documented_cors(
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    certs = tmp_path_factory.mktemp("s3-tls")
    tls = self_signed_certificate(certs)
    s3 = start_s3_server(certs, tls=tls)
    emulator = None
    try:
        port = free_port()
        s3.create_bucket("verify-bucket", cors_origin=f"https://127.0.0.1:{port}")
        config = on_bucket(s3, "verify-bucket", tls_cert=tls[0], tls_key=tls[1])
        environ = {**os.environ, "AWS_CA_BUNDLE": str(tls[0])}
        emulator = EmulatorProcess(certs / "data", config, port=port, env=environ).start()
        assert_wandb_verify_passes(emulator, tmp_path_factory.mktemp("verify-home"))
    finally:
        if emulator is not None:
            emulator.stop()
        s3.stop()
