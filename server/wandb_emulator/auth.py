"""Authentication of requests and every permission rule of the emulator.

Registry roles, weakest first: restricted_viewer, viewer, member, admin.
- Organization admins are admins of every registry of their organization.
- A registry with `organization` visibility (project access PRIVATE) is visible to
  every organization member; those without an explicit role (their own or a team's)
  hold the viewer role.
- A `restricted` registry (access RESTRICTED) is visible only to its user members
  and to members of its team members (and to organization admins).
- Users outside the organization see no registry of it.
- The registry role decides what a member may do in the registry, whatever their
  organization role: an organization viewer who is a registry member links and edits.

Other rules: organization admins and members create projects, registries and teams in
it (viewers do not); team admins and organization admins administer a team; users and
team members create projects in their own entity; only instance admins create users,
and users update only themselves unless they are instance admins.

The `require_*` functions apply a rule and raise the domain's NotFound/PermissionDenied
with the caller's wording; every refusal goes through them.
"""

from __future__ import annotations

import base64
import binascii
import hmac

from .domain.errors import NotFound, PermissionDenied
from .records import (
    ORG_ROLES,
    REGISTRY_ROLES,
    ArtifactRec,
    EntityRec,
    OrganizationRec,
    ProjectAccess,
    ProjectRec,
    RegistryRole,
    UserRec,
)
from .store import accounts, artifacts, projects
from .store.database import Conn
from .store.listing import NOTHING, Where

__all__ = ["ORG_ROLES", "REGISTRY_ROLES"]

REGISTRY_PREFIX = "wandb-registry-"
_RANK: dict[RegistryRole, int] = {role: rank for rank, role in enumerate(REGISTRY_ROLES)}
RESTRICTED_ACCESS: ProjectAccess = "RESTRICTED"


def api_key_from_header(authorization: str | None) -> str | None:
    """The API key of a `Basic base64(api:KEY)` or `Bearer KEY` header."""
    if not authorization:
        return None
    scheme, _, credentials = authorization.partition(" ")
    scheme = scheme.lower()
    if scheme == "bearer":
        return credentials.strip() or None
    if scheme != "basic":
        return None
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeError):
        return None
    _, sep, key = decoded.partition(":")
    return key if sep and key else None


async def authenticate(conn: Conn, authorization: str | None) -> UserRec | None:
    key = api_key_from_header(authorization)
    if key is None:
        return None
    return await accounts.user_by_api_key(conn, key)


async def may_control(conn: Conn, authorization: str | None, control_token: str) -> bool:
    """The /_emulator endpoints: the control token `serve` prints, or an instance admin's key."""
    key = api_key_from_header(authorization)
    if key is None:
        return False
    if hmac.compare_digest(key.encode(), control_token.encode()):
        return True
    user = await accounts.user_by_api_key(conn, key)
    return user is not None and user.admin


def may_use_panel(user: UserRec | None) -> bool:
    """The web UI's emulator panel: the same power as /_emulator/*, so instance admins only."""
    return user is not None and user.admin


def is_registry(project: ProjectRec) -> bool:
    return project.name.startswith(REGISTRY_PREFIX)


def strongest(roles: list[RegistryRole]) -> RegistryRole | None:
    known = [role for role in roles if role in _RANK]
    if not known:
        return None
    best: RegistryRole = max(known, key=_RANK.__getitem__)
    return best


def role_at_least(role: RegistryRole | None, minimum: RegistryRole) -> bool:
    return role is not None and _RANK[role] >= _RANK[minimum]


async def registry_role(
    conn: Conn, user: UserRec, project: ProjectRec, org: OrganizationRec
) -> RegistryRole | None:
    """The user's effective role in a registry of `org`, or None when it is invisible."""
    org_role = await accounts.org_role(conn, org.id, user.id)
    if org_role is None:
        return None
    if org_role == "admin":
        return "admin"
    roles = await projects.team_roles_of_user(conn, project.id, user.id)
    direct = await projects.direct_user_role(conn, project.id, user.id)
    if direct is not None:
        roles.append(direct)
    if not roles and project.access != RESTRICTED_ACCESS:
        roles.append("viewer")  # explicit roles, even weaker ones, replace the default
    # The registry role decides, for organization viewers too: a viewer of the
    # organization who is a registry member or admin writes in that registry.
    return strongest(roles)


