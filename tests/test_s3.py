"""Blobs in an S3-compatible bucket (`--blob-store s3://bucket/prefix`), against moto's
server on loopback: the SDK uploads and downloads through presigned bucket URLs, the
emulator checks sizes and MD5s itself, multipart uploads, ranges, collection, reset,
and `wandb verify` with the bucket CORS configuration README.md documents."""

from __future__ import annotations

import base64
import hashlib
import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from certs import self_signed_certificate
from conftest import (
    FixtureClient,
    OrgSetup,
    ServerProcess,
    free_port,
    graphql,
    log_artifacts,
    s3_blob_store_args,
    start_server,
)
from s3_server import S3Server, start_s3_server
from test_storage import _create
from test_verify import assert_wandb_verify_passes

from wandb_emulator.config import Config, parse_s3_url
from wandb_emulator.testing import RunningEmulator

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
COMPLETE = """mutation ($artifactID: ID!, $parts: [UploadPartsInput!]!, $path: String!,
  $uploadID: String!) { completeMultipartUploadArtifact(input: {completeMultipartAction:
  Complete, completedParts: $parts, artifactID: $artifactID, storagePath: $path,
  uploadID: $uploadID}) { digest } }"""
FILE_URLS = """query ($id: ID!) { artifact(id: $id) {
  files { edges { node { name storagePath directUrl } } } } }"""


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


def object_key(prefix: str, content: bytes) -> str:
    md5 = hashlib.md5(content).hexdigest()
    return f"{prefix}/{md5[:2]}/{md5}"


