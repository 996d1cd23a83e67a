"""Creating, updating, renaming and deleting projects/registries, and registry members."""

from __future__ import annotations

import strawberry

from ... import auth
from ...ids import decode_id
from ...store import accounts, projects
from ...store.database import Conn
from ...store.records import EntityRec, ProjectRec, UserRec
from ...validation import check_artifact_type_name, check_name
from ..access import may_create_in, target_entity
from ..context import Info
from ..errors import ApiError, PermissionDenied
from .types import Project

REGISTRY_ACCESS = ("PRIVATE", "RESTRICTED")
PROJECT_ACCESS = ("PRIVATE", "RESTRICTED", "USER_READ", "USER_WRITE", "ENTITY_READ", "ENTITY_WRITE")
DEFAULT_NEW_MEMBER_ROLE = "member"


@strawberry.input
class ArtifactTypeInput:
    name: str
    description: str | None = None


@strawberry.input
class ProjectIconInput:
    name: str
    color: str


@strawberry.input
class RateLimitsInput:
    graphql: int | None = None
    sdk_graphql: int | None = None
    filestream_count: float | None = None
    filestream_size: int | None = None
    sdk_graphql_query_seconds: float | None = None
    create_artifacts: int | None = None
    create_artifacts_request_count: int | None = None
    create_artifacts_time_window: int | None = None
    run_update_count: float | None = None
    filestream_per_run_count: float | None = None


@strawberry.input
class UpsertModelInput:
    id: str | None = None
    name: str | None = None
    entity_name: str | None = None
    description: str | None = None
    access: str | None = None
    allow_all_artifact_types_in_registry: bool | None = None
    artifact_types: list[ArtifactTypeInput] | None = None
    docker_image: str | None = None
    framework: str | None = None
    repo: str | None = None
    views: str | None = None
    is_benchmark: bool | None = None
    is_published: bool | None = None
    owner: strawberry.ID | None = None
    icon: ProjectIconInput | None = None
    rate_limits: RateLimitsInput | None = None
    client_mutation_id: str | None = None


@strawberry.type
class UpsertModelPayload:
    project: Project | None
    inserted: bool | None
    model: Project | None = None
    client_mutation_id: str | None = None


@strawberry.input
class RenameProjectInput:
    entity_name: str
    old_project_name: str
    new_project_name: str
    client_mutation_id: str | None = None


@strawberry.type
class RenameProjectPayload:
    project: Project | None
    inserted: bool | None
    client_mutation_id: str | None = None


@strawberry.input
class DeleteModelInput:
    id: str
    client_mutation_id: str | None = None


@strawberry.type
class SuccessPayload:
    success: bool | None
    client_mutation_id: str | None = None


@strawberry.input
class CreateProjectMembersInput:
    project_id: strawberry.ID
    user_ids: list[strawberry.ID] | None = None
    team_ids: list[strawberry.ID] | None = None
    client_mutation_id: str | None = None


@strawberry.input
class DeleteProjectMembersInput(CreateProjectMembersInput):
    """The same fields as CreateProjectMembersInput."""


@strawberry.input
class UpdateProjectMemberInput:
    project_id: strawberry.ID
    user_id: strawberry.ID
    user_project_role: str
    client_mutation_id: str | None = None


@strawberry.input
class UpdateProjectTeamMemberInput:
    project_id: strawberry.ID
    team_id: strawberry.ID
    team_project_role: str
    client_mutation_id: str | None = None


# ------------------------------------------------------------------ helpers


async def _require_admin(conn: Conn, viewer: UserRec, project: ProjectRec) -> None:
    """Only registry admins (or entity admins for plain projects) may change a project."""
    role = await auth.project_role(conn, viewer, project)
    if role is None:
        raise ApiError("project not found")
    if role != "admin":
        raise PermissionDenied(f"permission denied: {role} role cannot modify {project.name!r}")


async def _project_by_global_id(conn: Conn, viewer: UserRec, global_id: str) -> ProjectRec:
    project = await projects.project_by_id(
        conn, decode_id(global_id, "Project", "ProjectInternalId")
    )
    if project is None or not await auth.can_view_project(conn, viewer, project):
        raise ApiError("project not found")
    return project


