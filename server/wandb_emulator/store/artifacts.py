"""Artifact types, collections (sequences and portfolios), versions, memberships,
aliases, tags, files and usage.

Version indexes come from a per-collection counter bumped inside the caller's write
transaction, so they are gap-free and never reused. The `latest` alias is a real
alias row, moved whenever the newest membership of a collection changes.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from ..records import (
    AliasRec,
    ArtifactFileRec,
    ArtifactRec,
    ArtifactTypeRec,
    CollectionKind,
    CollectionRec,
    MembershipRec,
    MultipartRec,
    TagRec,
    utc_now,
)
from ._sql import (
    execute,
    fetch_all,
    fetch_column,
    fetch_one,
    fetch_value,
    insert,
    placeholders,
    write_one,
)
from .database import Conn
from .errors import Conflict, IntegrityError
from .listing import Listing, Where, columns

LATEST = "latest"

# ------------------------------------------------------------------- types


async def artifact_type_by_name(conn: Conn, project_id: int, name: str) -> ArtifactTypeRec | None:
    return await fetch_one(
        conn,
        ArtifactTypeRec,
        "SELECT * FROM artifact_types WHERE project_id = ? AND name = ?",
        (project_id, name),
    )


async def artifact_types_by_ids(conn: Conn, ids: list[int]) -> dict[int, ArtifactTypeRec]:
    if not ids:
        return {}
    rows = await fetch_all(
        conn,
        ArtifactTypeRec,
        f"SELECT * FROM artifact_types WHERE id IN ({placeholders(ids)})",
        ids,
    )
    return {row.id: row for row in rows}


async def artifact_type_name(conn: Conn, type_id: int) -> str:
    return (await artifact_types_by_ids(conn, [type_id]))[type_id].name


async def ensure_artifact_type(
    conn: Conn, project_id: int, name: str, description: str | None = None
) -> ArtifactTypeRec:
    await execute(
        conn,
        "INSERT INTO artifact_types (project_id, name, description, created_at)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (project_id, name)"
        " DO UPDATE SET description = COALESCE(excluded.description, artifact_types.description)",
        (project_id, name, description, utc_now()),
    )
    found = await artifact_type_by_name(conn, project_id, name)
    assert found is not None
    return found


# ------------------------------------------------------------- collections


async def collection_by_id(conn: Conn, collection_id: int) -> CollectionRec | None:
    return await fetch_one(
        conn, CollectionRec, "SELECT * FROM artifact_collections WHERE id = ?", (collection_id,)
    )


async def collections_by_ids(conn: Conn, ids: list[int]) -> dict[int, CollectionRec]:
    if not ids:
        return {}
    rows = await fetch_all(
        conn,
        CollectionRec,
        f"SELECT * FROM artifact_collections WHERE id IN ({placeholders(ids)})",
        ids,
    )
    return {row.id: row for row in rows}


async def collection_by_name(conn: Conn, project_id: int, name: str) -> CollectionRec | None:
    return await fetch_one(
        conn,
        CollectionRec,
        "SELECT * FROM artifact_collections WHERE project_id = ? AND name = ?",
        (project_id, name),
    )


async def collection_by_client_id(conn: Conn, client_id: str) -> CollectionRec | None:
    return await fetch_one(
        conn, CollectionRec, "SELECT * FROM artifact_collections WHERE client_id = ?", (client_id,)
    )


async def collections_of_projects(
    conn: Conn, project_ids: list[int], kinds: Iterable[CollectionKind], type_id: int | None = None
) -> list[CollectionRec]:
    kinds = list(kinds)
    if not project_ids or not kinds:
        return []
    sql = (
        f"SELECT * FROM artifact_collections WHERE project_id IN ({placeholders(project_ids)})"
        f" AND kind IN ({placeholders(kinds)})"
    )
    params: list[object] = [*project_ids, *kinds]
    if type_id is not None:
        sql += " AND type_id = ?"
        params.append(type_id)
    return await fetch_all(conn, CollectionRec, sql + " ORDER BY id", params)


async def create_collection(
    conn: Conn,
    project_id: int,
    type_id: int,
    name: str,
    kind: CollectionKind,
    *,
    description: str | None = None,
    client_id: str | None = None,
) -> CollectionRec:
    now = utc_now()
    try:
        collection_id = await insert(
            conn,
            "INSERT INTO artifact_collections (project_id, type_id, name, kind, description,"
            " client_id, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (project_id, type_id, name, kind, description, client_id, now, now),
        )
    except IntegrityError as exc:
        raise Conflict(f"an artifact collection named {name!r} already exists") from exc
    created = await collection_by_id(conn, collection_id)
    assert created is not None
    return created


async def update_collection(
    conn: Conn, collection: CollectionRec, *, name: str | None, description: str | None
) -> None:
    renamed = name is not None and name != collection.name
    if name is not None and renamed and await collection_by_name(conn, collection.project_id, name):
        raise Conflict(f"an artifact collection named {name!r} already exists")
    await execute(
        conn,
        "UPDATE artifact_collections SET name = COALESCE(?, name),"
        " description = COALESCE(?, description), updated_at = ? WHERE id = ?",
        (name, description, utc_now(), collection.id),
    )


async def move_collection_type(conn: Conn, collection: CollectionRec, type_id: int) -> None:
    await execute(
        conn,
        "UPDATE artifact_collections SET type_id = ?, updated_at = ? WHERE id = ?",
        (type_id, utc_now(), collection.id),
    )
    await execute(
        conn, "UPDATE artifacts SET type_id = ? WHERE sequence_id = ?", (type_id, collection.id)
    )


async def delete_collection(conn: Conn, collection: CollectionRec) -> None:
    if collection.kind == "SEQUENCE":
        await execute(
            conn,
            "UPDATE artifacts SET state = 'DELETED', updated_at = ? WHERE sequence_id = ?",
            (utc_now(), collection.id),
        )
        await _drop_links_of_sequence(conn, collection.id)
    await execute(conn, "DELETE FROM artifact_collections WHERE id = ?", (collection.id,))


async def _drop_links_of_sequence(conn: Conn, sequence_id: int) -> None:
    """Deleted source versions leave every portfolio they were linked into."""
    affected = await fetch_all(
        conn,
        MembershipRec,
        "SELECT m.* FROM artifact_memberships m JOIN artifacts a ON a.id = m.artifact_id"
        " WHERE a.sequence_id = ? AND m.collection_id != ?",
        (sequence_id, sequence_id),
    )
    for membership in affected:
        await remove_membership(conn, membership)


_TIMES = columns("c", "created_at", "updated_at")

COLLECTIONS = Listing(
    record=CollectionRec,
    source="artifact_collections c",
    columns="c.*",
    id_column="c.id",
    sorts={"name": "c.name", **_TIMES, "id": "c.id"},
    default_sort="id",
    fields={
        **dict.fromkeys(("name", "collection_name", "artifact_collection_name"), "c.name"),
        **dict.fromkeys(("artifact_collection_id", "collection_id"), "c.id"),
        "type": "(SELECT t.name FROM artifact_types t WHERE t.id = c.type_id)",
        **_TIMES,
    },
)


def collections_where(
    project_ids: list[int] | Where, kinds: Iterable[CollectionKind], type_id: int | None = None
) -> Where:
    """The collections of these kinds (and type) in these projects, as a listing scope."""
    where = Where.member("c.project_id", project_ids) & Where.member("c.kind", list(kinds))
    return where if type_id is None else where & Where("c.type_id = ?", (type_id,))


# --------------------------------------------------------------- artifacts


async def artifact_by_id(conn: Conn, artifact_id: int) -> ArtifactRec | None:
    return await fetch_one(
        conn, ArtifactRec, "SELECT * FROM artifacts WHERE id = ?", (artifact_id,)
    )


async def artifacts_by_ids(conn: Conn, ids: list[int]) -> dict[int, ArtifactRec]:
    if not ids:
        return {}
    rows = await fetch_all(
        conn, ArtifactRec, f"SELECT * FROM artifacts WHERE id IN ({placeholders(ids)})", ids
    )
    return {row.id: row for row in rows}


async def artifact_by_client_id(conn: Conn, client_id: str) -> ArtifactRec | None:
    return await fetch_one(
        conn,
        ArtifactRec,
        "SELECT * FROM artifacts WHERE client_id = ? ORDER BY id DESC",
        (client_id,),
    )


async def committed_with_digest(conn: Conn, sequence_id: int, digest: str) -> ArtifactRec | None:
    return await fetch_one(
        conn,
        ArtifactRec,
        "SELECT * FROM artifacts WHERE sequence_id = ? AND digest = ? AND state = 'COMMITTED'"
        " ORDER BY id DESC LIMIT 1",
        (sequence_id, digest),
    )


async def pending_distributed(
    conn: Conn, sequence_id: int, distributed_id: str
) -> ArtifactRec | None:
    """The pending version the runs of a distributed artifact write into."""
    return await fetch_one(
        conn,
        ArtifactRec,
        "SELECT * FROM artifacts WHERE sequence_id = ? AND distributed_id = ?"
        " AND state = 'PENDING' ORDER BY id DESC LIMIT 1",
        (sequence_id, distributed_id),
    )


async def create_artifact(
    conn: Conn,
    sequence: CollectionRec,
    *,
    digest: str,
    description: str | None,
    metadata: str | None,
    client_id: str | None,
    run_id: int | None,
    user_id: int,
    history_step: int | None,
    ttl_duration_seconds: int | None,
    aliases: list[str],
    distributed_id: str | None = None,
) -> ArtifactRec:
    now = utc_now()
    return await write_one(
        conn,
        ArtifactRec,
        "INSERT INTO artifacts (sequence_id, type_id, digest, description, metadata, state,"
        " client_id, created_by_run_id, created_by_user_id, history_step, ttl_duration_seconds,"
        " pending_aliases, distributed_id, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, 'PENDING', ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
        (
            sequence.id,
            sequence.type_id,
            digest,
            description,
            metadata,
            client_id,
            run_id,
            user_id,
            history_step,
            -1 if ttl_duration_seconds is None else ttl_duration_seconds,
            json.dumps(aliases),
            distributed_id,
            now,
            now,
        ),
    )


async def set_manifest(
    conn: Conn,
    artifact_id: int,
    *,
    manifest_type: str | None = None,
    digest: str | None = None,
    blob_key: str | None = None,
    base_artifact_id: int | None = None,
) -> None:
    await execute(
        conn,
        "UPDATE artifacts SET manifest_type = COALESCE(?, manifest_type),"
        " manifest_digest = COALESCE(?, manifest_digest),"
        " manifest_blob_key = COALESCE(?, manifest_blob_key),"
        " base_artifact_id = COALESCE(?, base_artifact_id) WHERE id = ?",
        (manifest_type, digest, blob_key, base_artifact_id, artifact_id),
    )


async def commit_artifact(
    conn: Conn, artifact: ArtifactRec, size: int, file_count: int
) -> tuple[ArtifactRec, MembershipRec]:
    """Make a pending version visible: next version of its sequence, its aliases, latest.
    The committed version and its membership in its sequence."""
    committed = await write_one(
        conn,
        ArtifactRec,
        "UPDATE artifacts SET state = 'COMMITTED', size = ?, file_count = ?, updated_at = ?"
        " WHERE id = ? RETURNING *",
        (size, file_count, utc_now(), artifact.id),
    )
    sequence = await collection_by_id(conn, artifact.sequence_id)
    assert sequence is not None
    membership = await add_membership(conn, sequence, artifact.id)
    for alias in json.loads(artifact.pending_aliases):
        await set_alias(conn, sequence.id, artifact.id, alias)
    return committed, membership


async def update_artifact(
    conn: Conn,
    artifact_id: int,
    *,
    description: str | None,
    metadata: str | None,
    ttl_duration_seconds: int | None,
) -> None:
    await execute(
        conn,
        "UPDATE artifacts SET description = COALESCE(?, description),"
        " metadata = COALESCE(?, metadata),"
        " ttl_duration_seconds = COALESCE(?, ttl_duration_seconds), updated_at = ? WHERE id = ?",
        (description, metadata, ttl_duration_seconds, utc_now(), artifact_id),
    )


async def delete_artifact(conn: Conn, artifact: ArtifactRec) -> None:
    """Soft-delete a version: it leaves every collection; its index is never reused."""
    await execute(
        conn,
        "UPDATE artifacts SET state = 'DELETED', updated_at = ? WHERE id = ?",
        (utc_now(), artifact.id),
    )
    for membership in await memberships_of_artifact(conn, artifact.id, include_deleted=True):
        await remove_membership(conn, membership)


# ------------------------------------------------------------- memberships

_VISIBLE = "JOIN artifacts a ON a.id = m.artifact_id AND a.state = 'COMMITTED'"


async def add_membership(conn: Conn, collection: CollectionRec, artifact_id: int) -> MembershipRec:
    """The artifact's membership in the collection, created with the next version if new."""
    existing = await membership_of(conn, collection.id, artifact_id)
    if existing is not None:
        return existing
    now = utc_now()
    taken = await conn.run_returning(
        "UPDATE artifact_collections SET next_version = next_version + 1, updated_at = ?"
        " WHERE id = ? RETURNING next_version - 1",
        (now, collection.id),
    )
    assert taken is not None
    created = await write_one(
        conn,
        MembershipRec,
        "INSERT INTO artifact_memberships (collection_id, artifact_id, version_index, created_at)"
        " VALUES (?, ?, ?, ?) RETURNING *",
        (collection.id, artifact_id, taken[0], now),
    )
    await set_alias(conn, collection.id, artifact_id, LATEST)
    return created


