"""Snapshots that cannot be imported are refused with a clear error and nothing written:
truncated, a checksum mismatch, a newer or unknown format or schema, a member the
manifest lacks, a full target without --replace. A database at an older schema
version is migrated on import."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import sys
import tarfile
from collections.abc import Callable
from pathlib import Path

import pytest
import wandb

from wandb_emulator.blobs import LocalBlobStore
from wandb_emulator.snapshots import DATABASE, MANIFEST, _write_archive
from wandb_emulator.store.migrations import MIGRATIONS, SCHEMA_VERSION
from wandb_emulator.testing import RunningEmulator

CONTENT = b"the bytes of a file" * 1000


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wandb_emulator", *args], capture_output=True, text=True, timeout=120
    )


@pytest.fixture(scope="module")
def good(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A snapshot with a user and a stored blob."""
    root = tmp_path_factory.mktemp("good")
    with RunningEmulator(root / "data") as emulator:
        emulator.new_user()
        emulator.call(_store_blob(emulator))
        emulator.snapshot(root / "good.tar")
    return root / "good.tar"


async def _store_blob(emulator: RunningEmulator) -> None:
    """A run file's bytes, so that the snapshot holds a blob."""
    key = (await emulator.emulator.blobs.put(CONTENT)).key
    async with emulator.emulator.db.write() as conn:
        user = await conn.row("SELECT id, entity_id FROM users ORDER BY id DESC LIMIT 1")
        assert user is not None
        now = "2024-01-01T00:00:00"
        project = await conn.run_returning(
            "INSERT INTO projects (entity_id, name, created_at, updated_at) VALUES (?, 'p', ?, ?)"
            " RETURNING id",
            (user[1], now, now),
        )
        assert project is not None
        run = await conn.run_returning(
            "INSERT INTO runs (project_id, name, state, user_id, created_at, updated_at,"
            " heartbeat_at) VALUES (?, 'r', 'finished', ?, ?, ?, ?) RETURNING id",
            (project[0], user[0], now, now, now),
        )
        assert run is not None
        await conn.run(
            "INSERT INTO run_files (run_id, name, blob_key, size, updated_at)"
            " VALUES (?, 'output.log', ?, ?, ?)",
            (run[0], key, len(CONTENT), now),
        )


def rewritten(
    source: Path,
    target: Path,
    manifest: Callable[[dict], dict] = lambda m: m,
    member: Callable[[str, bytes], bytes] = lambda name, data: data,
    extra: tuple[str, bytes] | None = None,
) -> Path:
    """A copy of a snapshot with its manifest and members changed."""
    with tarfile.open(source) as tar, tarfile.open(target, "w") as out:
        for info in tar.getmembers():
            data = tar.extractfile(info).read()  # type: ignore[union-attr]
            if info.name == MANIFEST:
                data = json.dumps(manifest(json.loads(data))).encode()
            else:
                data = member(info.name, data)
            info.size = len(data)
            out.addfile(info, io.BytesIO(data))
        if extra is not None:
            info = tarfile.TarInfo(extra[0])
            info.size = len(extra[1])
            out.addfile(info, io.BytesIO(extra[1]))
    return target


def flip_blob_byte(name: str, data: bytes) -> bytes:
    return data[:10] + bytes([data[10] ^ 1]) + data[11:] if name.startswith("blobs/") else data


def _set(path: str, value: object) -> Callable[[dict], dict]:
    def change(manifest: dict) -> dict:
        *parents, last = path.split(".")
        node = manifest
        for key in parents:
            node = node[key]
        node[last] = value
        return manifest

    return change


BAD = {
    "truncated": (lambda good, t: _truncated(good, t), "truncated"),
    "checksum": (lambda good, t: rewritten(good, t, member=flip_blob_byte), "checksum mismatch"),
    "newer format": (
        lambda good, t: rewritten(good, t, manifest=_set("format_version", 2)),
        "format version 2 is newer",
    ),
    "unknown format": (
        lambda good, t: rewritten(good, t, manifest=_set("format", "tarball")),
        "unknown format",
    ),
    "newer schema": (
        lambda good, t: rewritten(
            good, t, manifest=_set("database.schema_version", SCHEMA_VERSION + 1)
        ),
        f"schema version {SCHEMA_VERSION + 1} is newer",
    ),
    "extra member": (
        lambda good, t: rewritten(good, t, extra=("evil/../../x", b"x")),
        "which its manifest lacks",
    ),
    "not an archive": (lambda good, t: _write(t, b"no tar here" * 100), "not a snapshot archive"),
}


