"""The storage endpoints behind signed URLs: integrity, expiry, ranges, deduplication."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import httpx
import pytest
from conftest import OrgSetup, log_artifacts

from wandb_emulator.testing import RunningEmulator

CONTENT = os.urandom(4096)
FILE_URLS = """
query ($id: ID!) { artifact(id: $id) { currentManifest { file { directUrl } }
  files { edges { node { name directUrl } } } } }
"""
CREATE = """
mutation ($input: CreateArtifactInput!) { createArtifact(input: $input) { artifact { id state } } }
"""
FILES = """
mutation ($input: CreateArtifactFilesInput!) {
  createArtifactFiles(input: $input) { files { edges { node { uploadUrl } } } } }
"""


def b64md5(data: bytes) -> str:
    return base64.b64encode(hashlib.md5(data).digest()).decode()


@pytest.fixture
def logged(org_setup: OrgSetup, tmp_path: Path) -> tuple[OrgSetup, str]:
    run = log_artifacts(
        org_setup.admin, org_setup.team, [("blob", "data", {"x.bin": CONTENT})], tmp_path
    )
    return org_setup, run.artifacts[0].id


def direct_url(server: RunningEmulator, setup: OrgSetup, artifact_id: str) -> str:
    data = server.graphql(setup.admin.api_key, FILE_URLS, {"id": artifact_id}).json()["data"]
    return data["artifact"]["files"]["edges"][0]["node"]["directUrl"]


@pytest.mark.local_blobs  # its URLs or files are the local store's
def test_download_urls_are_absolute_signed_and_need_no_auth(server, logged) -> None:
    setup, artifact_id = logged
    url = direct_url(server, setup, artifact_id)
    assert url.startswith(server.base_url + "/storage/blob/")
    assert httpx.get(url).content == CONTENT
    tampered = url.replace("/storage/blob/", "/storage/blob/x")
    assert httpx.get(tampered).status_code == 403


def test_range_requests(server, logged) -> None:
    setup, artifact_id = logged
    response = httpx.get(direct_url(server, setup, artifact_id), headers={"range": "bytes=10-19"})
    assert response.status_code == 206
    assert response.content == CONTENT[10:20]


CLIENT_ID_MAPPING = "query ($c: ID!) { clientIDMapping(clientID: $c) { serverID } }"


def _create(server: RunningEmulator, setup: OrgSetup, name: str, **extra: str) -> dict:
    return server.graphql(
        setup.admin.api_key,
        CREATE,
        {
            "input": {
                "artifactTypeName": "data",
                "artifactCollectionName": name,
                "entityName": setup.team,
                "projectName": "uploads",
                "digest": name,
                "digestAlgorithm": "MANIFEST_MD5",
                **extra,
            }
        },
    ).json()["data"]["createArtifact"]["artifact"]


def _upload_manifest(
    server: RunningEmulator, setup: OrgSetup, artifact_id: str, manifest: dict
) -> None:
    url = server.graphql(
        setup.admin.api_key,
        MANIFEST,
        {"artifactID": artifact_id, "entity": setup.team, "digest": "manifest-digest"},
    ).json()["data"]["createArtifactManifest"]["artifactManifest"]["file"]["uploadUrl"]
    assert httpx.put(url, json=manifest).status_code == 200


def _pending_upload_url(server: RunningEmulator, setup: OrgSetup, content: bytes) -> str:
    key = setup.admin.api_key
    created = _create(server, setup, "raw", digest=b64md5(content) + "-digest")
    assert created["state"] == "PENDING"
    files = server.graphql(
        key,
        FILES,
        {
            "input": {
                "storageLayout": "V2",
                "artifactFiles": [
                    {"artifactID": created["id"], "name": "f.bin", "md5": b64md5(content)}
                ],
            }
        },
    )
    return files.json()["data"]["createArtifactFiles"]["files"]["edges"][0]["node"]["uploadUrl"]


@pytest.mark.local_blobs  # its URLs or files are the local store's
def test_uploads_are_checked_against_the_announced_md5(server, org_setup: OrgSetup) -> None:
    content = os.urandom(1000)
    url = _pending_upload_url(server, org_setup, content)
    assert url.startswith(server.base_url + "/storage/upload/")
    rejected = httpx.put(url, content=b"something else")
    assert rejected.status_code == 400
    assert "MD5 mismatch" in rejected.json()["error"]["message"]
    blob_dir = Path(server.config.data_dir, "blobs")
    assert not any(
        p.name == hashlib.md5(b"something else").hexdigest() for p in blob_dir.rglob("*")
    )
    assert not list(blob_dir.glob(".upload-*"))
    accepted = httpx.put(url, content=content)
    assert accepted.status_code == 200
    assert accepted.headers["etag"] == f'"{hashlib.md5(content).hexdigest()}"'


def test_stored_content_is_not_uploaded_again(server, logged) -> None:
    setup, _ = logged
    url = _pending_upload_url(server, setup, CONTENT)
    assert url is None


def test_invalid_upload_tokens_are_refused(server) -> None:
    response = httpx.put(server.base_url + "/storage/upload/not-a-token", content=b"x")
    assert response.status_code == 403


MULTIPART_FILES = """
mutation ($input: CreateArtifactFilesInput!) { createArtifactFiles(input: $input) { files {
  edges { node { storagePath uploadUrl uploadMultipartUrls {
    uploadID uploadUrlParts { partNumber uploadUrl } } } } } } }
"""
COMPLETE = """
mutation ($artifactID: ID!, $parts: [UploadPartsInput!]!, $path: String!, $uploadID: String!) {
  completeMultipartUploadArtifact(input: {completeMultipartAction: Complete,
    completedParts: $parts, artifactID: $artifactID, storagePath: $path, uploadID: $uploadID}) {
    digest } }