async def remove_membership(conn: Conn, membership: MembershipRec) -> None:
    await execute(conn, "DELETE FROM artifact_memberships WHERE id = ?", (membership.id,))
    await execute(
        conn,
        "DELETE FROM artifact_aliases WHERE collection_id = ? AND artifact_id = ?",
        (membership.collection_id, membership.artifact_id),
    )
    await _repoint_latest(conn, membership.collection_id)


async def _repoint_latest(conn: Conn, collection_id: int) -> None:
    newest = await fetch_value(
        conn,
        f"SELECT m.artifact_id FROM artifact_memberships m {_VISIBLE}"
        " WHERE m.collection_id = ? ORDER BY m.version_index DESC LIMIT 1",
        (collection_id,),
    )
    if newest is None:
        await execute(
            conn,
            "DELETE FROM artifact_aliases WHERE collection_id = ? AND alias = ?",
            (collection_id, LATEST),
        )
    else:
        await set_alias(conn, collection_id, newest, LATEST)


async def membership_by_id(conn: Conn, membership_id: int) -> MembershipRec | None:
    return await fetch_one(
        conn, MembershipRec, "SELECT * FROM artifact_memberships WHERE id = ?", (membership_id,)
    )


async def membership_of(conn: Conn, collection_id: int, artifact_id: int) -> MembershipRec | None:
    return await fetch_one(
        conn,
        MembershipRec,
        "SELECT * FROM artifact_memberships WHERE collection_id = ? AND artifact_id = ?",
        (collection_id, artifact_id),
    )


