"""Content-addressed file bytes under the data dir, written atomically.

A blob's key is the hex MD5 of its bytes. Writes stream into a temporary file in the
same directory, are checked against the announced MD5 and size, then renamed into
place, so concurrent uploads of the same content store it once and readers never see
a partial file.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import hashlib
import os
import re
import secrets
import shutil
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, cast

_KEY = re.compile(r"[0-9a-f]{32}")
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


class ChecksumMismatch(ValueError):
    pass


class TooLarge(ValueError):
    pass


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


class BlobStore:
    def __init__(self, root: Path) -> None:
        self.root = root
        self._root_text = os.fspath(root)
        self.bytes_in = 0  # bytes stored by uploads and the server (`/metrics`)

    def path(self, key: str) -> Path:
        if not _KEY.fullmatch(key):
            raise KeyError(key)
        return self.root / key[:2] / key

    def _files(self) -> Iterator[Path]:
        if self.root.is_dir():
            for shard in self.root.iterdir():
                if shard.is_dir():
                    yield from (p for p in shard.iterdir() if p.is_file())
                elif shard.is_file():
                    yield shard  # a staging file left by an interrupted write

    def collect(self, keep: set[str], grace_seconds: float) -> int:
        """Delete blobs not in `keep` (and stale staging files) older than the grace
        period, which protects writes not yet recorded in the database; the count."""
        horizon = time.time() - grace_seconds
        removed = 0
        for path in list(self._files()):
            try:
                if path.name in keep or path.stat().st_mtime > horizon:
                    continue
                path.unlink()
                removed += 1
            except FileNotFoundError:
                continue
        return removed

    def clear(self) -> None:
        """Delete every blob (reset)."""
        shutil.rmtree(self.root, ignore_errors=True)

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

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()

    def size(self, key: str) -> int:
        return self.path(key).stat().st_size

    async def write(
        self,
        chunks: AsyncIterator[bytes],
        *,
        expected_md5_hex: str | None = None,
        max_bytes: int,
    ) -> tuple[str, int]:
        """Store the streamed bytes; return (key, size). Nothing is kept on mismatch."""
        staging = _Staging(self.root, ".upload-")
        try:
            async for chunk in chunks:
                if staging.size + len(chunk) > max_bytes:
                    raise TooLarge(f"upload exceeds {max_bytes} bytes")
                staging.write(chunk)
            key = staging.md5.hexdigest()
            if expected_md5_hex is not None and key != expected_md5_hex:
                raise ChecksumMismatch(
                    f"MD5 mismatch: announced {md5_hex_to_b64(expected_md5_hex)},"
                    f" received {md5_hex_to_b64(key)}"
                )
            staging.place(self.path(key))
        except BaseException:
            staging.discard()
            raise
        self.bytes_in += staging.size
        return key, staging.size

    def put(self, data: bytes) -> str:
        """Store bytes the server produced itself; return their key."""
        staging = _Staging(self.root, ".put-")
        try:
            staging.write(data)
            key = staging.md5.hexdigest()
            staging.place(self.path(key))
        except BaseException:
            staging.discard()
            raise
        self.bytes_in += staging.size
        return key

    def concatenate(self, keys: list[str]) -> tuple[str, int]:
        """Join stored parts into one blob (multipart uploads); return (key, size)."""
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
