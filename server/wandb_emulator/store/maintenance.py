"""Housekeeping queries: abandoned uploads and the blob keys still in use."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from ._sql import execute, fetch_column, placeholders
from .database import Conn


def cutoff(max_age_seconds: float) -> str:
    """The timestamp (in the store's format) `max_age_seconds` ago."""
    moment = datetime.now(timezone.utc) - timedelta(seconds=max_age_seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


async def pending_artifacts_before(conn: Conn, timestamp: str) -> list[int]:
    """PENDING (never committed) versions untouched since `timestamp`."""
    return await fetch_column(
        conn,
        "SELECT id FROM artifacts WHERE state = 'PENDING' AND updated_at <= ? ORDER BY id",
        (timestamp,),
    )


async def delete_artifacts(conn: Conn, ids: list[int]) -> None:
    """Remove rows outright (files, memberships and uploads cascade)."""
    if ids:
        await execute(conn, f"DELETE FROM artifacts WHERE id IN ({placeholders(ids)})", ids)


async def delete_empty_sequences(conn: Conn, candidates: list[int]) -> None:
    """Drop the given source collections if no version at all is left in them."""
    if candidates:
        await execute(
            conn,
            f"DELETE FROM artifact_collections WHERE id IN ({placeholders(candidates)})"
            " AND kind = 'SEQUENCE'"
            " AND NOT EXISTS (SELECT 1 FROM artifacts a"
            " WHERE a.sequence_id = artifact_collections.id)",
            candidates,
        )


async def sequences_of(conn: Conn, ids: list[int]) -> list[int]:
    if not ids:
        return []
    return await fetch_column(
        conn, f"SELECT DISTINCT sequence_id FROM artifacts WHERE id IN ({placeholders(ids)})", ids
    )


async def referenced_blob_keys(conn: Conn) -> set[str]:
    """Blob keys something still points at: files and manifests of versions that are
    not deleted, run files, and the parts the emulator received for unfinished
    multipart uploads."""
    keys = set(
        await fetch_column(
            conn,
            "SELECT f.blob_key FROM artifact_files f JOIN artifacts a ON a.id = f.artifact_id"
            " WHERE a.state != 'DELETED' AND f.blob_key IS NOT NULL"
            " UNION SELECT manifest_blob_key FROM artifacts"
            " WHERE state != 'DELETED' AND manifest_blob_key IS NOT NULL"
            " UNION SELECT blob_key FROM run_files WHERE blob_key IS NOT NULL",
        )
    )
    for parts in await fetch_column(conn, "SELECT parts FROM multipart_uploads"):
        keys.update(str(key) for key in json.loads(parts).values())
    return keys


async def referenced_paths(conn: Conn) -> set[str]:
    """Objects something points at by path: files and manifests of versions that are
    not deleted, run files, and manifest uploads not read yet."""
    return set(
        await fetch_column(
            conn,
            "SELECT f.storage_path FROM artifact_files f JOIN artifacts a"
            " ON a.id = f.artifact_id WHERE a.state != 'DELETED' AND f.storage_path IS NOT NULL"
            " UNION SELECT manifest_path FROM artifacts"
            " WHERE state != 'DELETED' AND manifest_path IS NOT NULL"
            " UNION SELECT storage_path FROM run_files WHERE storage_path IS NOT NULL"
            " UNION SELECT path FROM manifest_uploads",
        )
    )


async def multipart_upload_ids(conn: Conn) -> set[str]:
    return set(await fetch_column(conn, "SELECT id FROM multipart_uploads"))


async def blob_objects(conn: Conn) -> list[tuple[str, str, str]]:
    """Every recorded content object: (blob key, path, created at)."""
    rows = await conn.rows("SELECT blob_key, path, created_at FROM blob_objects")
    return [(str(key), str(path), str(created)) for key, path, created in rows]


async def forget_blob_objects(conn: Conn, keys: list[str]) -> None:
    if keys:
        await execute(
            conn, f"DELETE FROM blob_objects WHERE blob_key IN ({placeholders(keys)})", keys
        )


async def pending_file_md5s(conn: Conn) -> list[str]:
    """The MD5s (base64, as announced) of files of versions still being uploaded."""
    return await fetch_column(
        conn,
        "SELECT DISTINCT f.md5 FROM artifact_files f JOIN artifacts a ON a.id = f.artifact_id"
        " WHERE a.state = 'PENDING'",
    )