async def membership_by_version(
    conn: Conn, collection_id: int, version_index: int
) -> MembershipRec | None:
    return await fetch_one(
        conn,
        MembershipRec,
        f"SELECT m.* FROM artifact_memberships m {_VISIBLE}"
        " WHERE m.collection_id = ? AND m.version_index = ?",
        (collection_id, version_index),
    )


async def membership_by_alias(conn: Conn, collection_id: int, alias: str) -> MembershipRec | None:
    return await fetch_one(
        conn,
        MembershipRec,
        f"SELECT m.* FROM artifact_aliases al JOIN artifact_memberships m"
        f" ON m.collection_id = al.collection_id AND m.artifact_id = al.artifact_id {_VISIBLE}"
        " WHERE al.collection_id = ? AND al.alias = ?",
        (collection_id, alias),
    )


async def membership_by_digest(conn: Conn, collection_id: int, digest: str) -> MembershipRec | None:
    return await fetch_one(
        conn,
        MembershipRec,
        f"SELECT m.* FROM artifact_memberships m {_VISIBLE}"
        " WHERE m.collection_id = ? AND a.digest = ? ORDER BY m.version_index DESC LIMIT 1",
        (collection_id, digest),
    )


MEMBERSHIPS = Listing(
    record=MembershipRec,
    source=f"artifact_memberships m {_VISIBLE}",
    columns="m.*",
    id_column="m.id",
    sorts={
        "membership": "m.id",
        **dict.fromkeys(("artifact_created_at", "created_at", "createdAt"), "a.created_at"),
        "artifact_size": "a.size",
        **dict.fromkeys(("acm_created_at", "linked_at"), "m.created_at"),
        **dict.fromkeys(("version", "versionIndex", "version_index"), "m.version_index"),
    },
    default_sort="membership",
    fields={
        "version_index": "m.version_index",
        "membership_id": "m.id",
        "digest": "a.digest",
        "state": "a.state",
        "artifact_size": "a.size",
        **dict.fromkeys(("created_at", "artifact_created_at"), "a.created_at"),
        "updated_at": "a.updated_at",
        **dict.fromkeys(("acm_created_at", "linked_at"), "m.created_at"),
    },
)


