"""Runs, the lines file_stream delivers for them, and their uploaded files."""

from __future__ import annotations

from typing import Any

from ..records import RunFileRec, RunRec, utc_now
from ._sql import (
    execute,
    fetch_all,
    fetch_column,
    fetch_one,
    fetch_value,
    placeholders,
    write_one,
)
from .database import Conn
from .listing import Listing, Where, columns

# Columns UpsertBucket may set, by the name of its input field.
RUN_FIELDS = {
    "display_name": "display_name",
    "description": "description",
    "notes": "notes",
    "group_name": "group_name",
    "job_type": "job_type",
    "commit": "commit_hash",
    "host": "host",
    "program": "program",
    "sweep": "sweep_name",
    "config": "config",
    "summary_metrics": "summary_metrics",
    "tags": "tags",
    "state": "state",
}

LINE_STREAMS = {
    "wandb-history.jsonl": ("history", "history_line_count"),
    "wandb-events.jsonl": ("events", "events_line_count"),
    "output.log": ("output", "log_line_count"),
}


_TIMES = columns("r", "created_at", "heartbeat_at")

RUNS = Listing(
    record=RunRec,
    source="runs r",
    columns="r.*",
    id_column="r.id",
    sorts={**_TIMES, "name": "r.name", "display_name": "COALESCE(r.display_name, '')"},
    default_sort="created_at",
    fields={
        **_TIMES,
        "name": "r.name",
        **dict.fromkeys(("display_name", "displayName"), "r.display_name"),
        "state": "r.state",
        "group": "r.group_name",
        "jobType": "r.job_type",
    },
)


def of_project(project_id: int) -> Where:
    return Where("r.project_id = ?", (project_id,))


async def run_by_id(conn: Conn, run_id: int) -> RunRec | None:
    return await fetch_one(conn, RunRec, "SELECT * FROM runs WHERE id = ?", (run_id,))


async def run_by_name(conn: Conn, project_id: int, name: str) -> RunRec | None:
    return await fetch_one(
        conn, RunRec, "SELECT * FROM runs WHERE project_id = ? AND name = ?", (project_id, name)
    )


async def runs_of_project(conn: Conn, project_id: int) -> list[RunRec]:
    return await fetch_all(
        conn, RunRec, "SELECT * FROM runs WHERE project_id = ? ORDER BY id", (project_id,)
    )


async def upsert_run(
    conn: Conn, project_id: int, name: str, values: dict[str, Any], user_id: int
) -> tuple[RunRec, bool]:
    """Create or update a run; `values` maps RUN_FIELDS keys to new (non-None) values."""
    columns = {RUN_FIELDS[key]: value for key, value in values.items() if value is not None}
    now = utc_now()
    existing = await run_by_name(conn, project_id, name)
    if existing is None:
        columns.update(project_id=project_id, name=name, user_id=user_id)
        columns.update(created_at=now, updated_at=now, heartbeat_at=now)
        names = ", ".join(columns)
        marks = ", ".join("?" for _ in columns)
        sql = f"INSERT INTO runs ({names}) VALUES ({marks}) RETURNING *"
        return await write_one(conn, RunRec, sql, list(columns.values())), True
    columns.update(updated_at=now, heartbeat_at=now)
    assignments = ", ".join(f"{column} = ?" for column in columns)
    sql = f"UPDATE runs SET {assignments} WHERE id = ? RETURNING *"
    return await write_one(conn, RunRec, sql, [*columns.values(), existing.id]), False


async def finish_run(conn: Conn, run_id: int, exit_code: int) -> None:
    state = "finished" if exit_code == 0 else "failed"
    await execute(
        conn,
        "UPDATE runs SET state = ?, exit_code = ?, updated_at = ?, heartbeat_at = ? WHERE id = ?",
        (state, exit_code, utc_now(), utc_now(), run_id),
    )


async def heartbeat(conn: Conn, run_id: int) -> None:
    await execute(conn, "UPDATE runs SET heartbeat_at = ? WHERE id = ?", (utc_now(), run_id))


async def set_summary(conn: Conn, run_id: int, summary_json: str) -> None:
    await execute(conn, "UPDATE runs SET summary_metrics = ? WHERE id = ?", (summary_json, run_id))


async def write_lines(
    conn: Conn, run_id: int, file_name: str, offset: int, lines: list[str]
) -> None:
    """Store lines of a line stream at their offsets (resent lines replace earlier ones)."""
    stream, count_column = LINE_STREAMS[file_name]
    await conn.run_many(
        "INSERT INTO run_lines (run_id, stream, line_no, content) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (run_id, stream, line_no) DO UPDATE SET content = excluded.content",
        [(run_id, stream, offset + i, line) for i, line in enumerate(lines)],
    )
    count = await fetch_value(
        conn,
        "SELECT COALESCE(MAX(line_no) + 1, 0) FROM run_lines WHERE run_id = ? AND stream = ?",
        (run_id, stream),
    )
    await execute(conn, f"UPDATE runs SET {count_column} = ? WHERE id = ?", (count, run_id))


async def lines(conn: Conn, run_id: int, stream: str) -> list[str]:
    return await fetch_column(
        conn,
        "SELECT content FROM run_lines WHERE run_id = ? AND stream = ? ORDER BY line_no",
        (run_id, stream),
    )


async def last_line(conn: Conn, run_id: int, stream: str) -> str | None:
    return await fetch_value(
        conn,
        "SELECT content FROM run_lines WHERE run_id = ? AND stream = ?"
        " ORDER BY line_no DESC LIMIT 1",
        (run_id, stream),
    )


async def touch_run_file(conn: Conn, run_id: int, name: str, path: str | None = None) -> None:
    """Announce a run file; `path` is the object its uploads go to in a store that
    takes uploads (kept once set)."""
    await execute(
        conn,
        "INSERT INTO run_files (run_id, name, updated_at, storage_path) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (run_id, name) DO UPDATE SET"
        " storage_path = COALESCE(run_files.storage_path, excluded.storage_path)",
        (run_id, name, utc_now(), path),
    )


async def run_file_paths(conn: Conn, run_id: int, names: list[str]) -> dict[str, str]:
    """The objects the named files of a run are uploaded to, for those that have one."""
    if not names:
        return {}
    rows = await conn.rows(
        f"SELECT name, storage_path FROM run_files WHERE run_id = ? AND storage_path IS NOT NULL"
        f" AND name IN ({placeholders(names)})",
        (run_id, *names),
    )
    return {name: path for name, path in rows}


async def store_run_file(
    conn: Conn, run_id: int, name: str, blob_key: str, size: int, md5: str
) -> None:
    await execute(
        conn,
        "INSERT INTO run_files (run_id, name, blob_key, size, md5, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, name) DO UPDATE SET"
        " blob_key = excluded.blob_key, size = excluded.size, md5 = excluded.md5,"
        " updated_at = excluded.updated_at",
        (run_id, name, blob_key, size, md5, utc_now()),
    )


async def run_files(conn: Conn, run_id: int) -> list[RunFileRec]:
    return await fetch_all(
        conn, RunFileRec, "SELECT * FROM run_files WHERE run_id = ? ORDER BY name", (run_id,)
    )