def _check_access(access: str | None, is_registry: bool) -> None:
    allowed = REGISTRY_ACCESS if is_registry else PROJECT_ACCESS
    if access is not None and access not in allowed:
        raise ApiError(f"invalid access {access!r}; expected one of {', '.join(allowed)}")


def _type_names(types: list[ArtifactTypeInput] | None) -> list[str]:
    return [check_artifact_type_name(t.name) for t in types or []]


async def _create(
    conn: Conn, viewer: UserRec, entity: EntityRec, input: UpsertModelInput
) -> ProjectRec:
    name = check_name("project", input.name)
    is_registry = name.startswith(auth.REGISTRY_PREFIX)
    _check_access(input.access, is_registry)
    if not await may_create_in(conn, viewer, entity):
        raise PermissionDenied(f"permission denied: cannot create projects in {entity.name!r}")
    types = _type_names(input.artifact_types)
    project = await projects.create_project(
        conn,
        entity.id,
        name,
        description=input.description,
        access=input.access or ("PRIVATE" if is_registry else "USER_READ"),
        allow_all_artifact_types=input.allow_all_artifact_types_in_registry is not False,
    )
    await projects.allow_artifact_types(conn, project.id, types)
    if entity.kind == "ORGANIZATION":
        await projects.set_user_member(conn, project.id, viewer.id, "admin")
    return project


async def _update(
    conn: Conn, viewer: UserRec, project: ProjectRec, input: UpsertModelInput
) -> None:
    await _require_admin(conn, viewer, project)
    _check_access(input.access, auth.is_registry(project))
    types = _type_names(input.artifact_types)
    await projects.update_project(
        conn,
        project.id,
        description=input.description,
        access=input.access,
        allow_all_artifact_types=input.allow_all_artifact_types_in_registry,
    )
    await projects.allow_artifact_types(conn, project.id, types)


async def _upsert(info: Info, input: UpsertModelInput) -> UpsertModelPayload | None:
    ctx = info.context
    async with ctx.db.write() as conn:
        if input.id:
            existing = await _project_by_global_id(conn, ctx.viewer, input.id)
        else:
            entity = await target_entity(conn, ctx.viewer, input.entity_name)
            existing = await projects.project_by_name(
                conn, entity.id, check_name("project", input.name)
            )
            if existing is not None and not await auth.can_view_project(conn, ctx.viewer, existing):
                raise PermissionDenied(f"permission denied: cannot modify {existing.name!r}")
        if existing is None:
            project = await _create(conn, ctx.viewer, entity, input)
        else:
            await _update(conn, ctx.viewer, existing, input)
            project = existing
        saved = await projects.project_by_id(conn, project.id)
    assert saved is not None
    node = Project(rec=saved)
    return UpsertModelPayload(project=node, model=node, inserted=existing is None)


async def _rename(info: Info, input: RenameProjectInput) -> RenameProjectPayload | None:
    ctx = info.context
    new_name = check_name("project", input.new_project_name)
    async with ctx.db.write() as conn:
        entity = await target_entity(conn, ctx.viewer, input.entity_name)
        project = await projects.project_by_name(conn, entity.id, input.old_project_name)
        if project is None or not await auth.can_view_project(conn, ctx.viewer, project):
            raise ApiError(f"project {input.old_project_name!r} not found")
        await _require_admin(conn, ctx.viewer, project)
        if auth.is_registry(project) != new_name.startswith(auth.REGISTRY_PREFIX):
            raise ApiError("a registry keeps its wandb-registry- prefix when renamed")
        await projects.rename_project(conn, project, new_name)
        renamed = await projects.project_by_id(conn, project.id)
    return RenameProjectPayload(project=Project(rec=renamed) if renamed else None, inserted=False)


async def _delete(info: Info, input: DeleteModelInput) -> SuccessPayload | None:
    ctx = info.context
    async with ctx.db.write() as conn:
        project = await _project_by_global_id(conn, ctx.viewer, input.id)
        await _require_admin(conn, ctx.viewer, project)
        deleted = await projects.delete_project(conn, project.id)
    return SuccessPayload(success=deleted)


def _check_role(role: str) -> str:
    if role not in auth.REGISTRY_ROLES:
        raise ApiError(f"invalid role {role!r}; expected one of {', '.join(auth.REGISTRY_ROLES)}")
    return role


