"""Projects and registries: creating (upsertModel), changing settings, renaming, deleting,
and registry members and their roles.

A registry is a project named `wandb-registry-...` in an organization's entity; the
changes made to registries are announced as Registry* events. Functions taking an
`actor` enforce the actor's permissions (`auth`); `seed_registry` is a system operation
(seed files) that enforces naming rules only and announces with `actor_id=None`.

Members are named by internal ids; messages about them quote the global id the client
sent (the canonical `base64("User:N")` / `base64("Entity:N")`, which `encode_id` gives
back).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from .. import auth
from ..ids import encode_id
from ..naming import check_artifact_type_name, check_name
from ..records import (
    PROJECT_ACCESS,
    EntityRec,
    ProjectAccess,
    ProjectRec,
    RegistryRole,
    RegistryVisibility,
    UserRec,
    is_registry_role,
)
from ..store import accounts, projects
from ..store.database import Conn
from .accounts import require_organization, require_user
from .errors import InvalidInput, NotFound
from .events import (
    RegistryCreated,
    RegistryDeleted,
    RegistryMemberAdded,
    RegistryMemberRemoved,
    RegistryMemberRoleChanged,
    RegistryUpdated,
)
from .projects import target_entity
from .unit import Tx

REGISTRY_ACCESS: tuple[ProjectAccess, ...] = ("PRIVATE", "RESTRICTED")
DEFAULT_NEW_MEMBER_ROLE: RegistryRole = "member"


@dataclass(frozen=True)
class ProjectSettings:
    """What upsertModel may set; None (or no types) leaves a setting as it is."""

    description: str | None = None
    access: str | None = None
    allow_all_artifact_types: bool | None = None
    artifact_types: Sequence[str] = ()


# ------------------------------------------------------------------ rules


def check_access(access: str | None, is_registry: bool) -> None:
    allowed = REGISTRY_ACCESS if is_registry else PROJECT_ACCESS
    if access is not None and access not in allowed:
        raise InvalidInput(f"invalid access {access!r}; expected one of {', '.join(allowed)}")


def check_role(role: str) -> RegistryRole:
    if not is_registry_role(role):
        raise InvalidInput(
            f"invalid role {role!r}; expected one of {', '.join(auth.REGISTRY_ROLES)}"
        )
    return role


def check_rename(project: ProjectRec, new_name: str) -> None:
    if auth.is_registry(project) != new_name.startswith(auth.REGISTRY_PREFIX):
        raise InvalidInput("a registry keeps its wandb-registry- prefix when renamed")


def _registry_org_of(entity: EntityRec, project: ProjectRec) -> int | None:
    """The organization of a registry; None for any other project (nothing is announced)."""
    if entity.kind != "ORGANIZATION" or not auth.is_registry(project):
        return None
    return entity.organization_id


async def _registry_org(conn: Conn, project: ProjectRec) -> int | None:
    entity = await accounts.entity_by_id(conn, project.entity_id)
    return None if entity is None else _registry_org_of(entity, project)


# ----------------------------------------------------------- create / update


async def upsert_project(
    tx: Tx,
    actor: UserRec,
    settings: ProjectSettings,
    *,
    project_id: int | None = None,
    entity_name: str | None = None,
    name: str | None = None,
) -> tuple[ProjectRec, bool]:
    """Update the project (by id, else by entity and name) or create it; (record, created)."""
    conn = tx.conn
    if project_id is not None:
        project = await _administered(conn, actor, project_id)
    else:
        entity = await target_entity(conn, actor, entity_name)
        found = await projects.project_by_name(conn, entity.id, check_name("project", name))
        try:
            await auth.check(conn, actor, auth.Action.ADMINISTER_PROJECT, found)
        except NotFound:
            # A project the actor may not see is handled as a missing one: the same
            # checks and errors, up to the name being taken when it comes to creating.
            return await _create_as(tx, actor, entity, name, settings), True
        assert found is not None
        project = found
    await _update(tx, actor, project, settings)
    saved = await projects.project_by_id(conn, project.id)
    assert saved is not None
    return saved, False


async def _create_as(
    tx: Tx, actor: UserRec, entity: EntityRec, name: str | None, settings: ProjectSettings
) -> ProjectRec:
    """A new project of `actor`, who administers it when it is in an organization."""
    name = check_name("project", name)
    is_registry = name.startswith(auth.REGISTRY_PREFIX)
    check_access(settings.access, is_registry)
    await auth.check(tx.conn, actor, auth.Action.CREATE_PROJECTS_IN, entity)
    project = await _create(
        tx,
        actor.id,
        entity,
        name,
        description=settings.description,
        access=settings.access or ("PRIVATE" if is_registry else "USER_READ"),
        allow_all_artifact_types=settings.allow_all_artifact_types is not False,
        artifact_types=[check_artifact_type_name(t) for t in settings.artifact_types],
    )
    if entity.kind == "ORGANIZATION":
        await _put_member(tx, actor.id, project, USER, actor.id, "admin", replace=True)
    return project


async def _create(
    tx: Tx,
    actor_id: int | None,
    entity: EntityRec,
    name: str,
    *,
    description: str | None,
    access: str,
    allow_all_artifact_types: bool,
    artifact_types: list[str],
) -> ProjectRec:
    project = await projects.create_project(
        tx.conn,
        entity.id,
        name,
        description=description,
        access=access,
        allow_all_artifact_types=allow_all_artifact_types,
    )
    await projects.allow_artifact_types(tx.conn, project.id, artifact_types)
    if (org_id := _registry_org_of(entity, project)) is not None:
        tx.emit(RegistryCreated(actor_id=actor_id, project_id=project.id, organization_id=org_id))
    return project


async def _update(tx: Tx, actor: UserRec, project: ProjectRec, settings: ProjectSettings) -> None:
    check_access(settings.access, auth.is_registry(project))
    types = [check_artifact_type_name(t) for t in settings.artifact_types]
    changed = await _changed_settings(tx.conn, project, settings, types)
    await projects.update_project(
        tx.conn,
        project.id,
        description=settings.description,
        access=settings.access,
        allow_all_artifact_types=settings.allow_all_artifact_types,
    )
    await projects.allow_artifact_types(tx.conn, project.id, types)
    org_id = await _registry_org(tx.conn, project)
    if changed and org_id is not None:
        tx.emit(
            RegistryUpdated(
                actor_id=actor.id, project_id=project.id, organization_id=org_id, changed=changed
            )
        )


async def _changed_settings(
    conn: Conn, project: ProjectRec, settings: ProjectSettings, types: list[str]
) -> tuple[str, ...]:
    """The names of the settings `settings` changes (saving the same values changes none)."""
    saved_types = await projects.artifact_types_of(conn, project.id, allowed_only=True)
    allowed = {t.name for t in saved_types}
    candidates = (
        ("description", settings.description, project.description),
        ("access", settings.access, project.access),
        (
            "allow_all_artifact_types",
            settings.allow_all_artifact_types,
            project.allow_all_artifact_types,
        ),
    )
    changed = [name for name, new, old in candidates if new is not None and new != old]
    if not allowed.issuperset(types):
        changed.append("artifact_types")
    return tuple(changed)


async def rename_project(
    tx: Tx, actor: UserRec, entity_name: str | None, old_name: str, new_name: str
) -> ProjectRec | None:
    conn = tx.conn
    new_name = check_name("project", new_name)
    entity = await target_entity(conn, actor, entity_name)
    project = await projects.project_by_name(conn, entity.id, old_name)
    await auth.check(conn, actor, auth.Action.RENAME_PROJECT, project, named=old_name)
    assert project is not None
    check_rename(project, new_name)
    await projects.rename_project(conn, project, new_name)
    if (org_id := _registry_org_of(entity, project)) is not None:
        tx.emit(
            RegistryUpdated(
                actor_id=actor.id, project_id=project.id, organization_id=org_id, changed=("name",)
            )
        )
    return await projects.project_by_id(conn, project.id)


async def delete_project(tx: Tx, actor: UserRec, project_id: int) -> bool:
    project = await _administered(tx.conn, actor, project_id)
    return await _delete(tx, actor.id, project)


async def _delete(tx: Tx, actor_id: int | None, project: ProjectRec) -> bool:
    org_id = await _registry_org(tx.conn, project)
    deleted = await projects.delete_project(tx.conn, project.id)
    if deleted and org_id is not None:
        tx.emit(
            RegistryDeleted(
                actor_id=actor_id, project_id=project.id, organization_id=org_id, name=project.name
            )
        )
    return deleted


async def delete_registries_of(tx: Tx, org_entity_id: int) -> None:
    """Delete (announcing it) every registry of an organization that is going away."""
    for project in await projects.projects_of_entity(tx.conn, org_entity_id, auth.REGISTRY_PREFIX):
        await _delete(tx, None, project)


# ----------------------------------------------------------------- members


@dataclass(frozen=True)
class MemberKind:
    """User members and team members differ only in these store functions and names."""

    noun: str
    id_type: str
    is_team: bool
    role_of: Callable[[Conn, int, int], Awaitable[RegistryRole | None]]
    set_role: Callable[[Conn, int, int, RegistryRole], Awaitable[None]]
    remove: Callable[[Conn, int, int], Awaitable[bool]]

    def event_ids(self, member_id: int) -> tuple[int | None, int | None]:
        """The (user_id, team_entity_id) of a member in events."""
        return (None, member_id) if self.is_team else (member_id, None)


USER = MemberKind(
    "user",
    "User",
    False,
    projects.direct_user_role,
    projects.set_user_member,
    projects.remove_user_member,
)
TEAM = MemberKind(
    "team",
    "Entity",
    True,
    projects.direct_team_role,
    projects.set_team_member,
    projects.remove_team_member,
)


async def _administered(conn: Conn, actor: UserRec, project_id: int) -> ProjectRec:
    """The project when the actor administers it; "project not found" when invisible."""
    project = await projects.project_by_id(conn, project_id)
    await auth.check(conn, actor, auth.Action.ADMINISTER_PROJECT, project)
    assert project is not None
    return project


async def _member_user(conn: Conn, project: ProjectRec, user_id: int) -> UserRec:
    """A user a registry may take as a member: one of its organization, or one who
    belongs to no organization (as W&B accepts)."""
    user = await accounts.user_by_id(conn, user_id)
    entity = await accounts.entity_by_id(conn, project.entity_id)
    org_id = entity.organization_id if entity else None
    if user is None or org_id is None:
        raise InvalidInput(f"user {encode_id('User', user_id)!r} not found")
    in_org = await accounts.org_role(conn, org_id, user.id) is not None
    if not in_org and await accounts.orgs_of_user(conn, user.id):
        raise InvalidInput(
            f"user {encode_id('User', user_id)!r} is not a member of the registry's organization"
        )
    return user


async def _member_team(conn: Conn, project: ProjectRec, team_id: int) -> EntityRec:
    """A team a registry may take as a member: one of its organization, or a team
    created without an organization."""
    team = await accounts.entity_by_id(conn, team_id)
    entity = await accounts.entity_by_id(conn, project.entity_id)
    if (
        team is None
        or team.kind != "TEAM"
        or entity is None
        or team.organization_id not in (None, entity.organization_id)
    ):
        raise InvalidInput(
            f"team {encode_id('Entity', team_id)!r} is not a team of the registry's organization"
        )
    return team


async def _put_member(
    tx: Tx,
    actor_id: int | None,
    project: ProjectRec,
    kind: MemberKind,
    member_id: int,
    role: RegistryRole,
    *,
    replace: bool,
) -> None:
    """Add the member with `role`; an existing member keeps its role unless `replace`."""
    old = await kind.role_of(tx.conn, project.id, member_id)
    if old is not None and (not replace or old == role):
        return
    await kind.set_role(tx.conn, project.id, member_id, role)
    if await _registry_org(tx.conn, project) is None:
        return
    user_id, team_id = kind.event_ids(member_id)
    event = RegistryMemberAdded if old is None else RegistryMemberRoleChanged
    tx.emit(
        event(
            actor_id=actor_id,
            project_id=project.id,
            role=role,
            user_id=user_id,
            team_entity_id=team_id,
        )
    )


async def add_members(
    tx: Tx,
    actor: UserRec,
    project_id: int,
    *,
    user_ids: Sequence[int] = (),
    team_ids: Sequence[int] = (),
) -> None:
    """Add users and teams (see `_member_user`, `_member_team`) as members; existing
    members keep their roles."""
    conn = tx.conn
    project = await _administered(conn, actor, project_id)
    users = [await _member_user(conn, project, user_id) for user_id in user_ids]
    teams = [await _member_team(conn, project, team_id) for team_id in team_ids]
    for kind, ids in ((USER, [u.id for u in users]), (TEAM, [t.id for t in teams])):
        for member_id in ids:
            await _put_member(
                tx, actor.id, project, kind, member_id, DEFAULT_NEW_MEMBER_ROLE, replace=False
            )


async def remove_members(
    tx: Tx,
    actor: UserRec,
    project_id: int,
    *,
    user_ids: Sequence[int] = (),
    team_ids: Sequence[int] = (),
) -> None:
    project = await _administered(tx.conn, actor, project_id)
    announce = await _registry_org(tx.conn, project) is not None
    for kind, ids in ((USER, user_ids), (TEAM, team_ids)):
        for member_id in ids:
            if await kind.remove(tx.conn, project.id, member_id) and announce:
                user_id, team_id = kind.event_ids(member_id)
                tx.emit(
                    RegistryMemberRemoved(
                        actor_id=actor.id,
                        project_id=project.id,
                        user_id=user_id,
                        team_entity_id=team_id,
                    )
                )


async def set_member_role(
    tx: Tx, actor: UserRec, project_id: int, kind: MemberKind, member_id: int, role: str
) -> None:
    """Change the role of an existing user (USER) or team (TEAM) member."""
    checked = check_role(role)
    project = await _administered(tx.conn, actor, project_id)
    if await kind.role_of(tx.conn, project.id, member_id) is None:
        label = encode_id(kind.id_type, member_id)
        raise InvalidInput(f"{kind.noun} {label!r} is not a member of {project.name!r}")
    await _put_member(tx, actor.id, project, kind, member_id, checked, replace=True)


# ------------------------------------------------------------------ seeding


async def seed_registry(
    tx: Tx,
    organization: str,
    short_name: str,
    *,
    description: str | None = None,
    visibility: RegistryVisibility = "organization",
    artifact_types: Sequence[str] = (),
    members: Sequence[tuple[str, RegistryRole]] = (),
) -> ProjectRec | None:
    """Create a registry of a seed file with its (username, role) members, unless a
    registry of that name exists (seeding is idempotent); the new registry or None."""
    org = await require_organization(tx.conn, organization)
    assert org.org_entity_id is not None
    name = auth.REGISTRY_PREFIX + short_name
    if await projects.project_by_name(tx.conn, org.org_entity_id, name) is not None:
        return None
    entity = await accounts.entity_by_id(tx.conn, org.org_entity_id)
    assert entity is not None
    project = await _create(
        tx,
        None,
        entity,
        check_name("registry", name),
        description=description,
        access="RESTRICTED" if visibility == "restricted" else "PRIVATE",
        allow_all_artifact_types=not artifact_types,
        artifact_types=list(artifact_types),
    )
    for username, role in members:
        user = await require_user(tx.conn, username)
        await _put_member(tx, None, project, USER, user.id, role, replace=True)
    return project
