"""Users, API keys, entities, organizations, teams and invites."""

from __future__ import annotations

from ..records import (
    ApiKeyRec,
    EntityKind,
    EntityRec,
    InviteRec,
    OrganizationRec,
    OrgRole,
    TeamMemberRec,
    TeamRole,
    UserRec,
    utc_now,
)
from ._sql import execute, fetch_all, fetch_one, fetch_value, insert, placeholders
from .database import Conn
from .errors import Conflict, IntegrityError, NotFound

_USER_COLUMNS = (
    "id",
    "username",
    "name",
    "email",
    "admin",
    "account_type",
    "entity_id",
    "default_entity_id",
    "created_at",
)
_USER_SELECT = f"SELECT {', '.join(_USER_COLUMNS)} FROM users"


def user_columns(alias: str) -> str:
    """The UserRec columns of `users` under a table alias, for joins."""
    return ", ".join(f"{alias}.{column}" for column in _USER_COLUMNS)


# ---------------------------------------------------------------- entities


async def entity_by_name(conn: Conn, name: str) -> EntityRec | None:
    return await fetch_one(conn, EntityRec, "SELECT * FROM entities WHERE name = ?", (name,))


async def entity_by_id(conn: Conn, entity_id: int) -> EntityRec | None:
    return await fetch_one(conn, EntityRec, "SELECT * FROM entities WHERE id = ?", (entity_id,))


async def entities_by_ids(conn: Conn, ids: list[int]) -> dict[int, EntityRec]:
    if not ids:
        return {}
    rows = await fetch_all(
        conn, EntityRec, f"SELECT * FROM entities WHERE id IN ({placeholders(ids)})", ids
    )
    return {row.id: row for row in rows}


async def _create_entity(
    conn: Conn, name: str, kind: EntityKind, organization_id: int | None
) -> EntityRec:
    try:
        entity_id = await insert(
            conn,
            "INSERT INTO entities (name, kind, organization_id, created_at) VALUES (?, ?, ?, ?)",
            (name, kind, organization_id, utc_now()),
        )
    except IntegrityError as exc:
        raise Conflict(f"entity name {name!r} is already taken") from exc
    entity = await entity_by_id(conn, entity_id)
    assert entity is not None
    return entity


# ------------------------------------------------------------------- users


async def user_by_id(conn: Conn, user_id: int) -> UserRec | None:
    return await fetch_one(conn, UserRec, f"{_USER_SELECT} WHERE id = ?", (user_id,))


async def users_by_ids(conn: Conn, ids: list[int]) -> dict[int, UserRec]:
    if not ids:
        return {}
    rows = await fetch_all(conn, UserRec, f"{_USER_SELECT} WHERE id IN ({placeholders(ids)})", ids)
    return {row.id: row for row in rows}


async def user_by_username(conn: Conn, username: str) -> UserRec | None:
    return await fetch_one(conn, UserRec, f"{_USER_SELECT} WHERE username = ?", (username,))


async def user_by_email(conn: Conn, email: str) -> UserRec | None:
    return await fetch_one(conn, UserRec, f"{_USER_SELECT} WHERE email = ?", (email,))


async def user_by_entity(conn: Conn, entity_id: int) -> UserRec | None:
    return await fetch_one(conn, UserRec, f"{_USER_SELECT} WHERE entity_id = ?", (entity_id,))


async def user_by_api_key(conn: Conn, key: str) -> UserRec | None:
    return await fetch_one(
        conn,
        UserRec,
        f"SELECT {user_columns('u')} "
        "FROM api_keys k JOIN users u ON u.id = k.user_id WHERE k.key = ?",
        (key,),
    )


async def all_users(conn: Conn) -> list[UserRec]:
    return await fetch_all(conn, UserRec, f"{_USER_SELECT} ORDER BY id")


async def search_users(conn: Conn, query: str, limit: int) -> list[UserRec]:
    """Exact username/email matches first; otherwise substring matches."""
    exact = await fetch_all(
        conn,
        UserRec,
        f"{_USER_SELECT} WHERE username = ? OR email = ? ORDER BY id LIMIT ?",
        (query, query, limit),
    )
    if exact:
        return exact
    pattern = "%" + query.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    return await fetch_all(
        conn,
        UserRec,
        f"{_USER_SELECT} WHERE lower(username) LIKE lower(?) ESCAPE '\\'"
        " OR lower(email) LIKE lower(?) ESCAPE '\\' "
        "ORDER BY id LIMIT ?",
        (pattern, pattern, limit),
    )


