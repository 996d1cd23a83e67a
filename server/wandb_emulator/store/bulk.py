"""Bulk creation of committed versions and collections, for benchmarks and scale tests.

Rows are written with `executemany` inside the caller's write transaction: the same
tables and invariants as the one-at-a-time path (gap-free version indexes per
collection, a `latest` alias on the newest version), thousands of times faster.
"""

from __future__ import annotations

from ..blobs import BlobStore, md5_hex_to_b64
from ..records import CollectionKind, CollectionRec, utc_now
from . import artifacts
from ._sql import execute, fetch_column
from .database import Conn


async def add_collections(
    conn: Conn,
    project_id: int,
    type_name: str,
    names: list[str],
    kind: CollectionKind = "PORTFOLIO",
) -> None:
    """Empty collections `names` of one type in a project."""
    artifact_type = await artifacts.ensure_artifact_type(conn, project_id, type_name)
    now = utc_now()
    await conn.run_many(
        "INSERT INTO artifact_collections (project_id, type_id, name, kind, created_at,"
        " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
        [(project_id, artifact_type.id, name, kind, now, now) for name in names],
    )


async def _collection(
    conn: Conn, project_id: int, type_name: str, name: str, kind: CollectionKind
) -> CollectionRec:
    artifact_type = await artifacts.ensure_artifact_type(conn, project_id, type_name)
    found = await artifacts.collection_by_name(conn, project_id, name)
    if found is not None:
        return found
    return await artifacts.create_collection(conn, project_id, artifact_type.id, name, kind)


async def _add_memberships(
    conn: Conn, collection: CollectionRec, artifact_ids: list[int], now: str
) -> None:
    first = collection.next_version
    await conn.run_many(
        "INSERT INTO artifact_memberships (collection_id, artifact_id, version_index, created_at)"
        " VALUES (?, ?, ?, ?)",
        [(collection.id, aid, first + i, now) for i, aid in enumerate(artifact_ids)],
    )
    await execute(
        conn,
        "UPDATE artifact_collections SET next_version = ?, updated_at = ? WHERE id = ?",
        (first + len(artifact_ids), now, collection.id),
    )
    await artifacts.set_alias(conn, collection.id, artifact_ids[-1], artifacts.LATEST)


async def linked_versions(
    conn: Conn,
    *,
    source_project_id: int,
    registry_project_id: int,
    type_name: str,
    sequence_name: str,
    portfolio_name: str,
    count: int,
    user_id: int,
    aliases: dict[int, str] | None = None,
) -> CollectionRec:
    """`count` committed versions of a new sequence, each linked into a registry portfolio.

    `aliases` maps version indexes to an alias set on that version in the portfolio.
    Returns the portfolio.
    """
    sequence = await _collection(conn, source_project_id, type_name, sequence_name, "SEQUENCE")
    portfolio = await _collection(conn, registry_project_id, type_name, portfolio_name, "PORTFOLIO")
    now = utc_now()
    await conn.run_many(
        "INSERT INTO artifacts (sequence_id, type_id, digest, state, size, file_count,"
        " created_by_user_id, created_at, updated_at)"
        " VALUES (?, ?, ?, 'COMMITTED', ?, 0, ?, ?, ?)",
        [
            (sequence.id, sequence.type_id, f"bulk-{sequence.id}-{i}", i, user_id, now, now)
            for i in range(count)
        ],
    )
    artifact_ids = await fetch_column(
        conn,
        "SELECT id FROM artifacts WHERE sequence_id = ? ORDER BY id DESC LIMIT ?",
        (sequence.id, count),
    )
    artifact_ids.reverse()
    await _add_memberships(conn, sequence, artifact_ids, now)
    await _add_memberships(conn, portfolio, artifact_ids, now)
    for index, alias in (aliases or {}).items():
        await artifacts.set_alias(
            conn, portfolio.id, artifact_ids[index - portfolio.next_version], alias
        )
    return portfolio


async def add_a_file_to_each_version(conn: Conn, blobs: BlobStore, size: int) -> int:
    """Give every version without files one stored file (`file.bin`, `size` bytes of its
    own): the bytes a snapshot of the bulk-built data has to carry. The files added."""
    ids = await fetch_column(
        conn,
        "SELECT id FROM artifacts a WHERE NOT EXISTS"
        " (SELECT 1 FROM artifact_files f WHERE f.artifact_id = a.id) ORDER BY id",
    )
    rows = []
    now = utc_now()
    for artifact_id in ids:
        pattern = f"version {artifact_id} ".encode()
        data = (pattern * (size // len(pattern) + 1))[:size]
        key = (await blobs.put(data)).key
        rows.append((artifact_id, md5_hex_to_b64(key), len(data), key, now))
    await conn.run_many(
        "INSERT INTO artifact_files (artifact_id, name, md5, size, blob_key, updated_at)"
        " VALUES (?, 'file.bin', ?, ?, ?, ?)",
        rows,
    )
    await execute(
        conn,
        f"UPDATE artifacts SET file_count = 1, size = {int(size)}"
        " WHERE id IN (SELECT artifact_id FROM artifact_files)",
    )
    return len(rows)