def memberships_where(collection_ids: list[int]) -> Where:
    return Where.one_of("m.collection_id", collection_ids)


async def memberships_of_collections(conn: Conn, collection_ids: list[int]) -> list[MembershipRec]:
    if not collection_ids:
        return []
    return await fetch_all(
        conn,
        MembershipRec,
        f"SELECT m.* FROM artifact_memberships m {_VISIBLE}"
        f" WHERE m.collection_id IN ({placeholders(collection_ids)})"
        " ORDER BY m.collection_id, m.version_index",
        collection_ids,
    )


async def version_counts(conn: Conn, collection_ids: list[int]) -> dict[int, int]:
    """How many visible versions each collection holds."""
    if not collection_ids:
        return {}
    rows = await conn.rows(
        f"SELECT m.collection_id, COUNT(*) FROM artifact_memberships m {_VISIBLE}"
        f" WHERE m.collection_id IN ({placeholders(collection_ids)}) GROUP BY m.collection_id",
        collection_ids,
    )
    counts = {row[0]: row[1] for row in rows}
    return {collection_id: counts.get(collection_id, 0) for collection_id in collection_ids}


async def sequence_versions(conn: Conn, artifact_ids: list[int]) -> dict[int, int]:
    """Each committed artifact's version index in its own sequence."""
    if not artifact_ids:
        return {}
    rows = await conn.rows(
        "SELECT m.artifact_id, m.version_index FROM artifact_memberships m"
        " JOIN artifacts a ON a.id = m.artifact_id AND m.collection_id = a.sequence_id"
        f" WHERE m.artifact_id IN ({placeholders(artifact_ids)})",
        artifact_ids,
    )
    return {row[0]: row[1] for row in rows}


