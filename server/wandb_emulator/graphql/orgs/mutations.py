"""Teams: creating them, inviting members, removing members or invitations; adapters
over `domain.accounts`."""

import strawberry

from ...domain import accounts
from ...ids import decode_any
from ...records import InviteRec, UserRec
from ..context import Info
from ..errors import ApiError
from ..fields import global_id_field, source_field
from ..scalars import DateTime
from ..users.types import User
from .types import Entity


@strawberry.input
class CreateTeamInput:
    team_name: str
    organization_id: strawberry.ID | None = None
    team_admin_user_name: str | None = None
    bucket_type: str | None = None
    default_framework: str | None = None
    client_mutation_id: str | None = None


@strawberry.type
class CreateTeamPayload:
    entity: Entity | None
    client_mutation_id: str | None = None


@strawberry.input
class CreateInviteInput:
    entity_name: str
    email: str | None = None
    username: str | None = None
    admin: bool | None = None
    client_mutation_id: str | None = None


@strawberry.type
class Invite:
    rec: strawberry.Private[InviteRec]
    to_user_rec: strawberry.Private[UserRec | None]

    id = global_id_field("Invite")

    @source_field
    def name(self) -> str:
        return self.rec.username or self.rec.email or ""

    @source_field
    def email(self) -> str | None:
        return self.rec.email

    @source_field
    def created_at(self) -> DateTime:
        return DateTime(self.rec.created_at)

    @source_field
    def to_user(self) -> User | None:
        return User(rec=self.to_user_rec) if self.to_user_rec else None


@strawberry.type
class CreateInvitePayload:
    invite: Invite | None
    client_mutation_id: str | None = None


@strawberry.input
class DeleteInviteInput:
    id: str | None = None
    entity_name: str | None = None
    client_mutation_id: str | None = None


@strawberry.type
class DeleteInvitePayload:
    success: bool
    client_mutation_id: str | None = None


@strawberry.input
class CreateServiceAccountInput:
    entity_name: str
    description: str
    client_mutation_id: str | None = None


@strawberry.type
class CreateServiceAccountPayload:
    user: User | None
    client_mutation_id: str | None = None


@strawberry.type
class TeamMutations:
    @strawberry.mutation(description="A service account: a non-human member of the team.")
    async def create_service_account(
        self, info: Info, input: CreateServiceAccountInput
    ) -> CreateServiceAccountPayload | None:
        ctx = info.context
        async with ctx.uow.write() as tx:
            account = await accounts.create_service_account(
                tx, ctx.viewer, input.entity_name, input.description
            )
        return CreateServiceAccountPayload(user=User(rec=account))

    @strawberry.mutation
    async def create_team(self, info: Info, input: CreateTeamInput) -> CreateTeamPayload | None:
        ctx = info.context
        org_id = decode_any(input.organization_id)[1] if input.organization_id is not None else None
        async with ctx.uow.write() as tx:
            team = await accounts.create_team(
                tx,
                ctx.viewer,
                input.team_name,
                organization_id=org_id,
                admin_username=input.team_admin_user_name,
            )
        return CreateTeamPayload(entity=Entity(rec=team))

    @strawberry.mutation(description="Invite a user to a team; existing users join at once.")
    async def create_invite(
        self, info: Info, input: CreateInviteInput
    ) -> CreateInvitePayload | None:
        ctx = info.context
        async with ctx.uow.write() as tx:
            invite, user = await accounts.create_invite(
                tx,
                ctx.viewer,
                input.entity_name,
                email=input.email,
                username=input.username,
                admin=bool(input.admin),
            )
        return CreateInvitePayload(invite=Invite(rec=invite, to_user_rec=user))

    @strawberry.mutation(description="Remove a team member (by user id) or an invitation.")
    async def delete_invite(
        self, info: Info, input: DeleteInviteInput
    ) -> DeleteInvitePayload | None:
        ctx = info.context
        if not input.id:
            raise ApiError("an id is required")
        kind, pk = decode_any(input.id)
        if kind not in ("User", "Invite"):
            raise ApiError(f"invalid id: {input.id!r}")
        async with ctx.uow.write() as tx:
            if kind == "User":
                removed = await accounts.remove_team_member(tx, ctx.viewer, input.entity_name, pk)
            else:
                removed = await accounts.delete_invite(tx, ctx.viewer, pk)
        return DeleteInvitePayload(success=removed)
