"""Integrations (generic webhooks, Slack), team secrets and automations ("triggers")."""

from __future__ import annotations

from dataclasses import dataclass

from ..records import IntegrationRec, SecretRec, TriggerRec, utc_now
from ._sql import execute, fetch_all, fetch_one, fetch_value, insert
from .database import Conn
from .errors import Conflict

_SECRET_COLUMNS = "id, entity_id, name, created_at"


# ------------------------------------------------------------------ secrets


async def secrets_of_entity(conn: Conn, entity_id: int) -> list[SecretRec]:
    return await fetch_all(
        conn,
        SecretRec,
        f"SELECT {_SECRET_COLUMNS} FROM secrets WHERE entity_id = ? ORDER BY name",
        (entity_id,),
    )


async def secret_by_name(conn: Conn, entity_id: int, name: str) -> SecretRec | None:
    return await fetch_one(
        conn,
        SecretRec,
        f"SELECT {_SECRET_COLUMNS} FROM secrets WHERE entity_id = ? AND name = ?",
        (entity_id, name),
    )


async def put_secret(conn: Conn, entity_id: int, name: str, value: str) -> None:
    """Create the secret, or replace its value."""
    await execute(
        conn,
        "INSERT INTO secrets (entity_id, name, value, created_at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (entity_id, name) DO UPDATE SET value = excluded.value",
        (entity_id, name, value, utc_now()),
    )


async def delete_secret(conn: Conn, entity_id: int, name: str) -> bool:
    changed = await execute(
        conn, "DELETE FROM secrets WHERE entity_id = ? AND name = ?", (entity_id, name)
    )
    return changed > 0


async def secret_values(conn: Conn, entity_id: int, names: list[str]) -> dict[str, str]:
    """The values of the named secrets of an entity (for webhook delivery only)."""
    values = {}
    for name in names:
        value = await fetch_value(
            conn, "SELECT value FROM secrets WHERE entity_id = ? AND name = ?", (entity_id, name)
        )
        if value is not None:
            values[name] = value
    return values


# ------------------------------------------------------------------ integrations


async def create_integration(
    conn: Conn,
    entity_id: int,
    kind: str,
    name: str,
    *,
    url: str | None,
    access_token_ref: str | None = None,
    secret_ref: str | None = None,
    slack_team: str | None = None,
    slack_channel: str | None = None,
    created_by: int | None = None,
) -> IntegrationRec:
    if kind == "GENERIC_WEBHOOK" and await fetch_value(
        conn,
        "SELECT 1 FROM integrations WHERE entity_id = ? AND kind = ? AND name = ?",
        (entity_id, kind, name),
    ):
        raise Conflict(f"an integration named {name!r} already exists")
    integration_id = await insert(
        conn,
        "INSERT INTO integrations (entity_id, kind, name, url, access_token_ref, secret_ref,"
        " slack_team, slack_channel, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            entity_id,
            kind,
            name,
            url,
            access_token_ref,
            secret_ref,
            slack_team,
            slack_channel,
            created_by,
            utc_now(),
        ),
    )
    rec = await integration_by_id(conn, integration_id)
    assert rec is not None
    return rec


async def integration_by_id(conn: Conn, integration_id: int) -> IntegrationRec | None:
    return await fetch_one(
        conn, IntegrationRec, "SELECT * FROM integrations WHERE id = ?", (integration_id,)
    )


async def integrations_of_entity(conn: Conn, entity_id: int) -> list[IntegrationRec]:
    return await fetch_all(
        conn,
        IntegrationRec,
        "SELECT * FROM integrations WHERE entity_id = ? ORDER BY id",
        (entity_id,),
    )


async def delete_integration(conn: Conn, integration_id: int) -> bool:
    return await execute(conn, "DELETE FROM integrations WHERE id = ?", (integration_id,)) > 0


# ------------------------------------------------------------------ triggers