async def memberships_of_artifact(
    conn: Conn, artifact_id: int, *, include_deleted: bool = False
) -> list[MembershipRec]:
    join = "" if include_deleted else _VISIBLE
    return await fetch_all(
        conn,
        MembershipRec,
        f"SELECT m.* FROM artifact_memberships m {join} WHERE m.artifact_id = ? ORDER BY m.id",
        (artifact_id,),
    )


# ----------------------------------------------------------------- aliases


async def set_alias(conn: Conn, collection_id: int, artifact_id: int, alias: str) -> None:
    """Point `alias` of the collection at the artifact (moving it from another version)."""
    await execute(
        conn,
        "INSERT INTO artifact_aliases (collection_id, artifact_id, alias) VALUES (?, ?, ?)"
        " ON CONFLICT (collection_id, alias) DO UPDATE SET artifact_id = excluded.artifact_id",
        (collection_id, artifact_id, alias),
    )


async def delete_alias(conn: Conn, collection_id: int, artifact_id: int, alias: str) -> bool:
    return (
        await execute(
            conn,
            "DELETE FROM artifact_aliases"
            " WHERE collection_id = ? AND artifact_id = ? AND alias = ?",
            (collection_id, artifact_id, alias),
        )
        > 0
    )


async def aliases_of_artifacts(conn: Conn, ids: list[int]) -> dict[int, list[AliasRec]]:
    if not ids:
        return {}
    rows = await fetch_all(
        conn,
        AliasRec,
        f"SELECT * FROM artifact_aliases WHERE artifact_id IN ({placeholders(ids)}) ORDER BY id",
        ids,
    )
    grouped: dict[int, list[AliasRec]] = {}
    for row in rows:
        grouped.setdefault(row.artifact_id, []).append(row)
    return grouped


