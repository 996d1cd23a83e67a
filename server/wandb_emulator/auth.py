"""Authentication of requests, and the permission gate: every rule of the emulator, in
one table keyed by action, applied by `check` (the only place that raises
PermissionDenied) and by its boolean twin `allows` (for reads that filter).

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

Invisible or refused. A rule answers None (allowed) or a `Denied`. A refusal is
*invisible* when the actor may not know that the resource exists (it is missing, or the
actor holds no role that shows it): `check` raises NotFound, worded as for a missing
resource. Otherwise the actor sees the resource but may not do this: PermissionDenied.
Some rules never answer invisible, on purpose: looking up a user is refused the same
whether the user exists or not, and a run reached by its id is refused, not hidden.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import Enum
from typing import Any

from .domain.errors import NotFound, PermissionDenied
from .records import (
    ORG_ROLES,
    REGISTRY_ROLES,
    ArtifactRec,
    CollectionRec,
    EntityRec,
    OrganizationRec,
    OrgRole,
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


async def is_control_request(conn: Conn, authorization: str | None, control_token: str) -> bool:
    """The /_emulator endpoints: the control token `serve` prints, or the key of a user
    the gate lets control the emulator (an instance admin)."""
    key = api_key_from_header(authorization)
    if key is None:
        return False
    if hmac.compare_digest(key.encode(), control_token.encode()):
        return True
    user = await accounts.user_by_api_key(conn, key)
    return user is not None and await allows(conn, user, Action.CONTROL_EMULATOR, None)


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
    """The projects of `entity` the user may see: the VIEW_PROJECT rule as a listing scope."""
    if entity.kind == "ORGANIZATION" and entity.organization_id is not None:
        org_role = await accounts.org_role(conn, entity.organization_id, user.id)
        if org_role is None:
            return NOTHING
        return Where() if org_role == "admin" else projects.registries_visible_to(user.id)
    return Where() if await entity_role(conn, user, entity) is not None else NOTHING


async def _org_role(conn: Conn, user: UserRec, org_id: int | None) -> OrgRole | None:
    return None if org_id is None else await accounts.org_role(conn, org_id, user.id)


async def _shares_an_org(conn: Conn, viewer: UserRec, user: UserRec) -> bool:
    if viewer.id == user.id:
        return True
    viewer_orgs = {org.id for org in await accounts.orgs_of_user(conn, viewer.id)}
    return any(org.id in viewer_orgs for org in await accounts.orgs_of_user(conn, user.id))


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


# ------------------------------------------------------------------ the gate


class Action(Enum):
    """What an actor asks to do. The resource each rule takes is noted per group."""

    # a project or registry (ProjectRec, None when missing)
    VIEW_PROJECT = "view a project"
    WRITE_PROJECT = "write in a project: runs, artifacts, links, versions, collections"
    ADMINISTER_PROJECT = "change a project's settings, members; delete it"
    RENAME_PROJECT = "rename a project"
    WRITE_INTO_PROJECT = "write runs or artifacts into a project named by entity/project"
    STREAM_TO_RUN = "stream a run's files and history (file_stream)"
    UPDATE_RUN = "update a run named by its id"
    UPDATE_SWEEP = "update a sweep"
    MANAGE_AUTOMATIONS = "create or change automations scoped to a project or its collections"
    DELETE_AUTOMATION = "delete an automation"
    # a collection (CollectionRec) the actor may write already
    UNLINK_FROM_COLLECTION = "unlink a version from a collection"
    # an artifact version (ArtifactRec, None when missing), or a blob key (str)
    VIEW_ARTIFACT = "view an artifact version"
    DOWNLOAD_ARTIFACT = "download an artifact version's files and manifest"
    READ_BLOB = "fetch file bytes by digest"
    # an entity (EntityRec, None when missing) or an organization
    VIEW_ENTITY = "view an entity's integrations"
    CREATE_PROJECTS_IN = "create projects (registries in an org entity) in an entity"
    MANAGE_SECRETS = "manage an entity's secrets"
    MANAGE_INTEGRATIONS = "manage an entity's integrations"
    USE_INTEGRATION = "use an integration of its owning entity in an automation"
    ADMINISTER_TEAM = "invite to, remove from, add service accounts to a team"
    VIEW_TEAM_MEMBERS = "list a team's members"
    VIEW_ORGANIZATION = "know an organization (by id: int, None for no organization)"
    CREATE_TEAMS_IN = "create teams in an organization (OrganizationRec)"
    # users (UserRec, a user id, or None)
    CREATE_USERS = "create users"
    UPDATE_USER = "update a user (by id)"
    SEARCH_USERS = "search users by part of a name or email"
    LOOK_UP_USER = "look up a user by exact username or email (None when there is none)"
    READ_API_KEYS = "list a user's API keys"
    LIST_PROJECTS_OF_USER = "list the projects of every entity a user belongs to"
    # the emulator itself (None)
    CONTROL_EMULATOR = "use /_emulator/* and the web UI's panel"


@dataclass(frozen=True)
class Denied:
    """A rule's refusal: `invisible` ones become NotFound, the others PermissionDenied."""

    message: str
    invisible: bool = False


