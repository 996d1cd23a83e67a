"""The fixture service of W&B's local-testcontainer: POST JSON commands that create state.

/db/user          up | password | down | login | logout | down_all
/db/organization  up | add_members | down
/db/team          up

An adapter over the domain's system operations (the ones seed files use too).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from ..domain import accounts, organizations
from ..domain.errors import DomainError, PermissionDenied
from ..domain.errors import NotFound as DomainNotFound
from ..domain.unit import Tx
from ..store import accounts as account_store
from ..store.errors import Conflict, NotFound, StoreError
from .common import BadRequest, read_json

Command = Callable[[Tx, dict[str, Any]], Awaitable[dict[str, Any]]]
MAX_FIXTURE_BODY = 1024 * 1024


def _field(body: dict[str, Any], name: str) -> str:
    value = _optional_str(body, name)
    if value is None:
        raise BadRequest(400, f"missing {name!r}")
    return value


def _optional_str(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadRequest(400, f"{name!r} must be a string")
    return value


def _object(body: dict[str, Any], name: str) -> dict[str, Any]:
    value = body.get(name) or {}
    if not isinstance(value, dict):
        raise BadRequest(400, f"{name!r} must be an object")
    return value


# --------------------------------------------------------------------- users


async def _user_up(tx: Tx, body: dict[str, Any]) -> dict[str, Any]:
    username = _field(body, "username")
    user = await accounts.ensure_user(
        tx, username, admin=bool(body.get("admin")), password=_optional_str(body, "password")
    )
    return {"username": user.username, "apiKey": username}


async def _user_password(tx: Tx, body: dict[str, Any]) -> dict[str, Any]:
    admin = bool(body["admin"]) if "admin" in body else None
    user = await accounts.set_password(
        tx, _field(body, "username"), _optional_str(body, "password"), admin=admin
    )
    return {"username": user.username}


async def _user_down(tx: Tx, body: dict[str, Any]) -> dict[str, Any]:
    return {"deleted": await accounts.delete_user(tx, _field(body, "username"))}


async def _user_noop(tx: Tx, body: dict[str, Any]) -> dict[str, Any]:
    """login/logout only affect the W&B web session, which the emulator has none of."""
    return {}


async def _user_down_all(tx: Tx, body: dict[str, Any]) -> dict[str, Any]:
    await accounts.delete_all_users(tx)
    return {}


# ------------------------------------------------------------- organizations


def _fixture_data(body: dict[str, Any]) -> dict[str, Any]:
    return _object(body, "fixtureData")


async def _org_up(tx: Tx, body: dict[str, Any]) -> dict[str, Any]:
    org = await organizations.ensure_organization(
        tx,
        _field(body, "orgName"),
        org_entity_name=_optional_str(_fixture_data(body), "orgEntityName"),
    )
    if username := _optional_str(body, "username"):
        await organizations.add_org_member(tx, org, username, "admin")
    entity = await account_store.entity_by_id(tx.conn, org.org_entity_id or 0)
    return {"orgName": org.name, "orgEntityName": entity.name if entity else None}


async def _org_add_members(tx: Tx, body: dict[str, Any]) -> dict[str, Any]:
    org = await accounts.require_organization(tx.conn, _field(body, "orgName"))
    members = _fixture_data(body).get("members") or []
    if not isinstance(members, list) or not all(isinstance(m, dict) for m in members):
        raise BadRequest(400, "fixtureData.members must be a list of objects")
    for member in members:
        role = _optional_str(member, "role") or "member"
        await organizations.add_org_member(tx, org, _field(member, "username"), role)
    return {"added": len(members)}


async def _org_down(tx: Tx, body: dict[str, Any]) -> dict[str, Any]:
    return {"deleted": await organizations.delete_organization(tx, _field(body, "orgName"))}


# --------------------------------------------------------------------- teams


async def _team_up(tx: Tx, body: dict[str, Any]) -> dict[str, Any]:
    data = _fixture_data(body)
    team_name = _field(_object(data, "team"), "name")
    org = await accounts.require_organization(
        tx.conn, _field(_object(data, "organization"), "name")
    )
    team = await accounts.ensure_team(tx, team_name, org)
    if username := _optional_str(body, "username"):
        await accounts.add_team_member(tx, team, username, "admin")
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


def _status_of(error: Exception) -> int:
    """The HTTP status of a refused command: 404 unknown names, 409 names taken."""
    if isinstance(error, NotFound | DomainNotFound):
        return 404
    if isinstance(error, Conflict):
        return 409
    return 403 if isinstance(error, PermissionDenied) else 400


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
        handler = handlers.get(_optional_str(body, "command") or "")
        if handler is None:
            raise BadRequest(400, f"unknown command {body.get('command')!r} for {resource!r}")
        async with emulator.uow.write() as tx:
            result = await handler(tx, body)
    except BadRequest as exc:
        return JSONResponse({"error": exc.message}, status_code=exc.status)
    except (StoreError, DomainError) as exc:
        return JSONResponse({"error": str(exc)}, status_code=_status_of(exc))
    return JSONResponse({"ok": True, **result})