async def create_user(
    conn: Conn,
    username: str,
    *,
    email: str | None = None,
    name: str | None = None,
    admin: bool = False,
    password: str | None = None,
    api_key: str | None = None,
    account_type: str = "USER",
) -> UserRec:
    """Create a user with its personal entity and, if given, an API key."""
    if await user_by_username(conn, username) is not None:
        raise Conflict(f"user {username!r} already exists")
    if email and await user_by_email(conn, email) is not None:
        raise Conflict(f"email {email!r} is already in use")
    entity = await _create_entity(conn, username, "USER", None)
    user_id = await insert(
        conn,
        "INSERT INTO users (username, name, email, password, admin, account_type, entity_id,"
        " default_entity_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            username,
            name or username,
            email,
            password,
            int(admin),
            account_type,
            entity.id,
            entity.id,
            utc_now(),
        ),
    )
    if api_key:
        await add_api_key(conn, user_id, api_key)
    user = await user_by_id(conn, user_id)
    assert user is not None
    return user


async def set_password(conn: Conn, user_id: int, password: str | None) -> None:
    await execute(conn, "UPDATE users SET password = ? WHERE id = ?", (password, user_id))


async def set_admin(conn: Conn, user_id: int, admin: bool) -> None:
    await execute(conn, "UPDATE users SET admin = ? WHERE id = ?", (int(admin), user_id))


async def set_default_entity(conn: Conn, user_id: int, entity_id: int) -> None:
    await execute(conn, "UPDATE users SET default_entity_id = ? WHERE id = ?", (entity_id, user_id))


async def delete_user(conn: Conn, user: UserRec) -> None:
    await execute(conn, "DELETE FROM users WHERE id = ?", (user.id,))
    await execute(conn, "DELETE FROM entities WHERE id = ?", (user.entity_id,))


async def add_api_key(
    conn: Conn, user_id: int, key: str, description: str | None = None
) -> ApiKeyRec:
    try:
        key_id = await insert(
            conn,
            "INSERT INTO api_keys (user_id, key, description, created_at) VALUES (?, ?, ?, ?)",
            (user_id, key, description, utc_now()),
        )
    except IntegrityError as exc:
        raise Conflict("API key already exists") from exc
    rec = await fetch_one(conn, ApiKeyRec, "SELECT * FROM api_keys WHERE id = ?", (key_id,))
    assert rec is not None
    return rec


async def delete_api_key(conn: Conn, key_id: int, user_id: int) -> bool:
    return (
        await execute(conn, "DELETE FROM api_keys WHERE id = ? AND user_id = ?", (key_id, user_id))
        > 0
    )


async def api_keys_of(conn: Conn, user_id: int) -> list[ApiKeyRec]:
    return await fetch_all(
        conn, ApiKeyRec, "SELECT * FROM api_keys WHERE user_id = ? ORDER BY id", (user_id,)
    )


# ----------------------------------------------------------- organizations


async def org_by_name(conn: Conn, name: str) -> OrganizationRec | None:
    return await fetch_one(
        conn, OrganizationRec, "SELECT * FROM organizations WHERE name = ?", (name,)
    )


async def org_by_id(conn: Conn, org_id: int) -> OrganizationRec | None:
    return await fetch_one(
        conn, OrganizationRec, "SELECT * FROM organizations WHERE id = ?", (org_id,)
    )


async def orgs_by_ids(conn: Conn, ids: list[int]) -> dict[int, OrganizationRec]:
    if not ids:
        return {}
    rows = await fetch_all(
        conn, OrganizationRec, f"SELECT * FROM organizations WHERE id IN ({placeholders(ids)})", ids
    )
    return {row.id: row for row in rows}


async def create_organization(conn: Conn, name: str, org_entity_name: str) -> OrganizationRec:
    if await org_by_name(conn, name) is not None:
        raise Conflict(f"organization {name!r} already exists")
    org_id = await insert(
        conn, "INSERT INTO organizations (name, created_at) VALUES (?, ?)", (name, utc_now())
    )
    entity = await _create_entity(conn, org_entity_name, "ORGANIZATION", org_id)
    await execute(
        conn, "UPDATE organizations SET org_entity_id = ? WHERE id = ?", (entity.id, org_id)
    )
    org = await org_by_id(conn, org_id)
    assert org is not None
    return org


async def free_entity_name(conn: Conn, wanted: str) -> str:
    """`wanted` if no entity has it yet, else `wanted-2`, `wanted-3`, ..."""
    candidate, n = wanted, 1
    while await entity_by_name(conn, candidate) is not None:
        n += 1
        candidate = f"{wanted}-{n}"
    return candidate