@dataclass(frozen=True)
class TriggerValues:
    """Everything a trigger row holds but its id, entity and timestamps."""

    name: str
    description: str | None
    enabled: bool
    scope_type: str
    scope_id: int
    event_type: str
    event_filter: str
    action_type: str
    action_config: str
    integration_id: int | None


async def _check_name_free(conn: Conn, entity_id: int, name: str, trigger_id: int = 0) -> None:
    if await fetch_value(
        conn,
        "SELECT 1 FROM triggers WHERE entity_id = ? AND name = ? AND id != ?",
        (entity_id, name, trigger_id),
    ):
        raise Conflict(f"an automation named {name!r} already exists")


async def create_trigger(
    conn: Conn, entity_id: int, values: TriggerValues, created_by: int | None
) -> TriggerRec:
    await _check_name_free(conn, entity_id, values.name)
    now = utc_now()
    trigger_id = await insert(
        conn,
        "INSERT INTO triggers (entity_id, name, description, enabled, scope_type, scope_id,"
        " event_type, event_filter, action_type, action_config, integration_id, created_by,"
        " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (entity_id, *_columns(values), created_by, now, now),
    )
    rec = await trigger_by_id(conn, trigger_id)
    assert rec is not None
    return rec


async def update_trigger(
    conn: Conn, trigger_id: int, entity_id: int, values: TriggerValues
) -> TriggerRec:
    await _check_name_free(conn, entity_id, values.name, trigger_id)
    await execute(
        conn,
        "UPDATE triggers SET entity_id = ?, name = ?, description = ?, enabled = ?,"
        " scope_type = ?, scope_id = ?, event_type = ?, event_filter = ?, action_type = ?,"
        " action_config = ?, integration_id = ?, updated_at = ? WHERE id = ?",
        (entity_id, *_columns(values), utc_now(), trigger_id),
    )
    rec = await trigger_by_id(conn, trigger_id)
    assert rec is not None
    return rec


def _columns(values: TriggerValues) -> tuple[object, ...]:
    return (
        values.name,
        values.description,
        int(values.enabled),
        values.scope_type,
        values.scope_id,
        values.event_type,
        values.event_filter,
        values.action_type,
        values.action_config,
        values.integration_id,
    )


async def trigger_by_id(conn: Conn, trigger_id: int) -> TriggerRec | None:
    return await fetch_one(conn, TriggerRec, "SELECT * FROM triggers WHERE id = ?", (trigger_id,))


async def delete_trigger(conn: Conn, trigger_id: int) -> bool:
    return await execute(conn, "DELETE FROM triggers WHERE id = ?", (trigger_id,)) > 0


async def triggers_of_entity(conn: Conn, entity_id: int) -> list[TriggerRec]:
    return await fetch_all(
        conn, TriggerRec, "SELECT * FROM triggers WHERE entity_id = ? ORDER BY id", (entity_id,)
    )


async def triggers_of_scope(conn: Conn, scope_type: str, scope_id: int) -> list[TriggerRec]:
    return await fetch_all(
        conn,
        TriggerRec,
        "SELECT * FROM triggers WHERE scope_type = ? AND scope_id = ? ORDER BY id",
        (scope_type, scope_id),
    )


async def enabled_triggers_for(
    conn: Conn, event_types: tuple[str, ...], project_id: int, collection_id: int | None
) -> list[TriggerRec]:
    """Enabled triggers of these event types scoped to the project or to the collection."""
    marks = ", ".join("?" for _ in event_types)
    return await fetch_all(
        conn,
        TriggerRec,
        f"SELECT * FROM triggers WHERE enabled = 1 AND event_type IN ({marks}) AND ("
        " (scope_type = 'PROJECT' AND scope_id = ?)"
        " OR (scope_type = 'ARTIFACT_COLLECTION' AND scope_id = ?)) ORDER BY id",
        (*event_types, project_id, -1 if collection_id is None else collection_id),
    )