async def aliases_of_artifact(conn: Conn, artifact_id: int) -> list[AliasRec]:
    return (await aliases_of_artifacts(conn, [artifact_id])).get(artifact_id, [])


async def aliases_of_collection(conn: Conn, collection_id: int) -> list[AliasRec]:
    return await fetch_all(
        conn,
        AliasRec,
        "SELECT * FROM artifact_aliases WHERE collection_id = ? ORDER BY id",
        (collection_id,),
    )


# -------------------------------------------------------------------- tags


async def ensure_tag(conn: Conn, name: str, category: str | None) -> TagRec:
    await execute(
        conn,
        "INSERT INTO tags (name, category) VALUES (?, ?) ON CONFLICT (name, category) DO NOTHING",
        (name, category or ""),
    )
    tag = await fetch_one(
        conn, TagRec, "SELECT * FROM tags WHERE name = ? AND category = ?", (name, category or "")
    )
    assert tag is not None
    return tag


async def tag_artifact(conn: Conn, artifact_id: int, tag: TagRec) -> bool:
    """Tag the artifact; False when it already had the tag."""
    return (
        await execute(
            conn,
            "INSERT INTO artifact_tags (artifact_id, tag_id) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (artifact_id, tag.id),
        )
        > 0
    )


async def untag_artifact(conn: Conn, artifact_id: int, name: str) -> bool:
    """Remove the tag (of any category) named `name`; False when the artifact had none."""
    return (
        await execute(
            conn,
            "DELETE FROM artifact_tags WHERE artifact_id = ?"
            " AND tag_id IN (SELECT id FROM tags WHERE name = ?)",
            (artifact_id, name),
        )
        > 0
    )


async def _tags_by_owner(
    conn: Conn, assignments: str, owner: str, ids: list[int]
) -> dict[int, list[TagRec]]:
    """Tags of many artifacts or collections; `assignments`/`owner` are fixed names."""
    if not ids:
        return {}
    rows = await conn.rows(
        f"SELECT x.{owner} AS owner, t.id, t.name, t.category FROM tags t"
        f" JOIN {assignments} x ON x.tag_id = t.id WHERE x.{owner} IN ({placeholders(ids)})"
        " ORDER BY x.rowid",
        ids,
    )
    grouped: dict[int, list[TagRec]] = {}
    for row in rows:
        grouped.setdefault(row["owner"], []).append(TagRec(row["id"], row["name"], row["category"]))
    return grouped


async def tags_of_artifacts(conn: Conn, ids: list[int]) -> dict[int, list[TagRec]]:
    return await _tags_by_owner(conn, "artifact_tags", "artifact_id", ids)


async def tags_of_collections(conn: Conn, ids: list[int]) -> dict[int, list[TagRec]]:
    return await _tags_by_owner(conn, "collection_tags", "collection_id", ids)


async def tag_collection(conn: Conn, collection_id: int, tag: TagRec) -> bool:
    """Tag the collection; False when it already had the tag."""
    return (
        await execute(
            conn,
            "INSERT INTO collection_tags (collection_id, tag_id) VALUES (?, ?)"
            " ON CONFLICT DO NOTHING",
            (collection_id, tag.id),
        )
        > 0
    )


async def untag_collection(conn: Conn, collection_id: int, name: str) -> bool:
    """Remove the tag named `name`; False when the collection had none."""
    return (
        await execute(
            conn,
            "DELETE FROM collection_tags WHERE collection_id = ?"
            " AND tag_id IN (SELECT id FROM tags WHERE name = ?)",
            (collection_id, name),
        )
        > 0
    )


# ------------------------------------------------------------------- files


