"""State snapshots: the whole state of an emulator (its database and every blob the
database references) in one file, written while the server runs, read back into an
empty data directory, another store, or a running server.

A snapshot is an uncompressed tar archive:

    manifest.json      first: format, versions, counts, and every other member's size
                       and MD5 (a blob's MD5 is its key)
    database.sqlite3   the database as a standalone SQLite file at the manifest's
                       `database.schema_version`, whatever engine the store runs on
    blobs/ab/ab...     the blobs, content-addressed

Reading refuses, before anything reaches the store: an archive that does not start with
a manifest of this format, a newer format or schema version, a member the manifest does
not list (or lists with another size or MD5), and a truncated archive. A database at an
older schema version is migrated on the way in.

Writing goes to a temporary name beside the target, renamed over it once complete, so
an interrupted export leaves the previous snapshot as it was.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import os
import re
import shutil
import sqlite3
import tarfile
import tempfile
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, BinaryIO

from . import __version__, storage
from .blobs import BlobStore, LocalBlobStore, Referenced
from .config import Config
from .store import snapshots as store
from .store.database import Database
from .store.maintenance import referenced_blob_keys

FORMAT = "wandb-emulator-snapshot"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATABASE = "database.sqlite3"
MAX_MANIFEST_BYTES = 256 * 1024 * 1024
COPY_CHUNK = 1024 * 1024
BLOCK = 512  # tar's
USTAR_MAX_SIZE = 8**11
# A blob the database references may be collected between the copy of the database and
# the copy of the blob (another process's maintenance): the export starts over.
EXPORT_ATTEMPTS = 3
_BLOB_MEMBER = re.compile(r"blobs/([0-9a-f]{2})/([0-9a-f]{32})")
_MD5 = re.compile(r"[0-9a-f]{32}")


class SnapshotError(Exception):
    """A snapshot cannot be written or read; the message says why, for the user."""


class ExportCancelled(SnapshotError):
    """The export was interrupted (a second signal); nothing was written."""


class _MissingBlob(Exception):
    pass


def local_store(blobs: BlobStore) -> LocalBlobStore:
    """Snapshots carry the blobs of a data directory's own store: a bucket's objects
    (`--blob-store s3://`) are not exported or imported (yet)."""
    if not isinstance(blobs, LocalBlobStore):
        raise SnapshotError(
            "snapshots hold the blobs of the local store; this server keeps them in a"
            " bucket (--blob-store), which snapshots do not export or import"
        )
    return blobs


def blob_member(key: str) -> str:
    return f"blobs/{key[:2]}/{key}"


# ---------------------------------------------------------------- writing


async def export_snapshot(
    db: Database, blobs: BlobStore, target: Path, *, cancel: threading.Event | None = None
) -> dict[str, Any]:
    """Write a snapshot of the store to `target` (replaced atomically); its manifest."""
    local = local_store(blobs)
    target.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        for attempt in range(1, EXPORT_ATTEMPTS + 1):
            try:
                return await _export_once(db, local, target, workdir, cancel)
            except _MissingBlob as exc:
                if attempt == EXPORT_ATTEMPTS:
                    raise SnapshotError(
                        f"the database references blob {exc}, which the blob store lacks"
                    ) from None
        raise AssertionError("unreachable")
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


async def _export_once(
    db: Database,
    blobs: LocalBlobStore,
    target: Path,
    workdir: Path,
    cancel: threading.Event | None,
) -> dict[str, Any]:
    database = workdir / DATABASE
    database.unlink(missing_ok=True)
    if not await store.copy_database(db, database):
        raise SnapshotError(f"there is no emulator database at {db.target}")
    async with store.opened(database) as conn:
        version = await store.schema_version(conn)
        counts = await store.count_rows(conn)
        keys = sorted(await referenced_blob_keys(conn))
    partial = workdir / "snapshot.tar"
    manifest = await asyncio.to_thread(
        _write_archive, partial, database, version, counts, blobs, keys, cancel
    )
    os.replace(partial, target)
    _sync_directory(target.parent)
    return manifest


def _write_archive(
    path: Path,
    database: Path,
    version: int,
    counts: dict[str, int],
    blobs: LocalBlobStore,
    keys: list[str],
    cancel: threading.Event | None,
) -> dict[str, Any]:
    files: dict[str, dict[str, Any]] = {
        DATABASE: {"size": database.stat().st_size, "md5": _file_md5(database)}
    }
    files.update((blob_member(key), {"md5": key}) for key in keys)  # sizes: the tar headers'
    manifest = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "emulator_version": __version__,
        "created_at": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "database": {"engine": "sqlite", "schema_version": version},
        "counts": {"tables": counts, "blobs": len(keys)},
        "files": files,
    }
    body = json.dumps(manifest).encode()
    with path.open("wb", buffering=COPY_CHUNK) as raw:
        tar = _TarWriter(raw, int(time.time()))
        tar.add(MANIFEST, len(body), [body])
        tar.add(DATABASE, files[DATABASE]["size"], _chunks(database.open("rb"), None, cancel))
        for key in keys:
            _add_blob(tar, blobs, key, cancel)
        tar.close()
        raw.flush()
        os.fsync(raw.fileno())
    return manifest


def _add_blob(
    tar: _TarWriter, blobs: LocalBlobStore, key: str, cancel: threading.Event | None
) -> None:
    """Add a blob, checking on the way that its bytes still hash to its key."""
    try:
        source = blobs.open(key)
    except (FileNotFoundError, KeyError):
        raise _MissingBlob(key) from None
    md5 = hashlib.md5(usedforsecurity=False)
    size = os.fstat(source.fileno()).st_size
    tar.add(blob_member(key), size, _chunks(source, md5, cancel, size))
    if md5.hexdigest() != key:
        raise SnapshotError(f"blob {key} is corrupt in the blob store: its MD5 differs")


def _chunks(
    source: BinaryIO, md5: Any, cancel: threading.Event | None, size: int | None = None
) -> Iterator[bytes]:
    """A file's bytes (closed once read; once `size` bytes are read, when given), hashed
    into `md5` if given; ExportCancelled as soon as `cancel` is set."""
    left = size
    with source:
        while left is None or left > 0:
            if cancel is not None and cancel.is_set():
                raise ExportCancelled("the export was interrupted")
            chunk = source.read(COPY_CHUNK if left is None else min(left, COPY_CHUNK))
            if not chunk:
                return
            if md5 is not None:
                md5.update(chunk)
            if left is not None:
                left -= len(chunk)
            yield chunk


class _TarWriter:
    """A tar stream of regular files with ustar headers (pax for a file of 8 GiB or
    more), written by hand: tarfile's work per member costs more than copying a small
    blob. `tarfile` and `tar` read it."""

    def __init__(self, out: BinaryIO, mtime: int) -> None:
        self.out = out
        self.mtime = mtime
        # A ustar header without name and size; the checksum counts its own field as spaces.
        template = bytearray(BLOCK)
        template[100:108] = b"0000644\0"
        template[108:124] = b"0000000\x000000000\0"  # uid, gid
        template[136:148] = b"%011o\0" % mtime
        template[148:156] = b" " * 8
        template[156:157] = b"0"  # a regular file
        template[257:265] = b"ustar\x0000"
        self._template, self._template_sum = bytes(template), sum(template)

    def add(self, name: str, size: int, chunks: Iterable[bytes]) -> None:
        self.out.write(self._header(name, size))
        written = 0
        for chunk in chunks:
            self.out.write(chunk)
            written += len(chunk)
        if written != size:
            raise SnapshotError(f"{name} changed size while it was being written")
        if size % BLOCK:
            self.out.write(bytes(BLOCK - size % BLOCK))

    def close(self) -> None:
        self.out.write(bytes(2 * BLOCK))

    def _header(self, name: str, size: int) -> bytes:
        if size >= USTAR_MAX_SIZE or len(name) > 100:
            info = tarfile.TarInfo(name)
            info.size, info.mtime, info.mode = size, self.mtime, 0o644
            return info.tobuf(tarfile.PAX_FORMAT)
        encoded, size_field = name.encode(), b"%011o\0" % size
        header = bytearray(self._template)
        header[0 : len(encoded)] = encoded
        header[124:136] = size_field
        checksum = self._template_sum + sum(encoded) + sum(size_field)
        header[148:156] = b"%06o\0 " % checksum
        return bytes(header)


def _file_md5(path: Path) -> str:
    md5 = hashlib.md5(usedforsecurity=False)
    with path.open("rb") as source:
        while chunk := source.read(COPY_CHUNK):
            md5.update(chunk)
    return md5.hexdigest()


def _sync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (where the platform allows opening it)."""
    with contextlib.suppress(OSError):
        fd = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