"""
MANIFEST = """
mutation ($artifactID: ID!, $entity: String!, $digest: String!) {
  createArtifactManifest(input: {artifactID: $artifactID, name: "wandb_manifest.json",
    digest: $digest, entityName: $entity, projectName: "uploads", runName: "",
    type: FULL}) { artifactManifest { file { uploadUrl } } } }
"""
COMMIT = """
mutation ($id: ID!) { commitArtifact(input: {artifactID: $id}) { artifact { state size } } }
"""


@pytest.mark.local_blobs  # its URLs or files are the local store's
def test_multipart_upload_then_sdk_download(server, org_setup: OrgSetup, tmp_path: Path) -> None:
    key = org_setup.admin.api_key
    parts = [os.urandom(64 * 1024) for _ in range(3)]
    whole = b"".join(parts)
    created = _create(server, org_setup, "big", digest="big-digest")
    spec = {
        "artifactID": created["id"],
        "name": "big.bin",
        "md5": b64md5(whole),
        "uploadPartsInput": [
            {"partNumber": n + 1, "hexMD5": hashlib.md5(p).hexdigest()} for n, p in enumerate(parts)
        ],
    }
    node = server.graphql(key, MULTIPART_FILES, {"input": {"artifactFiles": [spec]}}).json()[
        "data"
    ]["createArtifactFiles"]["files"]["edges"][0]["node"]
    assert node["uploadUrl"] is None
    upload = node["uploadMultipartUrls"]
    etags = []
    for part, target in zip(parts, upload["uploadUrlParts"], strict=True):
        response = httpx.put(target["uploadUrl"], content=part)
        assert response.status_code == 200
        etags.append(response.headers["etag"].strip('"'))
    completed = server.graphql(
        key,
        COMPLETE,
        {
            "artifactID": created["id"],
            "path": node["storagePath"],
            "uploadID": upload["uploadID"],
            "parts": [{"partNumber": n + 1, "hexMD5": e} for n, e in enumerate(etags)],
        },
    ).json()
    assert completed["data"]["completeMultipartUploadArtifact"]["digest"] == b64md5(whole)

    manifest = {
        "version": 1,
        "storagePolicy": "wandb-storage-policy-v1",
        "storagePolicyConfig": {"storageLayout": "V2"},
        "contents": {"big.bin": {"digest": b64md5(whole), "size": len(whole)}},
    }
    _upload_manifest(server, org_setup, created["id"], manifest)
    committed = server.graphql(key, COMMIT, {"id": created["id"]}).json()
    assert committed["data"]["commitArtifact"]["artifact"] == {
        "state": "COMMITTED",
        "size": len(whole),
    }

    artifact = org_setup.admin.api().artifact(f"{org_setup.team}/uploads/big:v0")
    out = Path(artifact.download(root=str(tmp_path / "out")))
    assert (out / "big.bin").read_bytes() == whole


def test_commit_refuses_missing_files(server, org_setup: OrgSetup) -> None:
    key = org_setup.admin.api_key
    created = _create(server, org_setup, "holey")
    manifest = {"version": 1, "contents": {"gone.bin": {"digest": b64md5(b"never"), "size": 5}}}
    _upload_manifest(server, org_setup, created["id"], manifest)
    response = server.graphql(key, COMMIT, {"id": created["id"]}).json()
    assert "'gone.bin' of the manifest was not uploaded" in response["errors"][0]["message"]
    assert not org_setup.admin.api().artifact_exists(f"{org_setup.team}/uploads/holey:v0")


def test_digest_download_fallbacks_need_auth(server, logged) -> None:
    setup, _ = logged
    md5 = hashlib.md5(CONTENT).hexdigest()
    url = f"{server.base_url}/artifacts/{setup.team}/{md5}"
    assert httpx.get(url).status_code == 401
    # The bytes, or (from a bucket) a redirect to its presigned URL.
    fetched = httpx.get(url, auth=("api", setup.admin.api_key), follow_redirects=True)
    assert fetched.content == CONTENT
    path = f"default/{setup.team}/training/blob/QXJ0aWZhY3Q6MQ==/{md5}/x.bin"
    v2 = f"{server.base_url}/artifactsV2/{path}"
    assert (
        httpx.get(v2, auth=("api", setup.admin.api_key), follow_redirects=True).content == CONTENT
    )


def test_client_id_mapping(server, org_setup: OrgSetup) -> None:
    key = org_setup.admin.api_key
    unknown = server.graphql(key, CLIENT_ID_MAPPING, {"c": "nothing"}).json()["data"]
    assert unknown["clientIDMapping"] is None
    created = _create(server, org_setup, "mapped", clientID="client-side-id")
    mapped = server.graphql(key, CLIENT_ID_MAPPING, {"c": "client-side-id"}).json()["data"]
    assert mapped["clientIDMapping"]["serverID"] == created["id"]


def test_commit_checks_sizes_against_the_manifest(server, org_setup: OrgSetup) -> None:
    key = org_setup.admin.api_key
    content = os.urandom(100)
    httpx.put(_pending_upload_url(server, org_setup, content), content=content).raise_for_status()
    created = _create(server, org_setup, "sized")
    manifest = {"version": 1, "contents": {"f.bin": {"digest": b64md5(content), "size": 99}}}
    _upload_manifest(server, org_setup, created["id"], manifest)
    response = server.graphql(key, COMMIT, {"id": created["id"]}).json()
    assert "has 100 bytes, the manifest says 99" in response["errors"][0]["message"]
