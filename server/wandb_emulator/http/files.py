"""Upload and download endpoints behind the signed URLs handed out by GraphQL."""

from __future__ import annotations

import logging
import stat
from pathlib import Path

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, RedirectResponse, Response

from .. import auth
from ..blobs import (
    BlobRef,
    BlobStore,
    ChecksumMismatch,
    LocalBlobStore,
    TooLarge,
    md5_b64_to_hex,
)
from ..domain import artifacts, runs
from ..domain.errors import DomainError
from ..domain.unit import Tx
from ..signing import InvalidToken
from ..urls import ArtifactFileUpload, ManifestUpload, PartUpload, RunFileUpload, UploadTarget
from .common import INVALID_CREDENTIALS, error_response, request_viewer

log = logging.getLogger("wandb_emulator.storage")

MAX_UPLOAD_BYTES = 64 * 1024**3


def _storage_error(status: int, code: str, message: str) -> Response:
    """Errors in the shape of a cloud storage service (the SDK only reads the status)."""
    return JSONResponse({"error": {"code": code, "message": message}}, status_code=status)


async def upload(request: Request) -> Response:
    """PUT to an upload URL of the emulator's own (a store that takes no uploads itself)."""
    emulator = request.app.state.emulator
    blobs = emulator.blobs
    try:
        target = emulator.urls.upload_target(request.path_params["token"])
    except InvalidToken as exc:
        return _storage_error(403, "SignatureDoesNotMatch", str(exc))
    if not isinstance(blobs, LocalBlobStore):
        return _storage_error(403, "AccessDenied", "uploads go to the blob store's own URLs")
    try:
        expected = md5_b64_to_hex(target.md5) if target.md5 else None
        key, size = await blobs.write(
            request.stream(), expected_md5_hex=expected, max_bytes=MAX_UPLOAD_BYTES
        )
    except ChecksumMismatch as exc:
        return _storage_error(400, "BadDigest", str(exc))
    except TooLarge as exc:
        return _storage_error(413, "EntityTooLarge", str(exc))
    if not isinstance(target, ArtifactFileUpload):  # an artifact file is found by content
        try:
            async with emulator.uow.write() as tx:
                await _record_upload(tx, emulator.blobs, target, key, size)
        except DomainError as exc:
            return _storage_error(400, "InvalidArgument", str(exc))
    return Response(status_code=200, headers={"ETag": f'"{key}"'})


async def _record_upload(
    tx: Tx, blobs: BlobStore, target: UploadTarget, key: str, size: int
) -> None:
    """What the stored bytes become."""
    if isinstance(target, ManifestUpload):
        await artifacts.record_manifest_upload(tx, blobs, target.artifact_id, key)
    elif isinstance(target, RunFileUpload):
        await runs.store_uploaded_run_file(tx, target.run_id, target.name, key, size)
    elif isinstance(target, PartUpload):
        await artifacts.record_part_upload(tx, target.upload_id, target.part_number, key)


async def download(request: Request) -> Response:
    emulator = request.app.state.emulator
    try:
        ref = BlobRef(emulator.urls.blob_key(request.path_params["token"]))
        found = _blob_response(emulator.blobs, ref, request.path_params["filename"])
    except (InvalidToken, KeyError) as exc:
        return _storage_error(403, "AccessDenied", str(exc))
    return found or _storage_error(404, "NoSuchKey", "the object does not exist")


def _blob_response(blobs: BlobStore, ref: BlobRef, filename: str) -> Response | None:
    """The blob's bytes from disk, or a redirect to the store's own URL for it; None
    when there is no such file. KeyError for a malformed key."""
    url = blobs.download_url(ref, filename)
    if url is not None:
        return RedirectResponse(url, status_code=302)
    path = blobs.local_path(ref)
    return _file_response(path) if path is not None else None


def _file_response(path: Path) -> FileResponse | None:
    """The file's bytes, or None when there is no such file. The file is statted here
    (microseconds for a local file) rather than by FileResponse on a worker thread."""
    try:
        found = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return None
    if not stat.S_ISREG(found.st_mode):
        return None
    return FileResponse(path, media_type="application/octet-stream", stat_result=found)


async def download_by_digest(request: Request) -> Response:
    """GET /artifacts/{entity}/{md5} and /artifactsV2/...: W&B-authenticated fallbacks.

    The bytes go only to users who may download a version holding them; everyone else
    gets the same 404 as for bytes that do not exist.
    """
    emulator = request.app.state.emulator
    viewer = await request_viewer(request)
    if viewer is None:
        return error_response(401, INVALID_CREDENTIALS)
    key = request.path_params["md5"]
    async with emulator.db.read() as conn:
        allowed = await auth.allows(conn, viewer, auth.Action.READ_BLOB, key)
        ref = await artifacts.stored_blob(conn, key) if allowed else None
    try:
        found = _blob_response(emulator.blobs, ref, key) if ref else None
    except KeyError:
        found = None
    return found or error_response(404, "not found")
