"""Accounts: users, API keys, teams, invitations and service accounts.

Functions taking an `actor` enforce the actor's permissions (`auth`). The functions
without one are system operations for seed files and the fixture service (W&B's
local-testcontainer protocol): they enforce naming rules, not permissions. Lookups
that take a connection (`require_user`, ...) also serve other domain modules.
"""

from __future__ import annotations

import secrets
from typing import NoReturn

from .. import auth
from ..naming import check_name
from ..records import (
    ApiKeyRec,
    EntityRec,
    InviteRec,
    OrganizationRec,
    TeamRole,
    UserRec,
)
from ..store import accounts
from ..store.database import Conn
from .errors import InvalidInput, NotFound
from .unit import Tx


def new_api_key() -> str:
    return "local-" + secrets.token_hex(20)


def username_from(local_part: str) -> str:
    """A valid username from an email's local part ("jane.doe+x" -> "jane-doe-x")."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in local_part.lower())
    return cleaned.strip("-") or "user"


# ------------------------------------------------------------------ lookups


async def require_user(conn: Conn, username: str) -> UserRec:
    user = await accounts.user_by_username(conn, username)
    if user is None:
        raise NotFound(f"user {username!r} not found")
    return user


async def require_organization(conn: Conn, name: str) -> OrganizationRec:
    org = await accounts.org_by_name(conn, name)
    if org is None:
        raise NotFound(f"organization {name!r} not found")
    return org


async def require_team(conn: Conn, name: str | None) -> EntityRec:
    team = await accounts.entity_by_name(conn, name) if name else None
    if team is None or team.kind != "TEAM":
        raise NotFound(f"team {name!r} not found")
    return team


# -------------------------------------------------------------------- users


async def create_user(tx: Tx, actor: UserRec, email: str, *, admin: bool = False) -> UserRec:
    """A new user named after the email's local part (instance admins only)."""
    await auth.check(tx.conn, actor, auth.Action.CREATE_USERS, None)
    local_part, at, domain = email.partition("@")
    if not at or not local_part or not domain:
        raise InvalidInput(f"invalid email {email!r}")
    username = await accounts.free_entity_name(tx.conn, username_from(local_part))
    return await accounts.create_user(
        tx.conn, username, email=email, admin=admin, api_key=new_api_key()
    )


async def update_user(
    tx: Tx, actor: UserRec, user_id: int | None, *, default_entity: str | None = None
) -> UserRec | None:
    """Change a user (the actor when `user_id` is None): its default entity."""
    user_id = actor.id if user_id is None else user_id
    await auth.check(tx.conn, actor, auth.Action.UPDATE_USER, user_id)
    if default_entity is not None:
        entity = await accounts.entity_by_name(tx.conn, default_entity)
        if entity is None:
            raise NotFound(f"entity {default_entity!r} not found")
        await accounts.set_default_entity(tx.conn, user_id, entity.id)
    return await accounts.user_by_id(tx.conn, user_id)


def refuse_anonymous_entities() -> NoReturn:
    raise InvalidInput("anonymous mode is not supported: log in with an API key")


async def generate_api_key(tx: Tx, actor: UserRec, description: str | None) -> ApiKeyRec:
    return await accounts.add_api_key(tx.conn, actor.id, new_api_key(), description)


async def delete_api_key(tx: Tx, actor: UserRec, key_id: int) -> bool:
    """Delete one of the actor's own keys; False when the actor has no such key."""
    return await accounts.delete_api_key(tx.conn, key_id, actor.id)


# -------------------------------------------------------------------- teams


async def _home_org(conn: Conn, actor: UserRec, org_id: int | None) -> OrganizationRec | None:
    """The organization a new team goes into: the given one, else the one of the
    actor's default entity, else the actor's only organization; none for an actor in no
    organization or in several."""
    if org_id is not None:
        org = await accounts.org_by_id(conn, org_id)
        if org is None:
            raise NotFound("organization not found")
    else:
        default = await accounts.entity_by_id(conn, actor.default_entity_id or actor.entity_id)
        if default is not None and default.organization_id is not None:
            org = await accounts.org_by_id(conn, default.organization_id)
        else:
            # A user in several organizations who names none gets a team in none, as W&B
            # creates it: no organization is picked for them.
            orgs = await accounts.orgs_of_user(conn, actor.id)
            org = orgs[0] if len(orgs) == 1 else None
    if org is not None:
        await auth.check(conn, actor, auth.Action.CREATE_TEAMS_IN, org)
    return org


async def _join_team(conn: Conn, team: EntityRec, user: UserRec, role: TeamRole) -> None:
    """Make the user a team member with `role`, and a member of the team's organization
    if they were not in it."""
    await accounts.set_team_member(conn, team.id, user.id, role)
    if team.organization_id is not None and (
        await accounts.org_role(conn, team.organization_id, user.id) is None
    ):
        await accounts.set_org_member(conn, team.organization_id, user.id, "member")


async def create_team(
    tx: Tx,
    actor: UserRec,
    name: str,
    *,
    organization_id: int | None = None,
    admin_username: str | None = None,
) -> EntityRec:
    """A team in the given organization (else the actor's), administered by the named
    user (else the actor)."""
    name = check_name("team", name)
    org = await _home_org(tx.conn, actor, organization_id)
    admin = actor
    if admin_username:
        found = await accounts.user_by_username(tx.conn, admin_username)
        if found is None:
            raise NotFound(f"user {admin_username!r} not found")
        admin = found
    team = await accounts.create_team(tx.conn, name, org.id if org else None)
    await _join_team(tx.conn, team, admin, "admin")
    return team


