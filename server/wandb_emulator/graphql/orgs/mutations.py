"""Teams: creating them, inviting members, removing members or invitations."""

from __future__ import annotations

import strawberry

from ... import auth
from ...ids import decode_any
from ...store import accounts
from ...store.database import Conn
from ...store.records import EntityRec, InviteRec, OrganizationRec, UserRec
from ...validation import check_name
from ..context import Info
from ..errors import ApiError, PermissionDenied
from ..fields import global_id_field
from ..scalars import DateTime
from ..users.mutations import new_api_key
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

    @strawberry.field
    def name(self) -> str:
        return self.rec.username or self.rec.email or ""

    @strawberry.field
    def email(self) -> str | None:
        return self.rec.email

    @strawberry.field
    def created_at(self) -> DateTime:
        return DateTime(self.rec.created_at)

    @strawberry.field
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


async def _home_org(conn: Conn, viewer: UserRec, org_id: strawberry.ID | None) -> OrganizationRec:
    """The organization a new team goes into: the given one, else the viewer's."""
    if org_id is not None:
        _, pk = decode_any(org_id)
        org = await accounts.org_by_id(conn, pk)
    else:
        default = await accounts.entity_by_id(conn, viewer.default_entity_id or viewer.entity_id)
        if default is not None and default.organization_id is not None:
            org = await accounts.org_by_id(conn, default.organization_id)
        else:
            orgs = await accounts.orgs_of_user(conn, viewer.id)
            org = orgs[0] if orgs else None
    if org is None:
        raise ApiError("cannot create a team: the user belongs to no organization")
    if not await auth.can_create_registry(conn, viewer, org):
        raise PermissionDenied(f"permission denied: cannot create teams in {org.name!r}")
    return org


async def _require_team_admin(conn: Conn, viewer: UserRec, team: EntityRec) -> None:
    if await accounts.team_role(conn, team.id, viewer.id) == "admin":
        return
    if team.organization_id is not None and (
        await accounts.org_role(conn, team.organization_id, viewer.id) == "admin"
    ):
        return
    raise PermissionDenied(f"permission denied: only admins of {team.name!r} can do this")


async def _team(conn: Conn, name: str | None) -> EntityRec:
    team = await accounts.entity_by_name(conn, name) if name else None
    if team is None or team.kind != "TEAM":
        raise ApiError(f"team {name!r} not found")
    return team


async def _invitee(conn: Conn, input: CreateInviteInput) -> UserRec | None:
    if input.username:
        user = await accounts.user_by_username(conn, input.username)
        if user is None:
            raise ApiError(f"user {input.username!r} not found")
        return user
    if input.email:
        return await accounts.user_by_email(conn, input.email)
    raise ApiError("an invite needs an email or a username")


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
        async with ctx.db.write() as conn:
            team = await _team(conn, input.entity_name)
            await _require_team_admin(conn, ctx.viewer, team)
            username = await accounts.free_entity_name(conn, f"{team.name}-service")
            account = await accounts.create_user(
                conn,
                username,
                name=input.description,
                account_type="SERVICE",
                api_key=new_api_key(),
            )
            await accounts.set_team_member(conn, team.id, account.id, "member")
            if team.organization_id is not None:
                await accounts.set_org_member(conn, team.organization_id, account.id, "member")
        return CreateServiceAccountPayload(user=User(rec=account))

    @strawberry.mutation
    async def create_team(self, info: Info, input: CreateTeamInput) -> CreateTeamPayload | None:
        ctx = info.context
        name = check_name("team", input.team_name)
        async with ctx.db.write() as conn:
            org = await _home_org(conn, ctx.viewer, input.organization_id)
            admin = ctx.viewer
            if input.team_admin_user_name:
                found = await accounts.user_by_username(conn, input.team_admin_user_name)
                if found is None:
                    raise ApiError(f"user {input.team_admin_user_name!r} not found")
                admin = found
            team = await accounts.create_team(conn, name, org.id)
            await accounts.set_team_member(conn, team.id, admin.id, "admin")
            if await accounts.org_role(conn, org.id, admin.id) is None:
                await accounts.set_org_member(conn, org.id, admin.id, "member")
        return CreateTeamPayload(entity=Entity(rec=team))

    @strawberry.mutation(description="Invite a user to a team; existing users join at once.")
    async def create_invite(
        self, info: Info, input: CreateInviteInput
    ) -> CreateInvitePayload | None:
        ctx = info.context
        role = "admin" if input.admin else "member"
        async with ctx.db.write() as conn:
            team = await _team(conn, input.entity_name)
            await _require_team_admin(conn, ctx.viewer, team)
            user = await _invitee(conn, input)
            if user is not None:
                if await accounts.team_role(conn, team.id, user.id) is not None:
                    raise ApiError(f"{user.username!r} is already a member of {team.name!r}")
                await accounts.set_team_member(conn, team.id, user.id, role)
                if team.organization_id is not None and (
                    await accounts.org_role(conn, team.organization_id, user.id) is None
                ):
                    await accounts.set_org_member(conn, team.organization_id, user.id, "member")
            invite = await accounts.create_invite(
                conn,
                team.id,
                email=input.email,
                username=input.username,
                admin=bool(input.admin),
                accepted=user is not None,
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
        async with ctx.db.write() as conn:
            if kind == "User":
                team = await _team(conn, input.entity_name)
                if pk != ctx.viewer.id:
                    await _require_team_admin(conn, ctx.viewer, team)
                removed = await accounts.remove_team_member(conn, team.id, pk)
            elif kind == "Invite":
                invite = await accounts.invite_by_id(conn, pk)
                if invite is None:
                    raise ApiError("invite not found")
                team = await accounts.entity_by_id(conn, invite.entity_id)
                assert team is not None
                await _require_team_admin(conn, ctx.viewer, team)
                removed = await accounts.delete_invite(conn, pk)
            else:
                raise ApiError(f"invalid id: {input.id!r}")
        return DeleteInvitePayload(success=removed)
