"""The viewer's user and API keys, and users made by instance admins; adapters over
`domain.accounts`."""

import strawberry

from ...domain import accounts
from ...ids import decode_id
from ..context import Info
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
class CreateAnonymousEntityInput:
    client_mutation_id: str | None = None


@strawberry.type
class CreateAnonymousEntityPayload:
    api_key: ApiKey | None
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


@strawberry.type
class UserMutations:
    @strawberry.mutation(description="Create a user (instance admins only).")
    async def create_user(self, info: Info, input: CreateUserInput) -> CreateUserPayload | None:
        ctx = info.context
        async with ctx.uow.write() as tx:
            user = await accounts.create_user(tx, ctx.viewer, input.email, admin=bool(input.admin))
        return CreateUserPayload(user=User(rec=user))

    @strawberry.mutation
    async def update_user(self, info: Info, input: UpdateUserInput) -> UpdateUserPayload | None:
        ctx = info.context
        user_id = None if input.id is None else decode_id(input.id, "User")
        async with ctx.uow.write() as tx:
            user = await accounts.update_user(
                tx, ctx.viewer, user_id, default_entity=input.default_entity
            )
        return UpdateUserPayload(user=User(rec=user) if user else None)

    @strawberry.mutation(
        description="Anonymous mode (`wandb login --anonymously`, SDKs before 0.19): refused, "
        "as current W&B servers refuse it; users sign in with an API key."
    )
    def create_anonymous_entity(
        self, input: CreateAnonymousEntityInput
    ) -> CreateAnonymousEntityPayload | None:
        accounts.refuse_anonymous_entities()

    @strawberry.mutation
    async def generate_api_key(
        self, info: Info, input: GenerateApiKeyInput
    ) -> GenerateApiKeyPayload | None:
        ctx = info.context
        async with ctx.uow.write() as tx:
            key = await accounts.generate_api_key(tx, ctx.viewer, input.description)
        return GenerateApiKeyPayload(api_key=ApiKey(rec=key))

    @strawberry.mutation
    async def delete_api_key(
        self, info: Info, input: DeleteApiKeyInput
    ) -> DeleteApiKeyPayload | None:
        ctx = info.context
        key_id = decode_id(input.id, "ApiKey")
        async with ctx.uow.write() as tx:
            deleted = await accounts.delete_api_key(tx, ctx.viewer, key_id)
        return DeleteApiKeyPayload(success=deleted)
