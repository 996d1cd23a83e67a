"""Custom chart presets (CreateCustomChart), per entity."""

from __future__ import annotations

from ..records import CustomChartRec, utc_now
from ._sql import fetch_all, write_one
from .database import Conn
from .errors import Conflict, IntegrityError


async def create_chart(
    conn: Conn,
    entity_id: int,
    name: str,
    display_name: str,
    chart_type: str,
    access: str,
    spec: str,
    user_id: int,
) -> CustomChartRec:
    now = utc_now()
    try:
        return await write_one(
            conn,
            CustomChartRec,
            "INSERT INTO custom_charts (entity_id, name, display_name, chart_type, access, spec,"
            " created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
            (entity_id, name, display_name, chart_type, access, spec, user_id, now, now),
        )
    except IntegrityError as exc:
        raise Conflict(f"a custom chart named {name!r} already exists") from exc


async def charts_of_entity(conn: Conn, entity_id: int) -> list[CustomChartRec]:
    return await fetch_all(
        conn,
        CustomChartRec,
        "SELECT * FROM custom_charts WHERE entity_id = ? ORDER BY name",
        (entity_id,),
    )