async def announce_file(
    conn: Conn, artifact_id: int, name: str, md5: str, mimetype: str | None
) -> None:
    await execute(
        conn,
        "INSERT INTO artifact_files (artifact_id, name, md5, mimetype, updated_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (artifact_id, name) DO UPDATE SET"
        " md5 = excluded.md5, mimetype = COALESCE(excluded.mimetype, artifact_files.mimetype)",
        (artifact_id, name, md5, mimetype, utc_now()),
    )


async def replace_files(conn: Conn, artifact_id: int, files: list[ArtifactFileRec]) -> None:
    """The manifest is the truth at commit: the artifact's files become exactly these."""
    await execute(conn, "DELETE FROM artifact_files WHERE artifact_id = ?", (artifact_id,))
    await conn.run_many(
        "INSERT INTO artifact_files (artifact_id, name, md5, digest, size, mimetype, blob_key,"
        " ref, updated_at, storage_path) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (
                artifact_id,
                f.name,
                f.md5,
                f.digest,
                f.size,
                f.mimetype,
                f.blob_key,
                f.ref,
                f.updated_at,
                f.storage_path,
            )
            for f in files
        ],
    )


async def artifacts_holding_blob(conn: Conn, blob_key: str, limit: int) -> list[ArtifactRec]:
    """Committed versions with a file stored under `blob_key` (at most `limit`)."""
    return await fetch_all(
        conn,
        ArtifactRec,
        "SELECT a.* FROM artifacts a WHERE a.state = 'COMMITTED' AND a.id IN"
        " (SELECT artifact_id FROM artifact_files WHERE blob_key = ?) ORDER BY a.id LIMIT ?",
        (blob_key, limit),
    )


async def files_of_artifact(
    conn: Conn, artifact_id: int, names: list[str] | None = None
) -> list[ArtifactFileRec]:
    sql = "SELECT * FROM artifact_files WHERE artifact_id = ?"
    params: list[object] = [artifact_id]
    if names is not None:
        if not names:
            return []
        sql += f" AND name IN ({placeholders(names)})"
        params.extend(names)
    return await fetch_all(conn, ArtifactFileRec, sql + " ORDER BY name", params)


# ------------------------------------------------------------------- usage


async def record_usage(conn: Conn, run_id: int, artifact_id: int, used_as: str | None) -> None:
    await execute(
        conn,
        "INSERT INTO artifact_usages (run_id, artifact_id, used_as, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (run_id, artifact_id) DO NOTHING",
        (run_id, artifact_id, used_as, utc_now()),
    )


async def runs_using(conn: Conn, artifact_id: int) -> list[int]:
    return await fetch_column(
        conn,
        "SELECT run_id FROM artifact_usages WHERE artifact_id = ? ORDER BY rowid",
        (artifact_id,),
    )


async def artifacts_used_by(conn: Conn, run_id: int) -> list[ArtifactRec]:
    return await fetch_all(
        conn,
        ArtifactRec,
        "SELECT a.* FROM artifacts a JOIN artifact_usages u ON u.artifact_id = a.id"
        " WHERE u.run_id = ? AND a.state = 'COMMITTED' ORDER BY u.rowid",
        (run_id,),
    )


async def artifacts_logged_by(conn: Conn, run_id: int) -> list[ArtifactRec]:
    """Committed versions the run created or logged again (see record_output)."""
    return await fetch_all(
        conn,
        ArtifactRec,
        "SELECT * FROM artifacts WHERE state = 'COMMITTED' AND (created_by_run_id = ?"
        " OR id IN (SELECT artifact_id FROM artifact_outputs WHERE run_id = ?)) ORDER BY id",
        (run_id, run_id),
    )


async def record_output(conn: Conn, run_id: int, artifact: ArtifactRec) -> None:
    """The run logged a version it did not create."""
    if artifact.created_by_run_id == run_id:
        return
    await execute(
        conn,
        "INSERT INTO artifact_outputs (run_id, artifact_id, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (run_id, artifact_id) DO NOTHING",
        (run_id, artifact.id, utc_now()),
    )


# --------------------------------------------------------------- multipart


async def start_multipart(
    conn: Conn, upload_id: str, artifact_id: int, name: str, md5: str
) -> None:
    await execute(
        conn,
        "INSERT INTO multipart_uploads (id, artifact_id, name, md5, parts, created_at)"
        " VALUES (?, ?, ?, ?, '{}', ?)",
        (upload_id, artifact_id, name, md5, utc_now()),
    )


