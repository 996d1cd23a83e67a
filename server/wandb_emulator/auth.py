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

from .domain.errors import NotFound, PermissionDenied
from .store import accounts, artifacts, projects
from .store.database import Conn
from .store.listing import Where
from .store.records import ArtifactRec, EntityRec, OrganizationRec, ProjectRec, UserRec

REGISTRY_PREFIX = "wandb-registry-"
REGISTRY_ROLES = ("restricted_viewer", "viewer", "member", "admin")
ORG_ROLES = ("admin", "member", "viewer")
_RANK = {role: rank for rank, role in enumerate(REGISTRY_ROLES)}
RESTRICTED_ACCESS = "RESTRICTED"


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


def is_registry(project: ProjectRec) -> bool:
    return project.name.startswith(REGISTRY_PREFIX)


def strongest(roles: list[str]) -> str | None:
    known = [role for role in roles if role in _RANK]
    return max(known, key=_RANK.__getitem__) if known else None


def role_at_least(role: str | None, minimum: str) -> bool:
    return role is not None and _RANK[role] >= _RANK[minimum]


async def registry_role(
    conn: Conn, user: UserRec, project: ProjectRec, org: OrganizationRec
) -> str | None:
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


async def entity_role(conn: Conn, user: UserRec, entity: EntityRec) -> str | None:
    """The user's role in a user/team/org entity: admin, member, viewer or None."""
    if entity.kind == "USER":
        owner = await accounts.user_by_entity(conn, entity.id)
        return "admin" if owner is not None and owner.id == user.id else None
    if entity.kind == "TEAM":
        return await accounts.team_role(conn, entity.id, user.id)
    if entity.organization_id is None:
        return None
    return await accounts.org_role(conn, entity.organization_id, user.id)


async def project_role(conn: Conn, user: UserRec, project: ProjectRec) -> str | None:
    """The user's role in any project: registry roles in org entities, else entity roles."""
    entity = await accounts.entity_by_id(conn, project.entity_id)
    if entity is None:
        return None
    if entity.kind == "ORGANIZATION" and entity.organization_id is not None:
        org = await accounts.org_by_id(conn, entity.organization_id)
        return None if org is None else await registry_role(conn, user, project, org)
    return await entity_role(conn, user, entity)


NOTHING = Where("0")


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


async def can_view_org(conn: Conn, user: UserRec, org: OrganizationRec) -> bool:
    return await accounts.org_role(conn, org.id, user.id) is not None


async def _roles_over_artifact(conn: Conn, user: UserRec, artifact: ArtifactRec) -> list[str]:
    """The user's roles in every project holding the artifact (source and links)."""
    collection_ids = [artifact.sequence_id] + [
        m.collection_id for m in await artifacts.memberships_of_artifact(conn, artifact.id)
    ]
    roles = []
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
    minimum: str,
    *,
    not_found: str = "project not found",
    forbidden: str | None = None,
) -> str:
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


def require_role(role: str, minimum: str, forbidden: str) -> None:
    if not role_at_least(role, minimum):
        raise PermissionDenied(forbidden)


def cannot_modify(role: str, project: ProjectRec) -> str:
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


def require_update_user(actor: UserRec, user_id: int) -> None:
    if not can_update_user(actor, user_id):
        raise PermissionDenied("you can only update your own user")


async def can_manage_entity(conn: Conn, user: UserRec, entity: EntityRec) -> bool:
    """Integrations and secrets of an entity: its admins (the owner of a personal entity)."""
    return await entity_role(conn, user, entity) == "admin"


async def can_manage_automations(conn: Conn, user: UserRec, project: ProjectRec) -> bool:
    """Automations scoped to a project, registry or collection: its (registry) admins."""
    return await project_role(conn, user, project) == "admin"