async def delete_organization(conn: Conn, org: OrganizationRec) -> None:
    """Remove the organization with its org entity and all of its teams."""
    await execute(conn, "UPDATE organizations SET org_entity_id = NULL WHERE id = ?", (org.id,))
    await execute(conn, "DELETE FROM entities WHERE organization_id = ?", (org.id,))
    await execute(conn, "DELETE FROM organizations WHERE id = ?", (org.id,))


async def set_org_member(conn: Conn, org_id: int, user_id: int, role: OrgRole) -> None:
    await execute(
        conn,
        "INSERT INTO org_members (organization_id, user_id, role) VALUES (?, ?, ?) "
        "ON CONFLICT (organization_id, user_id) DO UPDATE SET role = excluded.role",
        (org_id, user_id, role),
    )


async def org_role(conn: Conn, org_id: int, user_id: int) -> OrgRole | None:
    return await fetch_value(
        conn,
        "SELECT role FROM org_members WHERE organization_id = ? AND user_id = ?",
        (org_id, user_id),
    )


async def orgs_of_user(conn: Conn, user_id: int) -> list[OrganizationRec]:
    return await fetch_all(
        conn,
        OrganizationRec,
        "SELECT o.* FROM organizations o JOIN org_members m ON m.organization_id = o.id "
        "WHERE m.user_id = ? ORDER BY o.id",
        (user_id,),
    )


# ------------------------------------------------------------------- teams


async def create_team(conn: Conn, name: str, org_id: int | None) -> EntityRec:
    return await _create_entity(conn, name, "TEAM", org_id)


async def set_team_member(conn: Conn, entity_id: int, user_id: int, role: TeamRole) -> None:
    await execute(
        conn,
        "INSERT INTO team_members (entity_id, user_id, role) VALUES (?, ?, ?) "
        "ON CONFLICT (entity_id, user_id) DO UPDATE SET role = excluded.role",
        (entity_id, user_id, role),
    )


async def remove_team_member(conn: Conn, entity_id: int, user_id: int) -> bool:
    changed = await execute(
        conn, "DELETE FROM team_members WHERE entity_id = ? AND user_id = ?", (entity_id, user_id)
    )
    return changed > 0


async def team_role(conn: Conn, entity_id: int, user_id: int) -> TeamRole | None:
    return await fetch_value(
        conn,
        "SELECT role FROM team_members WHERE entity_id = ? AND user_id = ?",
        (entity_id, user_id),
    )


async def team_members(conn: Conn, entity_id: int) -> list[TeamMemberRec]:
    """Accepted members (in join order) followed by pending invites."""
    rows = await conn.rows(
        f"SELECT {user_columns('u')}, m.role "
        "FROM team_members m JOIN users u ON u.id = m.user_id WHERE m.entity_id = ? "
        "ORDER BY m.rowid",
        (entity_id,),
    )
    members = []
    for row in rows:
        values = dict(row)
        role = values.pop("role")
        values["admin"] = bool(values["admin"])
        members.append(TeamMemberRec(user=UserRec(**values), role=role))
    return members


async def teams_of_user(conn: Conn, user_id: int) -> list[EntityRec]:
    return await fetch_all(
        conn,
        EntityRec,
        "SELECT e.* FROM entities e JOIN team_members m ON m.entity_id = e.id "
        "WHERE m.user_id = ? ORDER BY e.id",
        (user_id,),
    )


async def create_invite(
    conn: Conn,
    entity_id: int,
    *,
    email: str | None,
    username: str | None,
    admin: bool,
    accepted: bool,
) -> InviteRec:
    invite_id = await insert(
        conn,
        "INSERT INTO invites (entity_id, email, username, admin, accepted, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (entity_id, email, username, int(admin), int(accepted), utc_now()),
    )
    invite = await invite_by_id(conn, invite_id)
    assert invite is not None
    return invite


async def invite_by_id(conn: Conn, invite_id: int) -> InviteRec | None:
    return await fetch_one(conn, InviteRec, "SELECT * FROM invites WHERE id = ?", (invite_id,))


async def pending_invites(conn: Conn, entity_id: int) -> list[InviteRec]:
    return await fetch_all(
        conn,
        InviteRec,
        "SELECT * FROM invites WHERE entity_id = ? AND accepted = 0 ORDER BY id",
        (entity_id,),
    )


async def delete_invite(conn: Conn, invite_id: int) -> bool:
    return await execute(conn, "DELETE FROM invites WHERE id = ?", (invite_id,)) > 0


async def require_entity(conn: Conn, name: str) -> EntityRec:
    entity = await entity_by_name(conn, name)
    if entity is None:
        raise NotFound(f"entity {name!r} not found")
    return entity
