"""Runs, the lines file_stream delivers for them, and their uploaded files."""

from __future__ import annotations

from typing import Any

from ..records import RunAlertRec, RunFileRec, RunRec, utc_now
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
from .listing import Listing, Order, Where, columns, json_value_order

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


def _by_json_key(name: str, descending: bool, dialect: str) -> Order | None:
    """`summary_metrics.KEY[.SUB...]` and `config.KEY[.SUB...]` (a config entry's value
    is stored under "value")."""
    head, _, rest = name.partition(".")
    keys = rest.split(".")
    if head in ("summary_metrics", "summaryMetrics") and rest:
        return json_value_order("r.summary_metrics", keys, descending, dialect)
    if head == "config" and rest:
        return json_value_order("r.config", [keys[0], "value", *keys[1:]], descending, dialect)
    return None


RUNS = Listing(
    record=RunRec,
    source="runs r",
    columns="r.*",
    id_column="r.id",
    sorts={**_TIMES, "name": "r.name", "display_name": "COALESCE(r.display_name, '')"},
    default_sort="created_at",
    dynamic_sorts=_by_json_key,
    fields={
        **_TIMES,
        "name": "r.name",
        "sweep": "r.sweep_name",
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


async def finish_run(conn: Conn, run_id: int, exit_code: int, state: str) -> None:
    """The run ended; a stop asked for is served (a resumed run starts unstopped)."""
    await execute(
        conn,
        "UPDATE runs SET state = ?, exit_code = ?, stop_requested = 0, updated_at = ?,"
        " heartbeat_at = ? WHERE id = ?",
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
    if not lines:
        return
    await conn.run_many(
        "INSERT INTO run_lines (run_id, stream, line_no, content) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (run_id, stream, line_no) DO UPDATE SET content = excluded.content",
        [(run_id, stream, offset + i, line) for i, line in enumerate(lines)],
    )
    # Line numbers are offsets, never deleted: the count is the furthest line written,
    # raised in one statement, whatever writes the run's other lines meanwhile.
    end = offset + len(lines)
    await execute(
        conn,
        f"UPDATE runs SET {count_column} = CASE WHEN {count_column} < ? THEN ? ELSE"
        f" {count_column} END WHERE id = ?",
        (end, end, run_id),
    )


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


async def touch_run_file(conn: Conn, run_id: int, name: str) -> None:
    await execute(
        conn,
        "INSERT INTO run_files (run_id, name, updated_at) VALUES (?, ?, ?)"
        " ON CONFLICT (run_id, name) DO NOTHING",
        (run_id, name, utc_now()),
    )


async def store_run_file(
    conn: Conn, run_id: int, name: str, blob_key: str, size: int, storage_path: str | None = None
) -> None:
    """A run file's bytes: their key (and MD5), size, and the object holding them in a
    store that takes uploads itself (None: the content-addressed name)."""
    await execute(
        conn,
        "INSERT INTO run_files (run_id, name, blob_key, size, md5, updated_at, storage_path)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (run_id, name) DO UPDATE SET"
        " blob_key = excluded.blob_key, size = excluded.size, md5 = excluded.md5,"
        " updated_at = excluded.updated_at, storage_path = excluded.storage_path",
        (run_id, name, blob_key, size, blob_key, utc_now(), storage_path),
    )


async def run_files(conn: Conn, run_id: int) -> list[RunFileRec]:
    return await fetch_all(
        conn, RunFileRec, "SELECT * FROM run_files WHERE run_id = ? ORDER BY name", (run_id,)
    )


async def delete_run_files(conn: Conn, run_id: int, names: list[str]) -> int:
    marks = ", ".join("?" for _ in names)
    return await execute(
        conn, f"DELETE FROM run_files WHERE run_id = ? AND name IN ({marks})", (run_id, *names)
    )


async def set_state(conn: Conn, run_id: int, state: str) -> RunRec:
    now = utc_now()
    return await write_one(
        conn,
        RunRec,
        "UPDATE runs SET state = ?, updated_at = ? WHERE id = ? RETURNING *",
        (state, now, run_id),
    )


async def request_stop(conn: Conn, run_id: int) -> None:
    await execute(conn, "UPDATE runs SET stop_requested = 1 WHERE id = ?", (run_id,))


async def set_fork(conn: Conn, run_id: int, source_run_id: int, step: int) -> None:
    await execute(
        conn,
        "UPDATE runs SET forked_from_run_id = ?, fork_step = ? WHERE id = ?",
        (source_run_id, step, run_id),
    )


async def replace_history(
    conn: Conn, run_id: int, lines: list[str], summary_json: str, fork_step: int | None
) -> None:
    """A rewound run's history: `lines` renumbered from 0, its summary and fork step."""
    await execute(conn, "DELETE FROM run_lines WHERE run_id = ? AND stream = 'history'", (run_id,))
    await conn.run_many(
        "INSERT INTO run_lines (run_id, stream, line_no, content) VALUES (?, 'history', ?, ?)",
        [(run_id, number, line) for number, line in enumerate(lines)],
    )
    await execute(
        conn,
        "UPDATE runs SET history_line_count = ?, summary_metrics = ?, fork_step = ?,"
        " updated_at = ? WHERE id = ?",
        (len(lines), summary_json, fork_step, utc_now(), run_id),
    )


async def numbered_lines(
    conn: Conn, run_id: int, stream: str, start: int, stop: int
) -> list[tuple[int, str]]:
    """(line number, content) of the lines with start <= number < stop."""
    rows = await conn.rows(
        "SELECT line_no, content FROM run_lines WHERE run_id = ? AND stream = ?"
        " AND line_no >= ? AND line_no < ? ORDER BY line_no",
        (run_id, stream, start, stop),
    )
    return [(row[0], row[1]) for row in rows]


async def delete_run(conn: Conn, run_id: int) -> None:
    """The run and what is its alone (lines, files, alerts, lineage rows cascade)."""
    await execute(conn, "DELETE FROM runs WHERE id = ?", (run_id,))


async def add_alert(
    conn: Conn, run_id: int, title: str, text: str, severity: str, wait_ms: int | None
) -> RunAlertRec:
    return await write_one(
        conn,
        RunAlertRec,
        "INSERT INTO run_alerts (run_id, title, text, severity, wait_duration_ms,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING *",
        (run_id, title, text, severity, wait_ms, utc_now()),
    )


async def alerts_of_run(conn: Conn, run_id: int) -> list[RunAlertRec]:
    return await fetch_all(
        conn, RunAlertRec, "SELECT * FROM run_alerts WHERE run_id = ? ORDER BY id", (run_id,)
    )


async def recent_alerts(conn: Conn, limit: int) -> list[tuple[RunAlertRec, str, str, str]]:
    """The newest alerts of every run, with the run's entity, project and run names."""
    rows = await conn.rows(
        "SELECT a.*, e.name AS entity_name, p.name AS project_name, r.name AS run_name"
        " FROM run_alerts a JOIN runs r ON r.id = a.run_id"
        " JOIN projects p ON p.id = r.project_id JOIN entities e ON e.id = p.entity_id"
        " ORDER BY a.id DESC LIMIT ?",
        (limit,),
    )
    alerts = []
    for row in rows:
        values = dict(row)
        names = (values.pop("entity_name"), values.pop("project_name"), values.pop("run_name"))
        alerts.append((RunAlertRec(**values), *names))
    return alerts


async def join_sweep(conn: Conn, run_ids: list[int], sweep_name: str) -> None:
    """Make runs part of a sweep (a sweep's prior runs)."""
    if run_ids:
        await execute(
            conn,
            f"UPDATE runs SET sweep_name = ? WHERE id IN ({placeholders(run_ids)})",
            (sweep_name, *run_ids),
        )
