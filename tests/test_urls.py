"""Signed URL targets: what an upload or download token carries, and tokens refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from wandb_emulator.blobs import BlobRef, LocalBlobStore
from wandb_emulator.signing import InvalidToken, Signer
from wandb_emulator.urls import (
    BLOB_PATH,
    UPLOAD_PATH,
    ArtifactFileUpload,
    ManifestUpload,
    PartUpload,
    RunFileUpload,
    UploadTarget,
    Urls,
)

pytestmark = pytest.mark.fast

DISK = LocalBlobStore(Path("/nonexistent/blobs"))
URLS = Urls("http://emulator.test/", Signer(b"secret", ttl_seconds=60), DISK)


def _token(url: str, path: str) -> str:
    return url.removeprefix("http://emulator.test" + path).split("/")[0]


@pytest.mark.parametrize(
    "target",
    [
        ManifestUpload(artifact_id=7),
        ArtifactFileUpload(artifact_id=7, name="dir/a.txt", md5="1B2M2Y8AsgTpgAmY7PhCfg=="),
        RunFileUpload(run_id=3, name="output.log"),
        PartUpload(upload_id="u-1", part_number=2, md5="1B2M2Y8AsgTpgAmY7PhCfg=="),
    ],
)
def test_an_upload_url_carries_its_target(target: UploadTarget) -> None:
    assert URLS.upload_target(_token(URLS.upload(target).url, UPLOAD_PATH)) == target


def test_a_blob_url_carries_its_key_and_names_the_file() -> None:
    url = URLS.blob(BlobRef("ab" * 16), "model weights.bin")
    assert url.endswith("/model%20weights.bin")
    assert URLS.blob_key(_token(url, BLOB_PATH)) == "ab" * 16


def test_tokens_of_the_other_kind_or_another_secret_are_refused() -> None:
    upload = _token(URLS.upload(ManifestUpload(artifact_id=1)).url, UPLOAD_PATH)
    blob = _token(URLS.blob(BlobRef("ab" * 16), "f"), BLOB_PATH)
    with pytest.raises(InvalidToken):
        URLS.blob_key(upload)
    with pytest.raises(InvalidToken):
        URLS.upload_target(blob)
    other = Urls("http://emulator.test", Signer(b"other", ttl_seconds=60), DISK)
    with pytest.raises(InvalidToken):
        other.upload_target(upload)


def test_a_signed_payload_missing_a_field_is_refused() -> None:
    token = URLS.signer.sign({"kind": "run-file", "run_id": 3})
    with pytest.raises(InvalidToken):
        URLS.upload_target(token)