Rule = Callable[[Conn, UserRec, Any, str], Awaitable[Denied | None]]
"""(conn, actor, resource, named) -> None when allowed. `named` is how the request named
the resource, for the rules whose messages quote it."""

Message = Callable[[str], str]
"""A refusal's message from `named`."""

ProjectRefusal = Callable[[RegistryRole | None, ProjectRec, str], str]
"""A PermissionDenied message from the actor's role, the project and `named`."""

SEARCH_FOR_ADMINS = (
    "permission denied: searching users is for instance admins; others can look up a"
    " member of their organizations by exact username or email"
)
MAX_BLOB_HOLDERS_CHECKED = 200


def _says(message: str) -> Callable[..., str]:
    return lambda *_: message


PROJECT_NOT_FOUND = _says("project not found")


def _cannot_modify(role: RegistryRole | None, project: ProjectRec, named: str) -> str:
    return f"permission denied: {role} role cannot modify {project.name!r}"


def role_in_project(
    minimum: RegistryRole,
    *,
    invisible: Message | None = PROJECT_NOT_FOUND,
    refused: ProjectRefusal = _cannot_modify,
) -> Rule:
    """At least `minimum` in the project. No role (or no project) is invisible, unless
    `invisible` is None: then it is refused like a weaker role."""

    async def rule(
        conn: Conn, actor: UserRec, project: ProjectRec | None, named: str
    ) -> Denied | None:
        role = None if project is None else await project_role(conn, actor, project)
        if role is None and invisible is not None:
            return Denied(invisible(named), invisible=True)
        if role_at_least(role, minimum):
            return None
        assert project is not None
        return Denied(refused(role, project, named))

    return rule


def admin_of_entity(invisible: Message, refused: Message) -> Rule:
    """The admins of an entity (the owner of a personal one); invisible to non-members."""

    async def rule(
        conn: Conn, actor: UserRec, entity: EntityRec | None, named: str
    ) -> Denied | None:
        role = None if entity is None else await entity_role(conn, actor, entity)
        if role is None:
            return Denied(invisible(named), invisible=True)
        return None if role == "admin" else Denied(refused(named))

    return rule


def instance_admins(refused: str) -> Rule:
    async def rule(conn: Conn, actor: UserRec, resource: None, named: str) -> Denied | None:
        return None if actor.admin else Denied(refused)

    return rule


def member_of_entity(invisible: str) -> Rule:
    """Any role in the entity (its owner, a team member, an organization member)."""

    async def rule(conn: Conn, actor: UserRec, entity: EntityRec, named: str) -> Denied | None:
        if await entity_role(conn, actor, entity) is None:
            return Denied(invisible, invisible=True)
        return None

    return rule