async def entity_role(conn: Conn, user: UserRec, entity: EntityRec) -> RegistryRole | None:
    """The user's role in a user/team/org entity: admin, member, viewer or None."""
    if entity.kind == "USER":
        owner = await accounts.user_by_entity(conn, entity.id)
        return "admin" if owner is not None and owner.id == user.id else None
    if entity.kind == "TEAM":
        return await accounts.team_role(conn, entity.id, user.id)
    if entity.organization_id is None:
        return None
    return await accounts.org_role(conn, entity.organization_id, user.id)


async def project_role(conn: Conn, user: UserRec, project: ProjectRec) -> RegistryRole | None:
    """The user's role in any project: registry roles in org entities, else entity roles."""
    entity = await accounts.entity_by_id(conn, project.entity_id)
    if entity is None:
        return None
    if entity.kind == "ORGANIZATION" and entity.organization_id is not None:
        org = await accounts.org_by_id(conn, entity.organization_id)
        return None if org is None else await registry_role(conn, user, project, org)
    return await entity_role(conn, user, entity)


async def visible_projects(conn: Conn, user: UserRec, entity: EntityRec) -> Where:
    """The projects of `entity` the user may see (`can_view_project`, as a listing scope)."""
    if entity.kind == "ORGANIZATION" and entity.organization_id is not None:
        org_role = await accounts.org_role(conn, entity.organization_id, user.id)
        if org_role is None:
            return NOTHING
        return Where() if org_role == "admin" else projects.registries_visible_to(user.id)
    return Where() if await entity_role(conn, user, entity) is not None else NOTHING


async def can_write_project(conn: Conn, user: UserRec, project: ProjectRec) -> bool:
    """Members and admins write (runs, artifacts, links); viewers only read."""
    return role_at_least(await project_role(conn, user, project), "member")


async def can_view_project(conn: Conn, user: UserRec, project: ProjectRec) -> bool:
    return await project_role(conn, user, project) is not None


async def can_create_in_org(conn: Conn, user: UserRec, org: OrganizationRec) -> bool:
    """Organization admins and members create registries and teams; viewers do not."""
    return await accounts.org_role(conn, org.id, user.id) in ("admin", "member")


can_create_registry = can_create_in_org


async def can_create_in(conn: Conn, user: UserRec, entity: EntityRec) -> bool:
    """May the user create projects (registries in an organization's entity) there?"""
    if entity.kind == "ORGANIZATION" and entity.organization_id is not None:
        org = await accounts.org_by_id(conn, entity.organization_id)
        return org is not None and await can_create_in_org(conn, user, org)
    return await entity_role(conn, user, entity) in ("admin", "member")


async def can_admin_team(conn: Conn, user: UserRec, team: EntityRec) -> bool:
    """Team admins, and admins of the team's organization."""
    if await accounts.team_role(conn, team.id, user.id) == "admin":
        return True
    return team.organization_id is not None and (
        await accounts.org_role(conn, team.organization_id, user.id) == "admin"
    )


def can_create_users(user: UserRec) -> bool:
    return user.admin


def can_update_user(actor: UserRec, user_id: int) -> bool:
    return user_id == actor.id or actor.admin


async def is_org_member(conn: Conn, user: UserRec, org_id: int | None) -> bool:
    """Organizations, their names and their membership are visible to members only."""
    return org_id is not None and await accounts.org_role(conn, org_id, user.id) is not None


async def shares_an_org(conn: Conn, viewer: UserRec, user: UserRec) -> bool:
    if viewer.id == user.id:
        return True
    viewer_orgs = {org.id for org in await accounts.orgs_of_user(conn, viewer.id)}
    return any(org.id in viewer_orgs for org in await accounts.orgs_of_user(conn, user.id))


async def visible_orgs_of(conn: Conn, viewer: UserRec, user: UserRec) -> list[OrganizationRec]:
    """The organizations of `user` that `viewer` may know about: the ones both are in."""
    orgs = await accounts.orgs_of_user(conn, user.id)
    if viewer.id == user.id:
        return orgs
    return [org for org in orgs if await is_org_member(conn, viewer, org.id)]


async def visible_teams_of(conn: Conn, viewer: UserRec, user: UserRec) -> list[EntityRec]:
    """The teams of `user` that `viewer` may know about: those of the viewer's orgs."""
    teams = await accounts.teams_of_user(conn, user.id)
    if viewer.id == user.id:
        return teams
    return [team for team in teams if await is_org_member(conn, viewer, team.organization_id)]


async def can_view_team_members(conn: Conn, viewer: UserRec, team: EntityRec) -> bool:
    """A team's members are visible to its members and to its organization's members."""
    return await accounts.team_role(conn, team.id, viewer.id) is not None or (
        await is_org_member(conn, viewer, team.organization_id)
    )


