"""Blobs in an S3-compatible bucket: `--blob-store s3://bucket/prefix`.

Objects are laid out as W&B lays out its bucket (`layout.py`): the domain names each
object and records its path; content without a recorded path is at
`<prefix>/<key[:2]>/<key>` (a data dir's blobs, copied in). Clients PUT everything
straight into the bucket through presigned URLs (artifact files with the Content-MD5
they announced signed, multipart parts, manifests, run files) and download through
presigned GET URLs (ranges work, as on any S3 GET); the emulator reads what arrived
when the client says it is done. What the emulator writes itself (merged manifests)
goes in with put_object. Credentials come from boto3's chain (the AWS environment
variables, `~/.aws/config`, instance roles...), `AWS_CA_BUNDLE` names a CA to trust.

What the emulator checks, since an S3-compatible server need not (moto checks neither
signatures nor Content-MD5): an object PUT in one piece has the MD5 of its bytes as its
ETag (in buckets without SSE-KMS or SSE-C), so `stat` (a HEAD) tells a key whose object
holds other bytes (not `intact`): commit refuses it, and a later announce hands out an
upload URL again. A multipart upload is completed by the emulator into a staging object
under `<prefix>/.multipart/`, read back and hashed, and copied to its place only if
the MD5 is the announced one, so an object with a multipart ETag is one the emulator
checked.

boto3 blocks, so every call that reaches the bucket runs on a worker thread; presigning
is local computation and stays on the loop.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import boto3
from botocore.config import Config as BotoConfig
from botocore.exceptions import BotoCoreError, ClientError

from . import layout
from .blobs import (
    BlobInfo,
    BlobRef,
    BlobStore,
    BlobStoreUnavailable,
    MissingParts,
    Referenced,
    Upload,
    check_md5,
    is_key,
)
from .config import Config, parse_s3_url

T = TypeVar("T")

STAGING = ".multipart/"
_CHUNK = 1024 * 1024
_NOT_FOUND = {"404", "NoSuchKey", "NotFound"}


def _is_not_found(error: ClientError) -> bool:
    return str(error.response.get("Error", {}).get("Code")) in _NOT_FOUND


def _etag(head: dict[str, Any]) -> str:
    return str(head.get("ETag", "")).strip('"')


class S3BlobStore(BlobStore):
    takes_uploads = True

    def __init__(self, client: Any, bucket: str, prefix: str, url_ttl_seconds: int) -> None:
        self.client = client
        self.bucket = bucket
        self.prefix = f"{prefix}/" if prefix else ""
        self.url_ttl_seconds = url_ttl_seconds

    @classmethod
    def from_config(cls, config: Config, url_ttl_seconds: int) -> S3BlobStore:
        assert config.blob_store is not None
        bucket, prefix = parse_s3_url(config.blob_store)
        session = boto3.session.Session()
        client = session.client(
            "s3",
            endpoint_url=config.s3_endpoint_url,
            # A custom endpoint (moto, MinIO, Ceph...) is reached by path; SigV4 needs a
            # region even where the server has none.
            region_name=session.region_name or "us-east-1",
            config=BotoConfig(
                signature_version="s3v4",
                s3={"addressing_style": "path" if config.s3_endpoint_url else "auto"},
                max_pool_connections=32,
                retries={"mode": "standard", "max_attempts": 3},
            ),
        )
        return cls(client, bucket, prefix, url_ttl_seconds)

    def object_key(self, path: str) -> str:
        return self.prefix + path

    async def _call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        return await asyncio.to_thread(fn, *args, **kwargs)

    async def start(self) -> None:
        try:
            await self._call(self.client.head_bucket, Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            where = self.client.meta.endpoint_url
            raise BlobStoreUnavailable(f"bucket {self.bucket!r} at {where}: {exc}") from exc

    # ------------------------------------------------------------------ blobs

    async def _head(self, path: str) -> dict[str, Any] | None:
        try:
            return await self._call(
                self.client.head_object, Bucket=self.bucket, Key=self.object_key(path)
            )
        except ClientError as exc:
            if _is_not_found(exc):
                return None
            raise

    async def stat(self, ref: BlobRef) -> BlobInfo | None:
        if not is_key(ref.key):
            return None
        head = await self._head(ref.object_path)
        if head is None:
            return None
        etag = _etag(head)
        return BlobInfo(int(head["ContentLength"]), intact=etag == ref.key or "-" in etag)

    async def read(self, ref: BlobRef) -> bytes:
        found = await self.fetch_upload(ref.object_path)
        if found is None:
            raise KeyError(ref.key)
        return found

    async def put(self, data: bytes, path: str | None = None) -> BlobRef:
        digest = hashlib.md5(data, usedforsecurity=False)
        ref = BlobRef(digest.hexdigest(), path)
        await self._call(
            self.client.put_object,
            Bucket=self.bucket,
            Key=self.object_key(ref.object_path),
            Body=data,
            ContentMD5=base64.b64encode(digest.digest()).decode("ascii"),
        )
        self.bytes_in += len(data)
        return ref

    # ------------------------------------------------ what clients uploaded

    async def uploaded(self, path: str) -> tuple[str, int] | None:
        head = await self._head(path)
        if head is None:
            return None
        etag = _etag(head)
        if is_key(etag):  # an object PUT in one piece: its ETag is its MD5
            return etag, int(head["ContentLength"])
        return await self._call(self._hash_object, self.object_key(path))

    async def fetch_upload(self, path: str) -> bytes | None:
        try:
            found = await self._call(
                self.client.get_object, Bucket=self.bucket, Key=self.object_key(path)
            )
        except ClientError as exc:
            if _is_not_found(exc):
                return None
            raise
        return await self._call(found["Body"].read)

    # -------------------------------------------------------------- multipart

    def _staging(self, upload_id: str) -> tuple[str, str]:
        """The staging object and S3 upload id behind one of our upload ids."""
        staging, dot, s3_upload_id = upload_id.partition(".")
        if not dot or not is_key(staging):
            raise KeyError(upload_id)
        return f"{self.prefix}{STAGING}{staging}", s3_upload_id

    async def begin_multipart(self, ref: BlobRef) -> str:
        staging = uuid.uuid4().hex
        created = await self._call(
            self.client.create_multipart_upload,
            Bucket=self.bucket,
            Key=f"{self.prefix}{STAGING}{staging}",
        )
        return f"{staging}.{created['UploadId']}"

    async def complete_multipart(
        self, upload_id: str, ref: BlobRef, part_numbers: list[int], recorded: dict[str, str]
    ) -> int:
        staging, s3_upload_id = self._staging(upload_id)
        return await self._call(self._complete, staging, s3_upload_id, ref, part_numbers)

    def _complete(
        self, staging: str, s3_upload_id: str, ref: BlobRef, part_numbers: list[int]
    ) -> int:
        etags = self._uploaded_parts(staging, s3_upload_id)
        missing = [n for n in part_numbers if n not in etags]
        if missing:
            raise MissingParts(missing)
        self.client.complete_multipart_upload(
            Bucket=self.bucket,
            Key=staging,
            UploadId=s3_upload_id,
            MultipartUpload={"Parts": [{"PartNumber": n, "ETag": etags[n]} for n in part_numbers]},
        )
        try:
            actual, size = self._hash_object(staging)
            check_md5(actual, ref.key)
            source = {"Bucket": self.bucket, "Key": staging}
            self.client.copy(source, self.bucket, self.object_key(ref.object_path))
        finally:
            self.client.delete_object(Bucket=self.bucket, Key=staging)
        return size

    def _uploaded_parts(self, staging: str, s3_upload_id: str) -> dict[int, str]:
        pages = self.client.get_paginator("list_parts").paginate(
            Bucket=self.bucket, Key=staging, UploadId=s3_upload_id
        )
        try:
            return {p["PartNumber"]: p["ETag"] for page in pages for p in page.get("Parts", [])}
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) == "NoSuchUpload":
                raise MissingParts([]) from exc
            raise

    def _hash_object(self, object_key: str) -> tuple[str, int]:
        body = self.client.get_object(Bucket=self.bucket, Key=object_key)["Body"]
        digest, size = hashlib.md5(usedforsecurity=False), 0
        while chunk := body.read(_CHUNK):
            digest.update(chunk)
            size += len(chunk)
        return digest.hexdigest(), size

    async def abort_multipart(self, upload_id: str) -> None:
        staging, s3_upload_id = self._staging(upload_id)
        try:
            await self._call(
                self.client.abort_multipart_upload,
                Bucket=self.bucket,
                Key=staging,
                UploadId=s3_upload_id,
            )
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) != "NoSuchUpload":
                raise

    # ------------------------------------------------------ collection, reset

    async def collect(self, keep: Referenced, grace_seconds: float) -> int:
        return await self._call(self._collect, keep, time.time() - grace_seconds)

    def _collect(self, keep: Referenced, horizon: float) -> int:
        doomed = [
            obj["Key"]
            for obj in self._objects()
            if obj["LastModified"].timestamp() <= horizon and self._collectable(obj["Key"], keep)
        ]
        for upload in self._multipart_uploads():
            staging = upload["Key"][len(self.prefix) + len(STAGING) :]
            abandoned = f"{staging}.{upload['UploadId']}" not in keep.multipart
            if abandoned and upload["Initiated"].timestamp() <= horizon:
                self._abort(upload)
        self._delete(doomed)
        return len(doomed)

    def _collectable(self, object_key: str, keep: Referenced) -> bool:
        """An object of the emulator's naming that nothing keeps (laid out as on W&B,
        or content-addressed), or a leftover staging object; never anything else someone
        put under the prefix."""
        relative = object_key[len(self.prefix) :]
        if relative in keep.paths:
            return False
        if relative.startswith((STAGING, *layout.ROOTS)):
            return True
        shard, _, name = relative.partition("/")
        return is_key(name) and shard == name[:2] and name not in keep.keys

    async def clear(self) -> None:
        await self._call(self._clear)

    def _clear(self) -> None:
        for upload in self._multipart_uploads():
            self._abort(upload)
        self._delete([obj["Key"] for obj in self._objects()])

    def _objects(self) -> Iterator[dict[str, Any]]:
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            yield from page.get("Contents", [])

    def _multipart_uploads(self) -> Iterator[dict[str, Any]]:
        pages = self.client.get_paginator("list_multipart_uploads").paginate(
            Bucket=self.bucket, Prefix=self.prefix + STAGING
        )
        for page in pages:
            yield from page.get("Uploads", [])

    def _abort(self, upload: dict[str, Any]) -> None:
        try:
            self.client.abort_multipart_upload(
                Bucket=self.bucket, Key=upload["Key"], UploadId=upload["UploadId"]
            )
        except ClientError as exc:
            if str(exc.response.get("Error", {}).get("Code")) != "NoSuchUpload":
                raise

    def _delete(self, object_keys: list[str]) -> None:
        for start in range(0, len(object_keys), 1000):  # S3's limit per request
            batch = object_keys[start : start + 1000]
            self.client.delete_objects(
                Bucket=self.bucket,
                Delete={"Objects": [{"Key": k} for k in batch], "Quiet": True},
            )

    # ------------------------------------------------------------------- URLs

    def _presign(self, operation: str, **params: Any) -> str:
        return str(
            self.client.generate_presigned_url(
                operation,
                Params={"Bucket": self.bucket, **params},
                ExpiresIn=self.url_ttl_seconds,
            )
        )

    def upload(self, path: str, md5_b64: str | None) -> Upload:
        if not md5_b64:
            return Upload(self._presign("put_object", Key=self.object_key(path)))
        url = self._presign("put_object", Key=self.object_key(path), ContentMD5=md5_b64)
        return Upload(url, (f"Content-MD5:{md5_b64}",))

    def part_upload(self, upload_id: str, part_number: int, md5_b64: str | None) -> Upload:
        staging, s3_upload_id = self._staging(upload_id)
        params: dict[str, Any] = {
            "Key": staging,
            "UploadId": s3_upload_id,
            "PartNumber": part_number,
        }
        if md5_b64:
            params["ContentMD5"] = md5_b64
        headers = (f"Content-MD5:{md5_b64}",) if md5_b64 else ()
        return Upload(self._presign("upload_part", **params), headers)

    def download_url(self, ref: BlobRef, filename: str) -> str:
        return self._presign("get_object", Key=self.object_key(ref.object_path))