async def _create_projects_in(
    conn: Conn, actor: UserRec, entity: EntityRec, named: str
) -> Denied | None:
    """Organization admins and members in an org entity (registries); the owner, team
    admins and team members elsewhere."""
    role: str | None
    if entity.kind == "ORGANIZATION" and entity.organization_id is not None:
        org = await accounts.org_by_id(conn, entity.organization_id)
        role = None if org is None else await _org_role(conn, actor, org.id)
    else:
        role = await entity_role(conn, actor, entity)
    if role in ("admin", "member"):
        return None
    return Denied(f"permission denied: cannot create projects in {entity.name!r}")


async def _create_teams_in(
    conn: Conn, actor: UserRec, org: OrganizationRec, named: str
) -> Denied | None:
    if await _org_role(conn, actor, org.id) in ("admin", "member"):
        return None
    return Denied(f"permission denied: cannot create teams in {org.name!r}")


async def _administer_team(
    conn: Conn, actor: UserRec, team: EntityRec, named: str
) -> Denied | None:
    """Team admins, and admins of the team's organization."""
    if await accounts.team_role(conn, team.id, actor.id) == "admin":
        return None
    if await _org_role(conn, actor, team.organization_id) == "admin":
        return None
    return Denied(f"permission denied: only admins of {team.name!r} can do this")


async def _view_team_members(
    conn: Conn, actor: UserRec, team: EntityRec, named: str
) -> Denied | None:
    """A team's members are visible to its members and to its organization's members."""
    if await accounts.team_role(conn, team.id, actor.id) is not None:
        return None
    if await _org_role(conn, actor, team.organization_id) is not None:
        return None
    return Denied(f"team {team.name!r} not found", invisible=True)


async def _view_organization(
    conn: Conn, actor: UserRec, org_id: int | None, named: str
) -> Denied | None:
    """Organizations, their names and their membership are visible to members only."""
    if await _org_role(conn, actor, org_id) is None:
        return Denied("organization not found", invisible=True)
    return None


async def _view_artifact(
    conn: Conn, actor: UserRec, artifact: ArtifactRec | None, named: str
) -> Denied | None:
    """Visible through any project holding it: its source project or one it is linked into."""
    if artifact is None or not await _roles_over_artifact(conn, actor, artifact):
        return Denied(f"artifact {named} not found", invisible=True)
    return None


async def _download_artifact(
    conn: Conn, actor: UserRec, artifact: ArtifactRec, named: str
) -> Denied | None:
    """Restricted viewers see a registry's versions but may not fetch their files."""
    if any(r != "restricted_viewer" for r in await _roles_over_artifact(conn, actor, artifact)):
        return None
    return Denied("permission denied: restricted viewers cannot download files")


async def _read_blob(conn: Conn, actor: UserRec, blob_key: str, named: str) -> Denied | None:
    """File bytes by digest: only for users who may download a version holding them;
    for the others they do not exist."""
    for artifact in await artifacts.artifacts_holding_blob(
        conn, blob_key, MAX_BLOB_HOLDERS_CHECKED
    ):
        if await _download_artifact(conn, actor, artifact, named) is None:
            return None
    return Denied("not found", invisible=True)


async def _unlink_from(
    conn: Conn, actor: UserRec, collection: CollectionRec, named: str
) -> Denied | None:
    """Only portfolios hold linked versions; a sequence's versions are deleted instead."""
    if collection.kind == "PORTFOLIO":
        return None
    return Denied("only linked versions can be unlinked; delete it instead")


async def _update_user(conn: Conn, actor: UserRec, user_id: int, named: str) -> Denied | None:
    if user_id == actor.id or actor.admin:
        return None
    return Denied("you can only update your own user")


async def _look_up_user(
    conn: Conn, actor: UserRec, user: UserRec | None, named: str
) -> Denied | None:
    """Members of the actor's organizations; refused the same whether the user exists."""
    if user is not None and await _shares_an_org(conn, actor, user):
        return None
    return Denied(SEARCH_FOR_ADMINS)


async def _read_api_keys(conn: Conn, actor: UserRec, user: UserRec, named: str) -> Denied | None:
    if user.id == actor.id or actor.admin:
        return None
    return Denied("permission denied: only the user and instance admins see its API keys")


