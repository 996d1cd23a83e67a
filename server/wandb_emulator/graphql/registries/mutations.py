"""Creating, updating, renaming and deleting projects/registries, and registry members:
GraphQL inputs in, `domain.registries` does the work, GraphQL types out."""

from collections.abc import Awaitable, Callable

import strawberry

from ...domain import registries
from ...ids import decode_id
from ..context import Info
from ..scalars import JSONString
from .types import Project


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
    views: JSONString | None = None
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


def _ids(input: CreateProjectMembersInput) -> dict[str, list[int]]:
    return {
        "user_ids": [decode_id(uid, "User") for uid in input.user_ids or []],
        "team_ids": [decode_id(tid, "Entity") for tid in input.team_ids or []],
    }


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


# ------------------------------------------------------------------ adapters


def _project_id(global_id: str) -> int:
    return decode_id(global_id, "Project", "ProjectInternalId")


async def _change_members(
    info: Info, input: CreateProjectMembersInput, change: Callable[..., Awaitable[object]]
) -> SuccessPayload:
    """Add or remove the users and teams an input names, in one transaction."""
    ctx = info.context
    async with ctx.uow.write() as tx:
        await change(tx, ctx.viewer, _project_id(input.project_id), **_ids(input))
    return SuccessPayload(success=True)


def _settings(input: UpsertModelInput) -> registries.ProjectSettings:
    return registries.ProjectSettings(
        description=input.description,
        access=input.access,
        allow_all_artifact_types=input.allow_all_artifact_types_in_registry,
        artifact_types=[t.name for t in input.artifact_types or []],
    )


async def _upsert(info: Info, input: UpsertModelInput) -> UpsertModelPayload | None:
    ctx = info.context
    project_id = _project_id(input.id) if input.id else None
    async with ctx.uow.write() as tx:
        project, inserted = await registries.upsert_project(
            tx,
            ctx.viewer,
            _settings(input),
            project_id=project_id,
            entity_name=input.entity_name,
            name=input.name,
        )
    node = Project(rec=project)
    return UpsertModelPayload(project=node, model=node, inserted=inserted)


async def _rename(info: Info, input: RenameProjectInput) -> RenameProjectPayload | None:
    ctx = info.context
    async with ctx.uow.write() as tx:
        renamed = await registries.rename_project(
            tx, ctx.viewer, input.entity_name, input.old_project_name, input.new_project_name
        )
    return RenameProjectPayload(project=Project(rec=renamed) if renamed else None, inserted=False)


async def _delete(info: Info, input: DeleteModelInput) -> SuccessPayload | None:
    ctx = info.context
    project_id = _project_id(input.id)
    async with ctx.uow.write() as tx:
        deleted = await registries.delete_project(tx, ctx.viewer, project_id)
    return SuccessPayload(success=deleted)


async def _set_role(
    info: Info, project_id: str, kind: registries.MemberKind, member_id: int, role: str
) -> SuccessPayload:
    ctx = info.context
    async with ctx.uow.write() as tx:
        await registries.set_member_role(
            tx, ctx.viewer, _project_id(project_id), kind, member_id, role
        )
    return SuccessPayload(success=True)


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
        return await _change_members(info, input, registries.add_members)

    @strawberry.mutation
    async def delete_project_members(
        self, info: Info, input: DeleteProjectMembersInput
    ) -> SuccessPayload | None:
        return await _change_members(info, input, registries.remove_members)

    @strawberry.mutation
    async def update_project_member(
        self, info: Info, input: UpdateProjectMemberInput
    ) -> SuccessPayload | None:
        user_id = decode_id(input.user_id, "User")
        return await _set_role(
            info, input.project_id, registries.USER, user_id, input.user_project_role
        )

    @strawberry.mutation
    async def update_project_team_member(
        self, info: Info, input: UpdateProjectTeamMemberInput
    ) -> SuccessPayload | None:
        team_id = decode_id(input.team_id, "Entity")
        return await _set_role(
            info, input.project_id, registries.TEAM, team_id, input.team_project_role
        )