def _truncated(good: Path, target: Path) -> Path:
    """Cut in the middle of the blob's bytes."""
    with tarfile.open(good) as tar:
        [blob] = [m for m in tar.getmembers() if m.name.startswith("blobs/")]
    return _write(target, good.read_bytes()[: blob.offset_data + blob.size // 2])


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


@pytest.mark.parametrize("case", sorted(BAD))
def test_a_bad_snapshot_is_refused_and_nothing_is_written(
    good: Path, tmp_path: Path, case: str
) -> None:
    make, message = BAD[case]
    archive = make(good, tmp_path / "bad.tar")
    target = tmp_path / "fresh"
    refused = cli("import", str(archive), "--data-dir", str(target))
    assert refused.returncode == 2
    assert message in refused.stderr
    assert not target.exists() or list(target.iterdir()) == []


def test_a_bad_snapshot_leaves_a_full_data_dir_as_it_was(good: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    assert cli("import", str(good), "--data-dir", str(data_dir)).returncode == 0
    before = _fingerprint(data_dir)
    archive = rewritten(good, tmp_path / "bad.tar", member=flip_blob_byte)
    refused = cli("import", str(archive), "--data-dir", str(data_dir), "--replace")
    assert refused.returncode == 2 and "checksum mismatch" in refused.stderr
    assert _fingerprint(data_dir) == before


def _fingerprint(data_dir: Path) -> dict[str, object]:
    with sqlite3.connect(data_dir / "emulator.sqlite3") as conn:
        users = conn.execute("SELECT username FROM users ORDER BY id").fetchall()
    blobs = sorted(p.name for p in (data_dir / "blobs").rglob("*") if p.is_file())
    return {"users": users, "blobs": blobs, "entries": sorted(p.name for p in data_dir.iterdir())}


def test_a_full_data_dir_needs_replace(good: Path, tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    with RunningEmulator(data_dir) as emulator:  # the default seed: not empty any more
        default_user = emulator.emulator.default_user_key()
    refused = cli("import", str(good), "--data-dir", str(data_dir))
    assert refused.returncode == 2 and "--replace" in refused.stderr
    replaced = cli("import", str(good), "--data-dir", str(data_dir), "--replace")
    assert replaced.returncode == 0, replaced.stderr
    with RunningEmulator(data_dir) as emulator:
        users = emulator.call(_usernames(emulator))
    assert len(users) == 2 and default_user is not None


async def _usernames(emulator: RunningEmulator) -> list[str]:
    async with emulator.emulator.db.read() as conn:
        return [row[0] for row in await conn.rows("SELECT username FROM users")]


def test_an_older_schema_is_migrated_on_import(tmp_path: Path) -> None:
    """A database at schema version 5, as an emulator of that time wrote it."""
    old = tmp_path / DATABASE
    with sqlite3.connect(old) as conn:
        for _version, sql in MIGRATIONS[:5]:
            conn.executescript(sql)
        conn.executescript(
            "INSERT INTO entities VALUES (1, 'old-user', 'USER', NULL, '2024-01-01');"
            "INSERT INTO users (id, username, name, entity_id, default_entity_id, created_at)"
            " VALUES (1, 'old-user', 'Old', 1, 1, '2024-01-01');"
            f"INSERT INTO api_keys (user_id, key, created_at) VALUES (1, '{'k' * 40}', 'x');"
            "PRAGMA user_version = 5;"
        )
    conn.close()
    archive = tmp_path / "old.tar"
    counts = {"users": 1}
    _write_archive(archive, old, 5, counts, LocalBlobStore(tmp_path / "no-blobs"), [], None)
    imported = cli("import", str(archive), "--data-dir", str(tmp_path / "data"))
    assert imported.returncode == 0, imported.stderr
    with sqlite3.connect(tmp_path / "data" / "emulator.sqlite3") as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master")}
    conn.close()
    assert "artifact_outputs" in tables  # migration 6
    with RunningEmulator(tmp_path / "data") as emulator:
        api = wandb.Api(api_key="k" * 40, overrides={"base_url": emulator.base_url})
        assert api.viewer.username == "old-user"