async def create_service_account(
    tx: Tx, actor: UserRec, team_name: str, description: str
) -> UserRec:
    """A non-human member of the team (team admins only)."""
    team = await require_team(tx.conn, team_name)
    await auth.check(tx.conn, actor, auth.Action.ADMINISTER_TEAM, team)
    username = await accounts.free_entity_name(tx.conn, f"{team.name}-service")
    account = await accounts.create_user(
        tx.conn, username, name=description, account_type="SERVICE", api_key=new_api_key()
    )
    await _join_team(tx.conn, team, account, "member")
    return account


async def _invitee(conn: Conn, email: str | None, username: str | None) -> UserRec | None:
    if username:
        return await require_user(conn, username)
    if email:
        return await accounts.user_by_email(conn, email)
    raise InvalidInput("an invite needs an email or a username")


async def create_invite(
    tx: Tx,
    actor: UserRec,
    team_name: str,
    *,
    email: str | None = None,
    username: str | None = None,
    admin: bool = False,
) -> tuple[InviteRec, UserRec | None]:
    """Invite to a team (team admins only): existing users join at once, the others'
    invitations stay pending. The invitation and the user who joined, if any."""
    team = await require_team(tx.conn, team_name)
    await auth.check(tx.conn, actor, auth.Action.ADMINISTER_TEAM, team)
    user = await _invitee(tx.conn, email, username)
    if user is not None:
        if await accounts.team_role(tx.conn, team.id, user.id) is not None:
            raise InvalidInput(f"{user.username!r} is already a member of {team.name!r}")
        await _join_team(tx.conn, team, user, "admin" if admin else "member")
    invite = await accounts.create_invite(
        tx.conn,
        team.id,
        email=email,
        username=username,
        admin=admin,
        accepted=user is not None,
    )
    return invite, user


async def remove_team_member(tx: Tx, actor: UserRec, team_name: str | None, user_id: int) -> bool:
    """Members may leave; team admins remove anyone."""
    team = await require_team(tx.conn, team_name)
    if user_id != actor.id:
        await auth.check(tx.conn, actor, auth.Action.ADMINISTER_TEAM, team)
    return await accounts.remove_team_member(tx.conn, team.id, user_id)


async def delete_invite(tx: Tx, actor: UserRec, invite_id: int) -> bool:
    invite = await accounts.invite_by_id(tx.conn, invite_id)
    if invite is None:
        raise NotFound("invite not found")
    team = await accounts.entity_by_id(tx.conn, invite.entity_id)
    assert team is not None
    await auth.check(tx.conn, actor, auth.Action.ADMINISTER_TEAM, team)
    return await accounts.delete_invite(tx.conn, invite_id)


# ---------------------------------------------- system operations (seeding)


async def ensure_user(
    tx: Tx,
    username: str,
    *,
    email: str | None = None,
    api_key: str | None = None,
    admin: bool = False,
    password: str | None = None,
) -> UserRec:
    """Create the user if missing. Its API key defaults to its username, as in W&B's tests."""
    check_name("user", username)
    user = await accounts.user_by_username(tx.conn, username)
    if user is None:
        user = await accounts.create_user(
            tx.conn,
            username,
            email=email or f"{username}@example.com",
            admin=admin,
            password=password,
            api_key=api_key or username,
        )
    return user


async def set_password(
    tx: Tx, username: str, password: str | None, *, admin: bool | None = None
) -> UserRec:
    user = await require_user(tx.conn, username)
    await accounts.set_password(tx.conn, user.id, password)
    if admin is not None:
        await accounts.set_admin(tx.conn, user.id, admin)
    return user


async def delete_user(tx: Tx, username: str) -> bool:
    user = await accounts.user_by_username(tx.conn, username)
    if user is not None:
        await accounts.delete_user(tx.conn, user)
    return user is not None


async def delete_all_users(tx: Tx) -> None:
    for user in await accounts.all_users(tx.conn):
        await accounts.delete_user(tx.conn, user)


async def set_default_entity(tx: Tx, username: str, entity_name: str) -> None:
    user = await require_user(tx.conn, username)
    entity = await accounts.require_entity(tx.conn, entity_name)
    await accounts.set_default_entity(tx.conn, user.id, entity.id)


async def ensure_team(tx: Tx, name: str, org: OrganizationRec) -> EntityRec:
    check_name("team", name)
    team = await accounts.entity_by_name(tx.conn, name)
    if team is None:
        team = await accounts.create_team(tx.conn, name, org.id if org else None)
    elif team.kind != "TEAM" or team.organization_id != org.id:
        raise InvalidInput(f"entity {name!r} exists and is not a team of {org.name!r}")
    return team


async def add_team_member(tx: Tx, team: EntityRec, username: str, role: str) -> None:
    """Any role but "admin" makes a plain member (as W&B's fixture service does)."""
    user = await require_user(tx.conn, username)
    await _join_team(tx.conn, team, user, "admin" if role == "admin" else "member")
