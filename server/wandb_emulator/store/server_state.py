"""Server state every process of one database shares: the request journal, fault rules,
the automations' delivery log (their outbox) and settings (migration 13).

The journal is written on every request, so it keeps out of the write transactions:
`Database.log_write` appends its rows without the write lock of the data and without a
commit generation, so no process drops its caches for it (see `database.py`). Fault
rules, deliveries and settings change rarely and go through ordinary write
transactions; a fault's hit and a delivery's claim are one conditional UPDATE each, so
two processes can never both take the last hit of a rule or both send one delivery.
"""

from __future__ import annotations

from ._sql import execute, fetch_value, insert
from .connection import Conn, Row
from .database import Database


def _keep_newest(table: str, key: str) -> str:
    """A statement that drops all but the newest `?` rows of a log table, by its key."""
    return (
        f"DELETE FROM {table} WHERE {key} <="
        f" (SELECT {key} FROM {table} ORDER BY {key} DESC LIMIT 1 OFFSET ?)"
    )


JOURNAL_INSERT = "INSERT INTO journal_entries (entry, cost) VALUES (?, ?)"
# Keep the newest `size` rows (the readers cut the byte budget themselves).
JOURNAL_TRIM = _keep_newest("journal_entries", "seq")
DELIVERIES_TRIM = _keep_newest("automation_deliveries", "id")


async def append_journal(db: Database, rows: list[tuple[str, int]], keep: int | None) -> None:
    """Add journal entries (their JSON and cost), then, given `keep`, drop all but the
    newest `keep`."""
    trim = [] if keep is None else [(JOURNAL_TRIM, [(keep,)])]
    await db.log_write([(JOURNAL_INSERT, rows), *trim])


async def clear_journal(db: Database) -> None:
    await db.log_write([("DELETE FROM journal_entries", [()])])


async def newest_journal_rows(db: Database, limit: int) -> list[Row]:
    """(seq, entry, cost) of the newest `limit` entries, newest first, read past caches."""
    async with db.read() as conn:
        return await conn.fresh_rows(
            "SELECT seq, entry, cost FROM journal_entries ORDER BY seq DESC LIMIT ?", (limit,)
        )


# ---------------------------------------------------------------- fault rules


async def add_fault(conn: Conn, spec: str, times: int | None) -> int:
    return await insert(conn, "INSERT INTO fault_rules (spec, times) VALUES (?, ?)", (spec, times))


async def fault_rows(conn: Conn) -> list[Row]:
    """(id, spec, times, hits) of every rule, oldest first."""
    return await conn.rows("SELECT id, spec, times, hits FROM fault_rules ORDER BY id")


async def claim_fault_hit(conn: Conn, rule_id: int) -> bool:
    """Count one hit of a rule unless it is used up (or gone): whether it was counted."""
    changed = await execute(
        conn,
        "UPDATE fault_rules SET hits = hits + 1 WHERE id = ? AND (times IS NULL OR hits < times)",
        (rule_id,),
    )
    return changed == 1


async def delete_fault(conn: Conn, rule_id: int) -> bool:
    return await execute(conn, "DELETE FROM fault_rules WHERE id = ?", (rule_id,)) == 1


async def clear_faults(conn: Conn) -> None:
    await execute(conn, "DELETE FROM fault_rules")


# ------------------------------------------------------- automation deliveries


async def add_delivery(conn: Conn, delivery: str, outcome: str, keep: int) -> int:
    """An outbox row: a delivery to make (or only recorded); all but the newest `keep`
    rows go."""
    delivery_id = await insert(
        conn,
        "INSERT INTO automation_deliveries (delivery, outcome) VALUES (?, ?)",
        (delivery, outcome),
    )
    await execute(conn, DELIVERIES_TRIM, (keep,))
    return delivery_id


async def claim_delivery(conn: Conn, delivery_id: int, claimant: str) -> bool:
    """Take an unclaimed delivery to send it: whether this claimant got it."""
    changed = await execute(
        conn,
        "UPDATE automation_deliveries SET claimed_by = ? WHERE id = ? AND claimed_by IS NULL",
        (claimant, delivery_id),
    )
    return changed == 1


async def finish_delivery(conn: Conn, delivery_id: int, delivery: str, outcome: str) -> None:
    await execute(
        conn,
        "UPDATE automation_deliveries SET delivery = ?, outcome = ? WHERE id = ?",
        (delivery, outcome, delivery_id),
    )


async def delivery_rows(conn: Conn) -> list[Row]:
    """(id, delivery) of every delivery kept, oldest first."""
    return await conn.rows("SELECT id, delivery FROM automation_deliveries ORDER BY id")


async def deliveries_under_way(conn: Conn) -> int:
    return int(
        await fetch_value(
            conn, "SELECT count(*) FROM automation_deliveries WHERE outcome = 'pending'"
        )
    )


async def clear_deliveries(conn: Conn) -> None:
    await execute(conn, "DELETE FROM automation_deliveries")


# -------------------------------------------------------------------- settings


async def setting(conn: Conn, name: str) -> str | None:
    value = await fetch_value(conn, "SELECT value FROM server_settings WHERE name = ?", (name,))
    return None if value is None else str(value)


async def put_setting(conn: Conn, name: str, value: str) -> None:
    await execute(
        conn,
        "INSERT INTO server_settings (name, value) VALUES (?, ?)"
        " ON CONFLICT (name) DO UPDATE SET value = excluded.value",
        (name, value),
    )