async def _org_user(conn: Conn, project: ProjectRec, global_id: str) -> UserRec:
    user = await accounts.user_by_id(conn, decode_id(global_id, "User"))
    entity = await accounts.entity_by_id(conn, project.entity_id)
    org_id = entity.organization_id if entity else None
    if user is None or org_id is None or await accounts.org_role(conn, org_id, user.id) is None:
        raise ApiError(f"user {global_id!r} is not a member of the registry's organization")
    return user


async def _org_team(conn: Conn, project: ProjectRec, global_id: str) -> EntityRec:
    team = await accounts.entity_by_id(conn, decode_id(global_id, "Entity"))
    entity = await accounts.entity_by_id(conn, project.entity_id)
    if (
        team is None
        or team.kind != "TEAM"
        or entity is None
        or team.organization_id != entity.organization_id
    ):
        raise ApiError(f"team {global_id!r} is not a team of the registry's organization")
    return team


async def _admin_project(info: Info, conn: Conn, project_id: str) -> ProjectRec:
    project = await _project_by_global_id(conn, info.context.viewer, project_id)
    await _require_admin(conn, info.context.viewer, project)
    return project


@strawberry.type
class ProjectMutations:
    @strawberry.mutation(description="Create a project/registry, or update it if it exists.")
    async def upsert_model(self, info: Info, input: UpsertModelInput) -> UpsertModelPayload | None:
        return await _upsert(info, input)

    @strawberry.mutation
    async def rename_project(
        self, info: Info, input: RenameProjectInput
    ) -> RenameProjectPayload | None:
        return await _rename(info, input)

    @strawberry.mutation
    async def delete_model(self, info: Info, input: DeleteModelInput) -> SuccessPayload | None:
        return await _delete(info, input)

    @strawberry.mutation
    async def create_project_members(
        self, info: Info, input: CreateProjectMembersInput
    ) -> SuccessPayload | None:
        async with info.context.db.write() as conn:
            project = await _admin_project(info, conn, input.project_id)
            users = [await _org_user(conn, project, uid) for uid in input.user_ids or []]
            teams = [await _org_team(conn, project, tid) for tid in input.team_ids or []]
            for user in users:
                await projects.add_user_member_if_absent(
                    conn, project.id, user.id, DEFAULT_NEW_MEMBER_ROLE
                )
            for team in teams:
                await projects.add_team_member_if_absent(
                    conn, project.id, team.id, DEFAULT_NEW_MEMBER_ROLE
                )
        return SuccessPayload(success=True)

    @strawberry.mutation
    async def delete_project_members(
        self, info: Info, input: DeleteProjectMembersInput
    ) -> SuccessPayload | None:
        async with info.context.db.write() as conn:
            project = await _admin_project(info, conn, input.project_id)
            for uid in input.user_ids or []:
                await projects.remove_user_member(conn, project.id, decode_id(uid, "User"))
            for tid in input.team_ids or []:
                await projects.remove_team_member(conn, project.id, decode_id(tid, "Entity"))
        return SuccessPayload(success=True)

    @strawberry.mutation
    async def update_project_member(
        self, info: Info, input: UpdateProjectMemberInput
    ) -> SuccessPayload | None:
        role = _check_role(input.user_project_role)
        async with info.context.db.write() as conn:
            project = await _admin_project(info, conn, input.project_id)
            user_id = decode_id(input.user_id, "User")
            if await projects.direct_user_role(conn, project.id, user_id) is None:
                raise ApiError(f"user {input.user_id!r} is not a member of {project.name!r}")
            await projects.set_user_member(conn, project.id, user_id, role)
        return SuccessPayload(success=True)

    @strawberry.mutation
    async def update_project_team_member(
        self, info: Info, input: UpdateProjectTeamMemberInput
    ) -> SuccessPayload | None:
        role = _check_role(input.team_project_role)
        async with info.context.db.write() as conn:
            project = await _admin_project(info, conn, input.project_id)
            team_id = decode_id(input.team_id, "Entity")
            if await projects.direct_team_role(conn, project.id, team_id) is None:
                raise ApiError(f"team {input.team_id!r} is not a member of {project.name!r}")
            await projects.set_team_member(conn, project.id, team_id, role)
        return SuccessPayload(success=True)
