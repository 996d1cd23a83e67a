"""Users, API keys, organizations, entities and teams, as far as the viewer may know
them: organizations and their teams are visible to their members only, users to those
who share an organization with them (instance admins search everyone)."""

from __future__ import annotations

from typing import TypeVar

from ... import auth
from ...ids import decode_id
from ...records import (
    ApiKeyRec,
    EntityRec,
    InviteRec,
    OrganizationRec,
    OrgRole,
    TeamMemberRec,
    UserRec,
)
from ...store import accounts
from ...store.database import Conn, Database
from .session import ReadSession

T = TypeVar("T")

# ------------------------------------------------------------- signing in


async def user_by_id(db: Database, user_id: int) -> UserRec | None:
    """The user a UI session names (before there is a viewer to read for)."""
    async with db.read() as conn:
        return await accounts.user_by_id(conn, user_id)


async def user_by_api_key(db: Database, key: str) -> UserRec | None:
    """The user an API key belongs to (signing in to the UI)."""
    async with db.read() as conn:
        return await accounts.user_by_api_key(conn, key)


# ------------------------------------------------------------------ users


async def find_users(reads: ReadSession, query: str, limit: int) -> list[UserRec]:
    """Users matching `query`: a substring search for instance admins; for everyone else
    the user with exactly that username or email, if the viewer shares an organization
    with it (PermissionDenied otherwise, the same whether it exists or not)."""
    async with reads.db.read() as conn:
        if await auth.allows(conn, reads.viewer, auth.Action.SEARCH_USERS, None):
            return await accounts.search_users(conn, query, limit)
        user = await accounts.user_by_username(conn, query) or await accounts.user_by_email(
            conn, query
        )
        found = user if limit > 0 else None
        await auth.check(conn, reads.viewer, auth.Action.LOOK_UP_USER, found)
    assert found is not None
    return [found]


async def api_keys_of(reads: ReadSession, user: UserRec) -> list[ApiKeyRec]:
    """The user's API keys, for the user and instance admins (none for the others)."""
    async with reads.db.read() as conn:
        if not await auth.allows(conn, reads.viewer, auth.Action.READ_API_KEYS, user):
            return []
        return await accounts.api_keys_of(conn, user.id)


async def teams_of(reads: ReadSession, user: UserRec) -> list[EntityRec]:
    """`User.teams` as W&B lists it: the user's own entity first, then the teams of `user`
    the viewer may know about: those of the viewer's organizations (all of them for the
    user itself)."""
    async with reads.db.read() as conn:
        own = await accounts.entity_by_id(conn, user.entity_id)
        teams = await accounts.teams_of_user(conn, user.id)
        known = await _known_to_viewer(reads, conn, user, teams, [t.organization_id for t in teams])
    return [*([own] if own is not None else []), *known]


async def organizations_of(reads: ReadSession, user: UserRec) -> list[OrganizationRec]:
    """The organizations of `user` the viewer may know about: the ones both are in."""
    async with reads.db.read() as conn:
        orgs = await accounts.orgs_of_user(conn, user.id)
        return await _known_to_viewer(reads, conn, user, orgs, [org.id for org in orgs])


async def _known_to_viewer(
    reads: ReadSession, conn: Conn, user: UserRec, found: list[T], org_ids: list[int | None]
) -> list[T]:
    """What the viewer may know of `user`'s teams or organizations (`org_ids`, in the same
    order): everything for the user itself, else what the organizations' members see."""
    if reads.viewer.id == user.id:
        return found
    return [
        item
        for item, org_id in zip(found, org_ids, strict=True)
        if await auth.allows(conn, reads.viewer, auth.Action.VIEW_ORGANIZATION, org_id)
    ]


async def viewer_teams(reads: ReadSession) -> list[EntityRec]:
    async with reads.db.read() as conn:
        return await accounts.teams_of_user(conn, reads.viewer.id)


# ---------------------------------------------------------- organizations


async def organization(
    reads: ReadSession, name: str | None = None, global_id: str | None = None
) -> OrganizationRec | None:
    """The organization with this global id, else this name, if the viewer is a member."""
    async with reads.db.read() as conn:
        if global_id is not None:
            org = await accounts.org_by_id(conn, decode_id(global_id, "Organization"))
        else:
            org = await accounts.org_by_name(conn, name) if name else None
        if org is None or not await auth.allows(
            conn, reads.viewer, auth.Action.VIEW_ORGANIZATION, org.id
        ):
            return None
    return org


async def viewer_org_role(reads: ReadSession, org: OrganizationRec) -> OrgRole | None:
    async with reads.db.read() as conn:
        return await accounts.org_role(conn, org.id, reads.viewer.id)


async def org_entity(reads: ReadSession, org_name: str) -> EntityRec | None:
    """The entity of an organization's registries (its name is no secret: registries
    are found in it by name, and only the visible ones)."""
    async with reads.db.read() as conn:
        org = await accounts.org_by_name(conn, org_name)
        if org is None or org.org_entity_id is None:
            return None
        return await accounts.entity_by_id(conn, org.org_entity_id)


# --------------------------------------------------------------- entities


async def entity_by_name(reads: ReadSession, name: str | None) -> EntityRec | None:
    """Any entity by name (entities are public; what they hold is filtered)."""
    if not name:
        return None
    async with reads.db.read() as conn:
        return await accounts.entity_by_name(conn, name)


async def entity_organization(reads: ReadSession, entity: EntityRec) -> OrganizationRec | None:
    """A team's (or an org entity's) organization, for members of the organization."""
    if not await reads.allows(auth.Action.VIEW_ORGANIZATION, entity.organization_id):
        return None
    assert entity.organization_id is not None
    return await reads.loaders.organization.load(entity.organization_id)


async def team_members(
    reads: ReadSession, team: EntityRec
) -> tuple[list[TeamMemberRec], list[InviteRec]]:
    """A team's members and pending invitations, for those who may see them. A personal
    entity read as a team has its user as its one (admin) member, as on W&B."""
    if team.kind == "USER":
        owner = await owner_of(reads, team)
        return ([] if owner is None else [TeamMemberRec(user=owner, role="admin")]), []
    if team.kind != "TEAM":
        return [], []
    async with reads.db.read() as conn:
        if not await auth.allows(conn, reads.viewer, auth.Action.VIEW_TEAM_MEMBERS, team):
            return [], []
        return (
            await accounts.team_members(conn, team.id),
            await accounts.pending_invites(conn, team.id),
        )


async def owner_of(reads: ReadSession, entity: EntityRec) -> UserRec | None:
    """The user owning a personal entity."""
    if entity.kind != "USER":
        return None
    async with reads.db.read() as conn:
        return await accounts.user_by_entity(conn, entity.id)
