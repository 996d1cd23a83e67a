"""Content-addressed file bytes: the blob-store seam and its local-disk store.

A blob's key is the hex MD5 of its bytes. `BlobStore` is what the emulator needs of a
store; `LocalBlobStore` keeps blobs under the data dir (the default), `s3_blobs`
keeps them in a bucket (`--blob-store s3://bucket/prefix`), laid out as W&B lays out
its bucket. A blob without a recorded path is at `<key[:2]>/<key>` in either store, so
a data dir's `blobs/` moves into a bucket by copying it.

On disk, writes stream into a temporary file in the same directory, are checked
against the announced MD5 and size, then renamed into place, so concurrent uploads of
the same content store it once and readers never see a partial file.
"""

from __future__ import annotations

import abc
import asyncio
import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
import shutil
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, ClassVar, cast

_KEY = re.compile(r"[0-9a-f]{32}")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


class ChecksumMismatch(ValueError):
    pass


class TooLarge(ValueError):
    pass


class BlobStoreUnavailable(RuntimeError):
    """The configured store cannot be used (a bucket missing or out of reach)."""


class MissingParts(ValueError):
    def __init__(self, missing: list[int]) -> None:
        super().__init__(f"parts {missing} of the multipart upload were not uploaded")
        self.missing = missing