async def _list_projects_of_user(
    conn: Conn, actor: UserRec, user: UserRec, named: str
) -> Denied | None:
    if user.id == actor.id:
        return None
    return Denied("permission denied: only the user lists its projects")


RULES: dict[Action, Rule] = {
    Action.VIEW_PROJECT: role_in_project("restricted_viewer"),
    Action.WRITE_PROJECT: role_in_project("member"),
    Action.ADMINISTER_PROJECT: role_in_project("admin"),
    Action.RENAME_PROJECT: role_in_project(
        "admin", invisible=lambda named: f"project {named!r} not found"
    ),
    Action.WRITE_INTO_PROJECT: role_in_project(
        "member",
        invisible=lambda named: f"project {named} not found",
        refused=lambda role, project, named: f"permission denied: cannot write to {named}",
    ),
    Action.STREAM_TO_RUN: role_in_project(
        "member",
        invisible=lambda named: f"run {named} not found",
        refused=_says("permission denied"),
    ),
    Action.UPDATE_RUN: role_in_project(
        "member", invisible=None, refused=_says("permission denied: cannot update this run")
    ),
    Action.UPDATE_SWEEP: role_in_project(
        "member",
        invisible=_says("sweep not found"),
        refused=_says("permission denied: cannot update this sweep"),
    ),
    Action.MANAGE_AUTOMATIONS: role_in_project(
        "admin",
        invisible=lambda named: f"{named} not found",
        refused=lambda role, project, named: (
            f"permission denied: only admins of {project.name!r} manage its automations"
        ),
    ),
    Action.DELETE_AUTOMATION: role_in_project(
        "admin", invisible=None, refused=_says("permission denied: only admins manage automations")
    ),
    Action.UNLINK_FROM_COLLECTION: _unlink_from,
    Action.VIEW_ARTIFACT: _view_artifact,
    Action.DOWNLOAD_ARTIFACT: _download_artifact,
    Action.READ_BLOB: _read_blob,
    Action.VIEW_ENTITY: member_of_entity("entity not found"),
    Action.CREATE_PROJECTS_IN: _create_projects_in,
    Action.MANAGE_SECRETS: admin_of_entity(
        lambda named: f"entity {named!r} not found",
        lambda named: f"permission denied: only admins of {named!r} manage secrets",
    ),
    Action.MANAGE_INTEGRATIONS: admin_of_entity(
        lambda named: f"entity {named!r} not found",
        lambda named: f"permission denied: only admins of {named!r} manage integrations",
    ),
    Action.USE_INTEGRATION: member_of_entity("integration not found"),
    Action.ADMINISTER_TEAM: _administer_team,
    Action.VIEW_TEAM_MEMBERS: _view_team_members,
    Action.VIEW_ORGANIZATION: _view_organization,
    Action.CREATE_TEAMS_IN: _create_teams_in,
    Action.CREATE_USERS: instance_admins("permission denied: only instance admins create users"),
    Action.UPDATE_USER: _update_user,
    Action.SEARCH_USERS: instance_admins(SEARCH_FOR_ADMINS),
    Action.LOOK_UP_USER: _look_up_user,
    Action.READ_API_KEYS: _read_api_keys,
    Action.LIST_PROJECTS_OF_USER: _list_projects_of_user,
    Action.CONTROL_EMULATOR: instance_admins("permission denied: for instance admins only"),
}


async def check(
    conn: Conn, actor: UserRec, action: Action, resource: Any, *, named: str = ""
) -> None:
    """Apply the action's rule: NotFound when the resource is invisible to the actor,
    PermissionDenied when it is visible but the action is not allowed."""
    denied = await RULES[action](conn, actor, resource, named)
    if denied is None:
        return
    if denied.invisible:
        raise NotFound(denied.message)
    raise PermissionDenied(denied.message)


async def allows(conn: Conn, actor: UserRec, action: Action, resource: Any) -> bool:
    """The same rule as `check`, as a boolean (for reads that leave out what is refused)."""
    return await RULES[action](conn, actor, resource, "") is None
