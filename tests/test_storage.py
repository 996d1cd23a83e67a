"""The storage endpoints behind signed URLs: integrity, expiry, ranges, deduplication."""

from __future__ import annotations

import base64
import hashlib
import os
from pathlib import Path

import httpx
import pytest
from conftest import OrgSetup, ServerProcess, graphql, log_artifacts

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


def direct_url(server: ServerProcess, setup: OrgSetup, artifact_id: str) -> str:
    data = graphql(server, setup.admin.api_key, FILE_URLS, {"id": artifact_id}).json()["data"]
    return data["artifact"]["files"]["edges"][0]["node"]["directUrl"]


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


def _pending_upload_url(server: ServerProcess, setup: OrgSetup, content: bytes) -> str:
    key = setup.admin.api_key
    created = graphql(
        server,
        key,
        CREATE,
        {
            "input": {
                "artifactTypeName": "data",
                "artifactCollectionName": "raw",
                "entityName": setup.team,
                "projectName": "uploads",
                "digest": b64md5(content) + "-digest",
                "digestAlgorithm": "MANIFEST_MD5",
            }
        },
    ).json()["data"]["createArtifact"]["artifact"]
    assert created["state"] == "PENDING"
    files = graphql(
        server,
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


def test_uploads_are_checked_against_the_announced_md5(server, org_setup: OrgSetup) -> None:
    content = os.urandom(1000)
    url = _pending_upload_url(server, org_setup, content)
    assert url.startswith(server.base_url + "/storage/upload/")
    rejected = httpx.put(url, content=b"something else")
    assert rejected.status_code == 400
    assert "MD5 mismatch" in rejected.json()["error"]["message"]
    blob_dir = Path(server.data_dir, "blobs")
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