async def multipart_upload(conn: Conn, upload_id: str) -> MultipartRec | None:
    return await fetch_one(
        conn, MultipartRec, "SELECT * FROM multipart_uploads WHERE id = ?", (upload_id,)
    )


async def record_part(conn: Conn, upload_id: str, part_number: int, blob_key: str) -> None:
    """Parts are JSON text ({part number: blob key}), read and written back: the write
    transaction is alone (see store/database.py), so no part recorded meanwhile is lost."""
    parts = await fetch_value(
        conn, "SELECT parts FROM multipart_uploads WHERE id = ?", (upload_id,)
    )
    if parts is None:
        return
    recorded = {**json.loads(parts), str(part_number): blob_key}
    await execute(
        conn,
        "UPDATE multipart_uploads SET parts = ? WHERE id = ?",
        (json.dumps(recorded), upload_id),
    )


async def finish_multipart(conn: Conn, upload_id: str) -> None:
    await execute(conn, "DELETE FROM multipart_uploads WHERE id = ?", (upload_id,))


async def artifacts_created_by_run(conn: Conn, run_id: int) -> list[ArtifactRec]:
    """Versions a run created (not those it logged again), pending ones included."""
    return await fetch_all(
        conn,
        ArtifactRec,
        "SELECT * FROM artifacts WHERE created_by_run_id = ? AND state != 'DELETED' ORDER BY id",
        (run_id,),
    )


# ------------------------------------------------ objects of a laid-out blob store


async def blob_paths(conn: Conn, keys: Iterable[str]) -> dict[str, str]:
    """The objects holding the given content, for the keys that have one recorded."""
    wanted = sorted(set(keys))
    if not wanted:
        return {}
    rows = await conn.rows(
        f"SELECT blob_key, path FROM blob_objects WHERE blob_key IN ({placeholders(wanted)})",
        wanted,
    )
    return {key: path for key, path in rows}


async def keys_stored_unplaced(conn: Conn, keys: list[str]) -> set[str]:
    """The content among `keys` that committed files name by key alone (no recorded
    object: the content-addressed name)."""
    if not keys:
        return set()
    return set(
        await fetch_column(
            conn,
            "SELECT DISTINCT blob_key FROM artifact_files WHERE storage_path IS NULL"
            f" AND blob_key IN ({placeholders(keys)})",
            keys,
        )
    )


async def claim_blob_paths(conn: Conn, wanted: dict[str, str]) -> dict[str, str]:
    """Record `wanted` (content key -> object path) for content that has no object yet;
    the object each key's bytes go to, whoever claimed it first."""
    if wanted:
        now = utc_now()
        await conn.run_many(
            "INSERT INTO blob_objects (blob_key, path, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (blob_key) DO NOTHING",
            [(key, path, now) for key, path in wanted.items()],
        )
    return await blob_paths(conn, wanted)


async def set_manifest_blob(conn: Conn, artifact_id: int, blob_key: str, path: str | None) -> None:
    await execute(
        conn,
        "UPDATE artifacts SET manifest_blob_key = ?, manifest_path = ? WHERE id = ?",
        (blob_key, path, artifact_id),
    )


async def add_manifest_upload(conn: Conn, artifact_id: int, path: str) -> None:
    await execute(
        conn,
        "INSERT INTO manifest_uploads (artifact_id, path, created_at) VALUES (?, ?, ?)"
        " ON CONFLICT (artifact_id, path) DO NOTHING",
        (artifact_id, path, utc_now()),
    )


async def manifest_uploads(conn: Conn, artifact_id: int) -> list[str]:
    """The paths of the manifest uploads handed out for a version, oldest first."""
    return await fetch_column(
        conn, "SELECT path FROM manifest_uploads WHERE artifact_id = ? ORDER BY id", (artifact_id,)
    )


async def drop_manifest_uploads(conn: Conn, artifact_id: int) -> None:
    await execute(conn, "DELETE FROM manifest_uploads WHERE artifact_id = ?", (artifact_id,))
