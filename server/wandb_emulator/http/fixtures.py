"""The fixture service of W&B's local-testcontainer: POST JSON commands that create state.

/db/user          up | password | down | login | logout | down_all
/db/organization  up | add_members | down
/db/team          up
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from .. import seeding
from ..store import accounts
from ..store.database import Conn
from ..store.errors import Conflict, NotFound, StoreError
from ..validation import InvalidName
from .common import BadRequest, read_json

Command = Callable[[Conn, dict[str, Any]], Awaitable[dict[str, Any]]]
MAX_FIXTURE_BODY = 1024 * 1024


def _field(body: dict[str, Any], name: str) -> Any:
    value = body.get(name)
    if value in (None, ""):
        raise BadRequest(400, f"missing {name!r}")
    return value


# --------------------------------------------------------------------- users


async def _user_up(conn: Conn, body: dict[str, Any]) -> dict[str, Any]:
    username = _field(body, "username")
    user = await seeding.ensure_user(
        conn, username, admin=bool(body.get("admin")), password=body.get("password")
    )
    return {"username": user.username, "apiKey": username}


async def _user_password(conn: Conn, body: dict[str, Any]) -> dict[str, Any]:
    user = await seeding.require_user(conn, _field(body, "username"))
    await accounts.set_password(conn, user.id, body.get("password"))
    if "admin" in body:
        await accounts.set_admin(conn, user.id, bool(body["admin"]))
    return {"username": user.username}


async def _user_down(conn: Conn, body: dict[str, Any]) -> dict[str, Any]:
    user = await accounts.user_by_username(conn, _field(body, "username"))
    if user is not None:
        await accounts.delete_user(conn, user)
    return {"deleted": user is not None}


async def _user_noop(conn: Conn, body: dict[str, Any]) -> dict[str, Any]:
    """login/logout only affect the W&B web session, which the emulator has none of."""
    return {}


async def _user_down_all(conn: Conn, body: dict[str, Any]) -> dict[str, Any]:
    for user in await accounts.all_users(conn):
        await accounts.delete_user(conn, user)
    return {}


# ------------------------------------------------------------- organizations


def _fixture_data(body: dict[str, Any]) -> dict[str, Any]:
    data = body.get("fixtureData") or {}
    if not isinstance(data, dict):
        raise BadRequest(400, "fixtureData must be an object")
    return data


async def _org_up(conn: Conn, body: dict[str, Any]) -> dict[str, Any]:
    org = await seeding.ensure_organization(
        conn, _field(body, "orgName"), org_entity_name=_fixture_data(body).get("orgEntityName")
    )
    if username := body.get("username"):
        await seeding.add_org_member(conn, org, username, "admin")
    entity = await accounts.entity_by_id(conn, org.org_entity_id or 0)
    return {"orgName": org.name, "orgEntityName": entity.name if entity else None}


async def _org_add_members(conn: Conn, body: dict[str, Any]) -> dict[str, Any]:
    org = await seeding.require_organization(conn, _field(body, "orgName"))
    members = _fixture_data(body).get("members") or []
    for member in members:
        await seeding.add_org_member(
            conn, org, _field(member, "username"), member.get("role") or "member"
        )
    return {"added": len(members)}


async def _org_down(conn: Conn, body: dict[str, Any]) -> dict[str, Any]:
    org = await accounts.org_by_name(conn, _field(body, "orgName"))
    if org is not None:
        await accounts.delete_organization(conn, org)
    return {"deleted": org is not None}


# --------------------------------------------------------------------- teams


async def _team_up(conn: Conn, body: dict[str, Any]) -> dict[str, Any]:
    data = _fixture_data(body)
    team_name = _field(data.get("team") or {}, "name")
    org = await seeding.require_organization(conn, _field(data.get("organization") or {}, "name"))
    team = await seeding.ensure_team(conn, team_name, org)
    if username := body.get("username"):
        await seeding.add_team_member(conn, team, username, "admin")
    return {"teamName": team.name, "orgName": org.name}


COMMANDS: dict[str, dict[str, Command]] = {
    "user": {
        "up": _user_up,
        "password": _user_password,
        "down": _user_down,
        "login": _user_noop,
        "logout": _user_noop,
        "down_all": _user_down_all,
    },
    "organization": {"up": _org_up, "add_members": _org_add_members, "down": _org_down},
    "team": {"up": _team_up},
}


async def fixture_command(request: Request) -> JSONResponse:
    emulator = request.app.state.emulator
    resource = request.path_params["resource"]
    try:
        body = await read_json(request, MAX_FIXTURE_BODY)
        if not isinstance(body, dict):
            raise BadRequest(400, "the body must be a JSON object")
        handlers = COMMANDS.get(resource)
        if handlers is None:
            raise BadRequest(404, f"unknown fixture resource {resource!r}")
        handler = handlers.get(body.get("command", ""))
        if handler is None:
            raise BadRequest(400, f"unknown command {body.get('command')!r} for {resource!r}")
        async with emulator.db.write() as conn:
            result = await handler(conn, body)
    except BadRequest as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    except NotFound as exc:
        return JSONResponse({"error": str(exc)}, status_code=404)
    except Conflict as exc:
        return JSONResponse({"error": str(exc)}, status_code=409)
    except (StoreError, seeding.SeedError, InvalidName) as exc:
        return JSONResponse({"error": str(exc)}, status_code=400)
    return JSONResponse({"ok": True, **result})
