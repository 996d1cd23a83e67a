from __future__ import annotations

import secrets

import strawberry

from ...ids import decode_id
from ...store import accounts
from ..context import Info
from ..errors import ApiError, PermissionDenied
from .types import ApiKey, User


@strawberry.input
class UpdateUserInput:
    id: strawberry.ID | None = None
    default_entity: str | None = None
    name: str | None = None
    client_mutation_id: str | None = None


@strawberry.type
class UpdateUserPayload:
    user: User | None
    client_mutation_id: str | None = None


@strawberry.input
class GenerateApiKeyInput:
    description: str | None = None
    client_mutation_id: str | None = None


@strawberry.type
class GenerateApiKeyPayload:
    api_key: ApiKey | None
    client_mutation_id: str | None = None


@strawberry.input
class DeleteApiKeyInput:
    id: str
    client_mutation_id: str | None = None


@strawberry.type
class DeleteApiKeyPayload:
    success: bool
    client_mutation_id: str | None = None


@strawberry.input
class CreateUserInput:
    email: str
    admin: bool | None = None
    client_mutation_id: str | None = None


@strawberry.type
class CreateUserPayload:
    user: User | None
    client_mutation_id: str | None = None


def new_api_key() -> str:
    return "local-" + secrets.token_hex(20)


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="Create a user (instance admins only).")
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserPayload | None:
        ctx = info.context
        if not ctx.viewer.admin:
            raise PermissionDenied("permission denied: only instance admins create users")
        local_part, at, domain = input.email.partition("@")
        if not at or not local_part or not domain:
            raise ApiError(f"invalid email {input.email!r}")
        async with ctx.db.write() as conn:
            username = await accounts.free_entity_name(conn, _username_from(local_part))
            user = await accounts.create_user(
                conn, username, email=input.email, admin=bool(input.admin), api_key=new_api_key()
            )
        return CreateUserPayload(user=User(rec=user))

    @strawberry.mutation
    async def update_user(self, info: Info, input: UpdateUserInput) -> UpdateUserPayload | None:
        ctx = info.context
        user_id = ctx.viewer.id if input.id is None else decode_id(input.id, "User")
        if user_id != ctx.viewer.id and not ctx.viewer.admin:
            raise PermissionDenied("you can only update your own user")
        async with ctx.db.write() as conn:
            if input.default_entity is not None:
                entity = await accounts.entity_by_name(conn, input.default_entity)
                if entity is None:
                    raise ApiError(f"entity {input.default_entity!r} not found")
                await accounts.set_default_entity(conn, user_id, entity.id)
            user = await accounts.user_by_id(conn, user_id)
        return UpdateUserPayload(user=User(rec=user) if user else None)

    @strawberry.mutation
    async def generate_api_key(
        self, info: Info, input: GenerateApiKeyInput
    ) -> GenerateApiKeyPayload | None:
        ctx = info.context
        async with ctx.db.write() as conn:
            key = await accounts.add_api_key(conn, ctx.viewer.id, new_api_key(), input.description)
        return GenerateApiKeyPayload(api_key=ApiKey(rec=key))

    @strawberry.mutation
    async def delete_api_key(
        self, info: Info, input: DeleteApiKeyInput
    ) -> DeleteApiKeyPayload | None:
        ctx = info.context
        key_id = decode_id(input.id, "ApiKey")
        async with ctx.db.write() as conn:
            deleted = await accounts.delete_api_key(conn, key_id, ctx.viewer.id)
        return DeleteApiKeyPayload(success=deleted)


def _username_from(local_part: str) -> str:
    """A valid username from an email's local part ("jane.doe+x" -> "jane-doe-x")."""
    cleaned = "".join(c if c.isalnum() or c in "-_" else "-" for c in local_part.lower())
    return cleaned.strip("-") or "user"
