"""Absolute, signed URLs handed to clients for uploads and downloads, and the typed
targets their tokens carry (what an upload is for, which blob a download serves).

A blob store that takes uploads itself (a bucket's presigned URLs) gets every upload
and serves every download; the domain decides where each upload goes and reads it when
the client says it is done. Otherwise clients PUT to the emulator's signed URLs, whose
handler records what the bytes become, and fetch from its signed download URLs."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import quote

from . import layout
from .blobs import BlobRef, BlobStore, Upload
from .records import ArtifactFileRec, ArtifactRec, RunFileRec
from .signing import InvalidToken, Signer

URL_TTL_SECONDS = 24 * 3600  # signed (and presigned) URLs
UPLOAD_PATH = "/storage/upload/"
BLOB_PATH = "/storage/blob/"


@dataclass(frozen=True)
class ManifestUpload:
    """The manifest of an artifact version."""

    artifact_id: int
    md5: str | None = None


@dataclass(frozen=True)
class ArtifactFileUpload:
    """A file of an artifact version (stored by content; nothing else to record)."""

    artifact_id: int
    name: str
    md5: str | None = None


@dataclass(frozen=True)
class RunFileUpload:
    """A file of a run."""

    run_id: int
    name: str
    md5: str | None = None


@dataclass(frozen=True)
class PartUpload:
    """One part of a multipart artifact-file upload."""

    upload_id: str
    part_number: int
    md5: str | None = None


UploadTarget = ManifestUpload | ArtifactFileUpload | RunFileUpload | PartUpload
"""What an upload URL is for; `md5` (base64), when set, is what the bytes must hash to."""

_UPLOAD_KINDS: dict[str, type[UploadTarget]] = {
    "manifest": ManifestUpload,
    "artifact-file": ArtifactFileUpload,
    "run-file": RunFileUpload,
    "part": PartUpload,
}
_KIND_OF = {cls: kind for kind, cls in _UPLOAD_KINDS.items()}


class Urls:
    def __init__(self, base_url: str, signer: Signer, blobs: BlobStore) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer
        self.blobs = blobs

    def upload(self, target: UploadTarget, path: str | None = None) -> Upload:
        """Where to PUT the bytes of `target`, and the headers to send. A store that takes
        uploads itself receives them at `path` (decided by the domain; a run file's
        object and the parts of a multipart upload are named by the target itself)."""
        if not self.blobs.takes_uploads:
            return Upload(self._signed_upload(target))
        if isinstance(target, PartUpload):
            return self.blobs.part_upload(target.upload_id, target.part_number, target.md5)
        if isinstance(target, RunFileUpload):
            path = layout.run_file(target.run_id, target.name)
        if path is None:
            raise ValueError(f"no object for the upload of {target}")
        return self.blobs.upload(path, target.md5)

    def _signed_upload(self, target: UploadTarget) -> str:
        payload = {"kind": _KIND_OF[type(target)], **asdict(target)}
        return f"{self.base_url}{UPLOAD_PATH}{self.signer.sign(payload)}"

    def blob(self, ref: BlobRef, filename: str) -> str:
        """A download URL that needs no W&B credentials, valid until the token expires."""
        direct = self.blobs.download_url(ref, filename)
        if direct is not None:
            return direct
        token = self.signer.sign({"blob": ref.key})
        return f"{self.base_url}{BLOB_PATH}{token}/{quote(filename)}"

    def file(self, rec: ArtifactFileRec | RunFileRec, filename: str) -> str | None:
        """The download URL of an artifact or run file; None while it has no bytes (and
        for a reference)."""
        if rec.blob_key is None:
            return None
        return self.blob(BlobRef(rec.blob_key, rec.storage_path), filename)

    def manifest(self, artifact: ArtifactRec) -> str | None:
        """The download URL of a version's manifest; None until it is stored."""
        if artifact.manifest_blob_key is None:
            return None
        ref = BlobRef(artifact.manifest_blob_key, artifact.manifest_path)
        return self.blob(ref, "wandb_manifest.json")

    def upload_target(self, token: str) -> UploadTarget:
        """The target of an upload token; InvalidToken when forged, expired or malformed."""
        payload = self.signer.verify(token)
        target = _UPLOAD_KINDS.get(payload.get("kind", ""))
        if target is None:
            raise InvalidToken("malformed token")
        return target(**_fields_of(target, payload))

    def blob_key(self, token: str) -> str:
        """The blob a download token serves; InvalidToken when forged, expired or malformed."""
        key = self.signer.verify(token).get("blob")
        if not isinstance(key, str):
            raise InvalidToken("malformed token")
        return key


def _fields_of(target: type[UploadTarget], payload: dict[str, Any]) -> dict[str, Any]:
    try:
        return {f.name: payload[f.name] for f in fields(target)}
    except KeyError:
        raise InvalidToken("malformed token") from None