@pytest.fixture(scope="module")
def s3(tmp_path_factory: pytest.TempPathFactory) -> Iterator[S3Server]:
    server = start_s3_server(tmp_path_factory.mktemp("moto"))
    server.create_bucket(BUCKET)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def emulator(s3: S3Server, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    server = start_server(
        tmp_path_factory.mktemp("s3-emulator") / "data", *s3_blob_store_args(s3, BUCKET)
    )
    yield server
    server.stop()


def blob_prefix(emulator: ServerProcess) -> str:
    args = emulator.process.args
    assert isinstance(args, list)
    return parse_s3_url(str(args[args.index("--blob-store") + 1]))[1]


@pytest.fixture
def setup(emulator: ServerProcess) -> Iterator[OrgSetup]:
    fixtures = FixtureClient(emulator)
    admin = fixtures.user()
    org = fixtures.org(admin)
    yield OrgSetup(admin=admin, org=org, team=fixtures.team(org, admin), fixtures=fixtures)
    fixtures.http.close()


def _announce(emulator: ServerProcess, setup: OrgSetup, artifact_id: str, spec: dict) -> dict:
    response = graphql(
        emulator,
        setup.admin.api_key,
        FILES,
        {"input": {"artifactFiles": [{"artifactID": artifact_id, **spec}]}},
    ).json()
    return response["data"]["createArtifactFiles"]["files"]["edges"][0]["node"]


def _commit_with(
    emulator: ServerProcess, setup: OrgSetup, artifact_id: str, contents: dict
) -> dict:
    key = setup.admin.api_key
    variables = {"artifactID": artifact_id, "entity": setup.team}
    url = graphql(emulator, key, MANIFEST, variables).json()["data"]["createArtifactManifest"][
        "artifactManifest"
    ]["file"]["uploadUrl"]
    manifest = {
        "version": 1,
        "storagePolicy": "wandb-storage-policy-v1",
        "storagePolicyConfig": {"storageLayout": "V2"},
        "contents": contents,
    }
    httpx.put(url, json=manifest, timeout=10).raise_for_status()
    return graphql(emulator, key, COMMIT, {"id": artifact_id}).json()


def test_the_sdk_logs_into_the_bucket_and_downloads_byte_for_byte(
    s3: S3Server, emulator: ServerProcess, setup: OrgSetup, tmp_path: Path
) -> None:
    content = os.urandom(50_000)
    logged = log_artifacts(setup.admin, setup.team, [("w", "model", {"w.bin": content})], tmp_path)
    prefix = blob_prefix(emulator)
    assert object_key(prefix, content) in s3.object_keys(BUCKET, prefix)
    found = graphql(emulator, setup.admin.api_key, FILE_URLS, {"id": logged.artifacts[0].id})
    node = found.json()["data"]["artifact"]["files"]["edges"][0]["node"]
    assert node["storagePath"].startswith("wandb_artifacts/")
    assert node["directUrl"].startswith(
        f"{s3.endpoint_url}/{BUCKET}/{object_key(prefix, content)}?"
    )
    assert "X-Amz-Signature" in node["directUrl"]
    artifact = setup.admin.api().artifact(f"{setup.team}/training/w:v0")
    out = Path(artifact.download(root=str(tmp_path / "out")))
    assert (out / "w.bin").read_bytes() == content
    ranged = httpx.get(node["directUrl"], headers={"range": "bytes=100-199"}, timeout=10)
    assert ranged.status_code == 206
    assert ranged.content == content[100:200]


def test_upload_urls_are_presigned_for_the_announced_md5(
    s3: S3Server, emulator: ServerProcess, setup: OrgSetup
) -> None:
    content = os.urandom(1000)
    artifact_id = _create(emulator, setup, "signed")["id"]
    node = _announce(emulator, setup, artifact_id, {"name": "f.bin", "md5": b64md5(content)})
    url = urlsplit(node["uploadUrl"])
    assert f"{url.scheme}://{url.netloc}" == s3.endpoint_url
    assert url.path == f"/{BUCKET}/{object_key(blob_prefix(emulator), content)}"
    assert "content-md5" in parse_qs(url.query)["X-Amz-SignedHeaders"][0].split(";")
    assert node["uploadHeaders"] == [f"Content-MD5:{b64md5(content)}"]


def test_commit_refuses_bytes_the_bucket_took_for_another_md5(
    s3: S3Server, emulator: ServerProcess, setup: OrgSetup
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
    committed = graphql(emulator, setup.admin.api_key, COMMIT, {"id": artifact_id}).json()
    assert committed["data"]["commitArtifact"]["artifact"] == {
        "state": "COMMITTED",
        "size": len(content),
    }


def test_commit_refuses_a_size_other_than_the_manifests(
    emulator: ServerProcess, setup: OrgSetup
) -> None:
    content = os.urandom(100)
    artifact_id = _create(emulator, setup, "sized")["id"]
    url = _announce(emulator, setup, artifact_id, {"name": "f.bin", "md5": b64md5(content)})
    httpx.put(url["uploadUrl"], content=content, timeout=10).raise_for_status()
    contents = {"f.bin": {"digest": b64md5(content), "size": 99}}
    refused = _commit_with(emulator, setup, artifact_id, contents)
    assert "has 100 bytes, the manifest says 99" in refused["errors"][0]["message"]


def _multipart(emulator: ServerProcess, setup: OrgSetup, parts: list[bytes], md5: str) -> dict:
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
    completed = graphql(
        emulator,
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
    return {"artifact_id": artifact_id, "name": name, "completed": completed}


def test_multipart_uploads_go_to_the_bucket_and_are_checked_whole(
    s3: S3Server, emulator: ServerProcess, setup: OrgSetup, tmp_path: Path
) -> None:
    parts = [os.urandom(5 * 1024 * 1024), os.urandom(1000)]  # S3's smallest non-last part
    whole = b"".join(parts)
    prefix = blob_prefix(emulator)

    lying = _multipart(emulator, setup, parts, b64md5(b"something else"))["completed"]
    assert "does not match its announced MD5" in lying["errors"][0]["message"]
    assert object_key(prefix, b"something else") not in s3.object_keys(BUCKET, prefix)

    done = _multipart(emulator, setup, parts, b64md5(whole))
    assert done["completed"]["data"]["completeMultipartUploadArtifact"]["digest"] == b64md5(whole)
    assert object_key(prefix, whole) in s3.object_keys(BUCKET, prefix)
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
    config = Config(
        log_level="warning",
        blob_store=f"s3://{BUCKET}/{prefix}",
        s3_endpoint_url=s3.endpoint_url,
        blob_grace_seconds=0,
    )
    client = s3.client()
    client.put_object(Bucket=BUCKET, Key=f"{prefix}/notes/readme.txt", Body=b"not a blob")
    client.put_object(Bucket=BUCKET, Key=f"{prefix}-other/keep.bin", Body=b"elsewhere")
    with RunningEmulator(tmp_path / "data", config) as running:
        user = running.new_user()
        shared, own = b"shared " + uuid.uuid4().bytes, b"own " + uuid.uuid4().bytes
        kept = _log_file(user, tmp_path, "kept", shared)
        _log_file(user, tmp_path, "other", shared)
        doomed = _log_file(user, tmp_path, "doomed", own)
        assert {object_key(prefix, own), object_key(prefix, shared)} <= s3.object_keys(
            BUCKET, prefix
        )

        doomed.delete(delete_aliases=True)
        running.maintain()
        left = s3.object_keys(BUCKET, prefix + "/")
        assert object_key(prefix, own) not in left
        assert {object_key(prefix, shared), f"{prefix}/notes/readme.txt"} <= left
        out = Path(kept.download(root=str(tmp_path / "k")))
        assert (out / "kept.bin").read_bytes() == shared

        running.reset()
        assert s3.object_keys(BUCKET, prefix + "/") == set()
        assert s3.object_keys(BUCKET, f"{prefix}-other/") == {f"{prefix}-other/keep.bin"}


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
        os.environ["AWS_CA_BUNDLE"] = str(tls[0])
        try:
            emulator = start_server(
                certs / "data", *s3_blob_store_args(s3, "verify-bucket"), port=port, tls=tls
            )
        finally:
            del os.environ["AWS_CA_BUNDLE"]
        assert_wandb_verify_passes(emulator, tmp_path_factory.mktemp("verify-home"))
    finally:
        if emulator is not None:
            emulator.stop()
        s3.stop()