def can_search_users(user: UserRec) -> bool:
    """Searching users by part of a name is for instance admins (as the SDK documents)."""
    return user.admin


async def can_view_org(conn: Conn, user: UserRec, org: OrganizationRec) -> bool:
    return await accounts.org_role(conn, org.id, user.id) is not None


async def _roles_over_artifact(
    conn: Conn, user: UserRec, artifact: ArtifactRec
) -> list[RegistryRole]:
    """The user's roles in every project holding the artifact (source and links)."""
    collection_ids = [artifact.sequence_id] + [
        m.collection_id for m in await artifacts.memberships_of_artifact(conn, artifact.id)
    ]
    roles: list[RegistryRole] = []
    for collection in (await artifacts.collections_by_ids(conn, collection_ids)).values():
        project = await projects.project_by_id(conn, collection.project_id)
        if project is not None and (role := await project_role(conn, user, project)):
            roles.append(role)
    return roles


async def can_view_artifact(conn: Conn, user: UserRec, artifact: ArtifactRec) -> bool:
    return bool(await _roles_over_artifact(conn, user, artifact))


async def can_download_artifact(conn: Conn, user: UserRec, artifact: ArtifactRec) -> bool:
    """Restricted viewers see a registry's versions but may not fetch their files."""
    return any(r != "restricted_viewer" for r in await _roles_over_artifact(conn, user, artifact))


# ------------------------------------------------------------ checks that raise


async def require_project_role(
    conn: Conn,
    user: UserRec,
    project: ProjectRec | None,
    minimum: RegistryRole,
    *,
    not_found: str = "project not found",
    forbidden: str | None = None,
) -> RegistryRole:
    """The user's role in `project` when at least `minimum`.

    NotFound(`not_found`) when the project is missing or invisible to the user;
    PermissionDenied(`forbidden`, by default "permission denied: ROLE role cannot modify
    'NAME'") when the role is weaker than `minimum`.
    """
    role = await project_role(conn, user, project) if project is not None else None
    if project is None or role is None:
        raise NotFound(not_found)
    require_role(role, minimum, forbidden or cannot_modify(role, project))
    return role


def require_role(role: RegistryRole, minimum: RegistryRole, forbidden: str) -> None:
    if not role_at_least(role, minimum):
        raise PermissionDenied(forbidden)


def cannot_modify(role: RegistryRole, project: ProjectRec) -> str:
    return f"permission denied: {role} role cannot modify {project.name!r}"


async def require_create_in(conn: Conn, user: UserRec, entity: EntityRec) -> None:
    if not await can_create_in(conn, user, entity):
        raise PermissionDenied(f"permission denied: cannot create projects in {entity.name!r}")


async def require_create_teams_in(conn: Conn, user: UserRec, org: OrganizationRec) -> None:
    if not await can_create_in_org(conn, user, org):
        raise PermissionDenied(f"permission denied: cannot create teams in {org.name!r}")


async def require_team_admin(conn: Conn, user: UserRec, team: EntityRec) -> None:
    if not await can_admin_team(conn, user, team):
        raise PermissionDenied(f"permission denied: only admins of {team.name!r} can do this")


def require_create_users(user: UserRec) -> None:
    if not can_create_users(user):
        raise PermissionDenied("permission denied: only instance admins create users")


SEARCH_FOR_ADMINS = (
    "permission denied: searching users is for instance admins; others can look up a"
    " member of their organizations by exact username or email"
)


def require_update_user(actor: UserRec, user_id: int) -> None:
    if not can_update_user(actor, user_id):
        raise PermissionDenied("you can only update your own user")


async def can_manage_entity(conn: Conn, user: UserRec, entity: EntityRec) -> bool:
    """Integrations and secrets of an entity: its admins (the owner of a personal entity)."""
    return await entity_role(conn, user, entity) == "admin"


async def can_manage_automations(conn: Conn, user: UserRec, project: ProjectRec) -> bool:
    """Automations scoped to a project, registry or collection: its (registry) admins."""
    return await project_role(conn, user, project) == "admin"


MAX_BLOB_HOLDERS_CHECKED = 200


async def can_read_blob(conn: Conn, user: UserRec, blob_key: str) -> bool:
    """File bytes by digest: only for users who may download a version holding them."""
    for artifact in await artifacts.artifacts_holding_blob(
        conn, blob_key, MAX_BLOB_HOLDERS_CHECKED
    ):
        if await can_download_artifact(conn, user, artifact):
            return True
    return False