def md5_b64_to_hex(md5_b64: str) -> str:
    """The SDK announces MD5s in base64; blob keys are hex."""
    try:
        raw = base64.b64decode(md5_b64, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ChecksumMismatch(f"invalid base64 MD5: {md5_b64!r}") from exc
    if len(raw) != 16:
        raise ChecksumMismatch(f"invalid MD5: {md5_b64!r}")
    return raw.hex()


def md5_hex_to_b64(md5_hex: str) -> str:
    return base64.b64encode(bytes.fromhex(md5_hex)).decode("ascii")


def _link(source: Path, target: Path) -> None:
    try:
        os.link(source, target)
    except FileNotFoundError:
        if not source.exists():
            raise
        target.parent.mkdir(parents=True, exist_ok=True)
        os.link(source, target)


class _Staging:
    """A temporary file in the store that hashes what is written to it. Directories are
    made only when missing (the store's root and its shards exist almost always)."""

    def __init__(self, root: Path, prefix: str) -> None:
        name = os.path.join(root, f"{prefix}{secrets.token_hex(8)}")
        try:
            fd = os.open(name, _CREATE, 0o600)
        except FileNotFoundError:
            root.mkdir(parents=True, exist_ok=True)
            fd = os.open(name, _CREATE, 0o600)
        self.path = name
        self.file = os.fdopen(fd, "wb")
        self.md5 = hashlib.md5(usedforsecurity=False)
        self.size = 0

    def write(self, chunk: bytes) -> None:
        self.md5.update(chunk)
        self.size += len(chunk)
        self.file.write(chunk)

    def place(self, target: Path) -> None:
        self.file.close()
        try:
            os.replace(self.path, target)
        except FileNotFoundError:
            target.parent.mkdir(parents=True, exist_ok=True)
            os.replace(self.path, target)

    def discard(self) -> None:
        self.file.close()
        with contextlib.suppress(FileNotFoundError):
            os.unlink(self.path)


@dataclass(frozen=True)
class BlobInfo:
    """A stored blob: its size, and whether its bytes hash to its key. A bucket's object
    is not intact when a client PUT other bytes than the MD5 its URL was signed for and
    the bucket did not check (moto checks neither signatures nor Content-MD5)."""

    size: int
    intact: bool = True


@dataclass(frozen=True)
class Upload:
    """Where a client PUTs bytes, and the headers it must send ("Name:Value")."""

    url: str
    headers: tuple[str, ...] = ()


def is_key(key: str) -> bool:
    return _KEY.fullmatch(key) is not None


def key_path(key: str) -> str:
    """A blob's content-addressed place in a store, relative to its root: `<key[:2]>/<key>`."""
    if not is_key(key):
        raise KeyError(key)
    return f"{key[:2]}/{key}"


@dataclass(frozen=True)
class BlobRef:
    """Stored bytes: their MD5 (hex) `key`, and the object holding them relative to the
    store's root, `path`. None is the content-addressed `<key[:2]>/<key>`, where the
    local store keeps every blob (and where a data dir's blobs land when copied into a
    bucket); a store that takes uploads itself lays new objects out as W&B does, and
    the database records the path beside each reference."""

    key: str
    path: str | None = None

    @property
    def object_path(self) -> str:
        return self.path or key_path(self.key)


@dataclass(frozen=True)
class Referenced:
    """What the collection of unreferenced blobs keeps: content referenced by key (at
    its content-addressed name), objects referenced by path, and unfinished multipart
    uploads (by upload id)."""

    keys: frozenset[str]
    paths: frozenset[str] = frozenset()
    multipart: frozenset[str] = frozenset()


class BlobStore(abc.ABC):
    """What the emulator needs of a blob store. Stored bytes are immutable once a
    reference to them is recorded; the domain reads and writes them through here,
    clients through URLs."""

    takes_uploads: ClassVar[bool] = False
    """Clients PUT into the store itself (presigned URLs) when True: the domain decides
    where each upload goes and records it, and reads what arrived when the client says
    it is done (`uploaded`, `fetch_upload`). False: clients PUT to the emulator's own
    signed URLs, and the emulator records what the bytes become as they arrive."""

    bytes_in = 0
    """Bytes the emulator stored: uploads it received and what it wrote itself (`/metrics`)."""

    @abc.abstractmethod
    async def start(self) -> None:
        """Check at start that the store can be used; BlobStoreUnavailable if not."""

    @abc.abstractmethod
    async def stat(self, ref: BlobRef) -> BlobInfo | None:
        """The stored blob, or None when there is none."""

    async def stat_many(self, refs: Iterable[BlobRef]) -> dict[BlobRef, BlobInfo | None]:
        unique = list(dict.fromkeys(refs))
        found = await asyncio.gather(*(self.stat(ref) for ref in unique))
        return dict(zip(unique, found, strict=True))

    @abc.abstractmethod
    async def read(self, ref: BlobRef) -> bytes:
        """The bytes of a (small) blob, such as a manifest. KeyError when absent."""

    @abc.abstractmethod
    async def put(self, data: bytes, path: str | None = None) -> BlobRef:
        """Store bytes the server produced itself, at `path` in a store that lays its
        objects out (the content-addressed name otherwise); where they are."""

    @abc.abstractmethod
    async def collect(self, keep: Referenced, grace_seconds: float) -> int:
        """Delete blobs (and leftovers of interrupted uploads) nothing keeps and older
        than the grace period, which protects writes not yet recorded; how many. Objects
        the emulator did not name are never deleted."""

    @abc.abstractmethod
    async def clear(self) -> None:
        """Delete every blob (reset)."""

    # ------------------------------------------- multipart uploads of artifact files

    @abc.abstractmethod
    async def begin_multipart(self, ref: BlobRef) -> str:
        """Start a multipart upload of the blob `ref`; its upload id."""

    @abc.abstractmethod
    async def complete_multipart(
        self, upload_id: str, ref: BlobRef, part_numbers: list[int], recorded: dict[str, str]
    ) -> int:
        """Join the parts (in order) into the blob `ref`; its size. `recorded` maps part
        numbers to the blobs the emulator received for them (parts a store's own URLs
        received are known to the store). MissingParts or ChecksumMismatch when the
        parts are not all there or do not make the announced blob."""

    @abc.abstractmethod
    async def abort_multipart(self, upload_id: str) -> None:
        """Give up a multipart upload."""

    # ------------------------------ a store that takes uploads: where clients send

    def upload(self, path: str, md5_b64: str | None) -> Upload:
        """The store's own upload URL for the object `path` (signing the Content-MD5
        clients must send, when the MD5 is known)."""
        raise NotImplementedError(f"{type(self).__name__} takes no uploads itself")

    def part_upload(self, upload_id: str, part_number: int, md5_b64: str | None) -> Upload:
        """The store's own upload URL for one part of a multipart upload."""
        raise NotImplementedError(f"{type(self).__name__} takes no uploads itself")

    async def uploaded(self, path: str) -> tuple[str, int] | None:
        """What a client uploaded to `path`: the MD5 (hex) of its bytes and their size;
        None when nothing is there."""
        raise NotImplementedError(f"{type(self).__name__} takes no uploads itself")

    async def fetch_upload(self, path: str) -> bytes | None:
        """The bytes a client uploaded to `path` (a small object, such as a manifest);
        None when nothing is there."""
        raise NotImplementedError(f"{type(self).__name__} takes no uploads itself")

    # ------------------------------------------------------ where clients fetch

    def download_url(self, ref: BlobRef, filename: str) -> str | None:
        """The store's own download URL of a blob, or None: the emulator's."""
        return None

    def local_path(self, ref: BlobRef) -> Path | None:
        """The blob's file, when the emulator serves it from disk."""
        return None


class LocalBlobStore(BlobStore):
    """Blobs under a directory of the data dir, each at its content-addressed name (a
    reference's path is not used); the emulator's signed URLs take and serve them."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_text = os.fspath(root)
        self.bytes_in = 0

    def path(self, key: str) -> Path:
        return self.root / key_path(key)

    def local_path(self, ref: BlobRef) -> Path | None:
        return self.path(ref.key)

    async def start(self) -> None:
        """Nothing to check: the directory is made by the first write."""

    def _files(self) -> Iterator[Path]:
        if self.root.is_dir():
            for shard in self.root.iterdir():
                if shard.is_dir():
                    yield from (p for p in shard.iterdir() if p.is_file())
                elif shard.is_file():
                    yield shard  # a staging file left by an interrupted write

    async def collect(self, keep: Referenced, grace_seconds: float) -> int:
        horizon = time.time() - grace_seconds
        removed = 0
        for path in list(self._files()):
            try:
                if path.name in keep.keys or path.stat().st_mtime > horizon:
                    continue
                path.unlink()
                removed += 1
            except FileNotFoundError:
                continue
        return removed

    async def clear(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)

    async def stat(self, ref: BlobRef) -> BlobInfo | None:
        try:
            return BlobInfo(self.path(ref.key).stat().st_size)
        except (FileNotFoundError, KeyError):
            return None

    def open(self, key: str) -> BinaryIO:
        """The stored bytes of `key`, to read (FileNotFoundError when there are none).
        Unbuffered, the path joined as text: a snapshot opens every blob."""
        if not _KEY.fullmatch(key):
            raise KeyError(key)
        return cast(BinaryIO, open(f"{self._root_text}/{key[:2]}/{key}", "rb", buffering=0))

    def adopt(self, key: str, source: Path) -> None:
        """Store the file `source` (its MD5 checked by the caller) as blob `key`; the
        source stays. A hard link where the file system allows, else a copy."""
        target = self.path(key)
        try:
            _link(source, target)
        except FileExistsError:
            return  # content-addressed: the same bytes are stored already
        except OSError:  # another file system, or no hard links
            staging = _Staging(self.root, ".adopt-")
            try:
                with source.open("rb") as data:
                    while chunk := data.read(1024 * 1024):
                        staging.write(chunk)
                staging.place(target)
            except BaseException:
                staging.discard()
                raise

    def adopt_store(self, root: Path, keys: Iterable[str]) -> None:
        """Store the blobs `keys` of the directory `root`, laid out as this store's: the
        directory is moved whole when this store has none yet, else blob by blob."""
        if not self.root.exists():
            try:
                os.replace(root, self.root)
                return
            except OSError:  # another file system
                pass
        for key in keys:
            self.adopt(key, root / key[:2] / key)

    async def read(self, ref: BlobRef) -> bytes:
        try:
            return self.path(ref.key).read_bytes()
        except FileNotFoundError:
            raise KeyError(ref.key) from None

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        expected_md5_hex: str | None = None,
        max_bytes: int,
    ) -> tuple[str, int]:
        """Store bytes a client PUT to the emulator's upload URL; return (key, size).
        Nothing is kept when they exceed `max_bytes` or miss the expected MD5."""
        staging = _Staging(self.root, ".upload-")
        try:
            async for chunk in chunks:
                if staging.size + len(chunk) > max_bytes:
                    raise TooLarge(f"upload exceeds {max_bytes} bytes")
                staging.write(chunk)
            key = staging.md5.hexdigest()
            check_md5(key, expected_md5_hex)
            staging.place(self.path(key))
        except BaseException:
            staging.discard()
            raise
        self.bytes_in += staging.size
        return key, staging.size

    async def put(self, data: bytes, path: str | None = None) -> BlobRef:
        staging = _Staging(self.root, ".put-")
        try:
            staging.write(data)
            key = staging.md5.hexdigest()
            staging.place(self.path(key))
        except BaseException:
            staging.discard()
            raise
        self.bytes_in += staging.size
        return BlobRef(key)

    async def begin_multipart(self, ref: BlobRef) -> str:
        return uuid.uuid4().hex

    async def complete_multipart(
        self, upload_id: str, ref: BlobRef, part_numbers: list[int], recorded: dict[str, str]
    ) -> int:
        missing = [n for n in part_numbers if str(n) not in recorded]
        if missing:
            raise MissingParts(missing)
        joined, size = self._concatenate([recorded[str(n)] for n in part_numbers])
        check_md5(joined, ref.key)
        return size

    async def abort_multipart(self, upload_id: str) -> None:
        """Nothing to do: the parts are blobs, collected once nothing references them."""

    def _concatenate(self, keys: list[str]) -> tuple[str, int]:
        staging = _Staging(self.root, ".join-")
        try:
            for key in keys:
                with self.path(key).open("rb") as part:
                    while chunk := part.read(1024 * 1024):
                        staging.write(chunk)
            key = staging.md5.hexdigest()
            staging.place(self.path(key))
        except BaseException:
            staging.discard()
            raise
        return key, staging.size


def check_md5(actual_hex: str, expected_hex: str | None) -> None:
    if expected_hex is not None and actual_hex != expected_hex:
        raise ChecksumMismatch(
            f"MD5 mismatch: announced {md5_hex_to_b64(expected_hex)},"
            f" received {md5_hex_to_b64(actual_hex)}"
        )