# ---------------------------------------------------------------- reading


@dataclass
class Staged:
    """A snapshot read and checked into a staging directory, its database migrated to
    this emulator's schema version: what goes into a store. The blobs are laid out as
    in a local blob store (`blobs/ab/ab...`)."""

    directory: Path
    manifest: dict[str, Any]
    database: Path
    blobs: dict[str, Path]

    @property
    def blob_root(self) -> Path:
        return self.directory / "blobs"


def file_identity(path: Path) -> tuple[int, ...]:
    """What tells one version of a snapshot file from another without reading it."""
    try:
        found = path.stat()
    except FileNotFoundError:
        raise SnapshotError(f"no such snapshot: {path}") from None
    return (found.st_dev, found.st_ino, found.st_size, found.st_mtime_ns, found.st_ctime_ns)


async def stage(archive: Path, directory: Path) -> Staged:
    """Read `archive` into `directory` (on the target store's file system), checking
    every member, and migrate its database. SnapshotError when it is refused."""
    manifest, blobs = await asyncio.to_thread(_read_archive, archive, directory)
    database = directory / DATABASE
    if manifest["database"]["schema_version"] < store.SCHEMA_VERSION:
        await store.migrate(database)
    return Staged(directory, manifest, database, blobs)


def _read_archive(archive: Path, directory: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    try:
        source = archive.open("rb")
    except (FileNotFoundError, IsADirectoryError):
        raise SnapshotError(f"no such snapshot: {archive}") from None
    with source:
        try:
            # Read in order, but through the file itself: tarfile's stream mode costs
            # about 100 us more per member.
            with tarfile.open(fileobj=source, mode="r:") as tar:
                manifest, blobs = _read_members(tar, directory)
        except (tarfile.TarError, EOFError) as exc:
            raise SnapshotError(
                f"the snapshot is truncated or not a snapshot archive: {exc}"
            ) from None
    _check_database(directory / DATABASE, manifest["database"]["schema_version"])
    return manifest, blobs


def _check_database(path: Path, schema_version: int) -> None:
    """The staged database is a SQLite database at the schema version the manifest says."""
    try:
        conn = sqlite3.connect(path)
        try:
            found = conn.execute("PRAGMA user_version").fetchone()[0]
            conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise SnapshotError(f"the snapshot's database cannot be read: {exc}") from None
    if found != schema_version:
        raise SnapshotError(
            f"the snapshot's database is at schema version {found}, its manifest says"
            f" {schema_version}"
        )


def _read_members(tar: tarfile.TarFile, directory: Path) -> tuple[dict[str, Any], dict[str, Path]]:
    first = tar.next()
    if first is None or first.name != MANIFEST or not first.isfile():
        raise SnapshotError(f"not a wandb-emulator snapshot: it does not start with {MANIFEST}")
    if first.size > MAX_MANIFEST_BYTES:
        raise SnapshotError(f"the manifest exceeds {MAX_MANIFEST_BYTES} bytes")
    manifest = check_manifest(_member_bytes(tar, first))
    expected: dict[str, dict[str, Any]] = dict(manifest["files"])
    shards: set[Path] = set()
    blobs: dict[str, Path] = {}
    while (member := tar.next()) is not None:
        listed = expected.pop(member.name, None)
        if listed is None:
            raise SnapshotError(f"the snapshot holds {member.name!r}, which its manifest lacks")
        if not member.isfile():
            raise SnapshotError(f"{member.name} is not a regular file in the snapshot")
        if member.size != listed.get("size", member.size):
            raise SnapshotError(
                f"{member.name}: {member.size} bytes, the manifest says {listed['size']}"
            )
        path = directory / member.name  # a name check_manifest accepted
        if path.parent not in shards and member.name != DATABASE:
            path.parent.mkdir(parents=True, exist_ok=True)
            shards.add(path.parent)
        if _copy_member(tar, member, path) != listed["md5"]:
            raise SnapshotError(f"checksum mismatch: {member.name} is not what the manifest says")
        if member.name != DATABASE:
            blobs[path.name] = path
    if expected:
        missing = ", ".join(sorted(expected)[:3])
        raise SnapshotError(
            f"the snapshot is truncated: {len(expected)} file(s) missing ({missing})"
        )
    return manifest, blobs


def _member_bytes(tar: tarfile.TarFile, member: tarfile.TarInfo) -> bytes:
    source = tar.extractfile(member)
    assert source is not None
    data = source.read()
    if len(data) != member.size:
        raise SnapshotError("the snapshot is truncated")
    return data


def _copy_member(tar: tarfile.TarFile, member: tarfile.TarInfo, path: Path) -> str:
    """Copy a member's bytes to `path`; their MD5."""
    source = tar.extractfile(member)
    assert source is not None
    md5 = hashlib.md5(usedforsecurity=False)
    copied = 0
    with path.open("wb") as out:
        while chunk := source.read(COPY_CHUNK):
            md5.update(chunk)
            out.write(chunk)
            copied += len(chunk)
    if copied != member.size:
        raise SnapshotError(f"the snapshot is truncated in {member.name}")
    return md5.hexdigest()


def check_manifest(data: bytes) -> dict[str, Any]:
    """The manifest, if this emulator can read the snapshot it describes."""
    try:
        manifest = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SnapshotError(f"the snapshot's manifest is not JSON: {exc}") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SnapshotError("not a wandb-emulator snapshot: unknown format")
    version = manifest.get("format_version")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise SnapshotError(f"unknown snapshot format version {version!r}")
    if version > FORMAT_VERSION:
        raise SnapshotError(
            f"the snapshot's format version {version} is newer than this emulator reads"
            f" ({FORMAT_VERSION}; written by wandb-emulator {manifest.get('emulator_version')}):"
            " upgrade wandb-emulator"
        )
    schema = (manifest.get("database") or {}).get("schema_version")
    if not isinstance(schema, int) or isinstance(schema, bool) or schema < 1:
        raise SnapshotError(f"malformed manifest: schema version {schema!r}")
    if schema > store.SCHEMA_VERSION:
        raise SnapshotError(
            f"the snapshot's database schema version {schema} is newer than this emulator's"
            f" ({store.SCHEMA_VERSION}): upgrade wandb-emulator"
        )
    _check_files(manifest.get("files"))
    return manifest


def _check_files(files: Any) -> None:
    if not isinstance(files, dict) or DATABASE not in files:
        raise SnapshotError(f"malformed manifest: no {DATABASE} among its files")
    for name, entry in files.items():
        size = entry.get("size", 0) if isinstance(entry, dict) else None
        md5 = entry.get("md5") if isinstance(entry, dict) else None
        if not isinstance(size, int) or size < 0 or not isinstance(md5, str):
            raise SnapshotError(f"malformed manifest entry for {name!r}")
        blob = _BLOB_MEMBER.fullmatch(name)
        if name != DATABASE and not (blob and blob.group(2).startswith(blob.group(1))):
            raise SnapshotError(f"malformed manifest: unexpected file name {name!r}")
        if not _MD5.fullmatch(md5) or (blob and md5 != blob.group(2)):
            raise SnapshotError(f"malformed manifest: bad MD5 for {name!r}")


# ---------------------------------------------------------------- into a store


async def restore_into(db: Database, blobs: BlobStore, staged: Staged) -> None:
    """Make the store's state the staged snapshot's: its blobs first (extra blobs are
    harmless), then every row in one transaction (the point where the state changes),
    then the blobs the snapshot does not hold are deleted."""
    local = local_store(blobs)
    for key, path in staged.blobs.items():
        local.adopt(key, path)
    await store.replace_contents(db, staged.database)
    await local.collect(Referenced(frozenset(staged.blobs)), 0.0)


async def import_snapshot(config: Config, archive: Path, *, replace: bool) -> dict[str, Any]:
    """Import `archive` into the stores `config` names, which no server in this process
    serves (the `import` command, `serve --import`): into empty ones, or over full ones
    with `replace`. Nothing is written when the snapshot is refused. Its manifest."""
    db = storage.database(config)
    sqlite_file = db.sqlite_file
    if sqlite_file is not None and not sqlite_file.exists():
        return await _import_into_new_file(config, archive, sqlite_file)
    if not replace and await db.holds_data():
        where = config.data_dir if sqlite_file is not None else "the database"
        raise SnapshotError(
            f"{where} already holds emulator data: import into an empty data directory or"
            " database, or pass --replace to overwrite it"
        )
    with _staging_directory(config.data_dir) as directory:
        staged = await stage(archive, directory)
        await db.open()
        try:
            await restore_into(db, storage.blob_store(config), staged)
        finally:
            await db.close()
        return staged.manifest


async def _import_into_new_file(config: Config, archive: Path, database: Path) -> dict[str, Any]:
    """A fresh SQLite store: the blobs, then the database file (the commit point)."""
    database.parent.mkdir(parents=True, exist_ok=True)
    with _staging_directory(database.parent) as directory:
        staged = await stage(archive, directory)
        local_store(storage.blob_store(config)).adopt_store(staged.blob_root, staged.blobs)
        os.replace(staged.database, database)
        _sync_directory(database.parent)
        return staged.manifest


@contextlib.contextmanager
def _staging_directory(parent: Path) -> Iterator[Path]:
    """A directory on the stores' file system (so staged files move by rename), removed
    with whatever is left in it."""
    parent.mkdir(parents=True, exist_ok=True)
    directory = Path(tempfile.mkdtemp(prefix=".import-", dir=parent))
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


async def export_data_dir(
    config: Config, target: Path, *, cancel: threading.Event | None = None
) -> dict[str, Any]:
    """Write a snapshot of the stores `config` names (a server may be serving them)."""
    return await export_snapshot(
        storage.database(config), storage.blob_store(config), target, cancel=cancel
    )


def download_name() -> str:
    """The file name a snapshot taken now is offered under."""
    return time.strftime("wandb-emulator-%Y%m%d-%H%M%S.tar", time.gmtime())


def summary(manifest: dict[str, Any]) -> str:
    """One line about a snapshot: what it holds."""
    counts = manifest["counts"]
    tables = counts["tables"]
    kinds = (("users", "users"), ("projects", "projects"), ("artifacts", "versions"))
    held = ", ".join(f"{tables.get(table, 0)} {label}" for table, label in kinds)
    return f"{held}, {counts['blobs']} blobs"
