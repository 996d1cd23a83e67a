"""Editing logged artifacts and collections: aliases, tags, descriptions, deletion."""

import strawberry

from ....domain import artifacts, collections
from ....domain.artifacts import AliasTarget, ArtifactChanges
from ....records import CollectionKind
from ...context import Info
from ...scalars import Int64, JSONString, json_object
from ..types import (
    Artifact,
    ArtifactCollection,
    Tag,
    collection_node,
)
from .save import ArtifactAliasInput, TagInput, _tag_specs


@strawberry.input
class ArtifactCollectionAliasInput:
    alias: str
    artifact_collection_name: str
    entity_name: str
    project_name: str


@strawberry.input
class AddAliasesInput:
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    aliases: list[ArtifactCollectionAliasInput]
    client_mutation_id: str | None = None


@strawberry.input
class DeleteAliasesInput:
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    aliases: list[ArtifactCollectionAliasInput]
    client_mutation_id: str | None = None


@strawberry.type
class SuccessResult:
    success: bool
    client_mutation_id: str | None = None


@strawberry.input
class UpdateArtifactInput:
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    description: str | None = None
    metadata: JSONString | None = None
    labels: JSONString | None = None
    ttl_duration_seconds: Int64 | None = None
    tags_to_add: list[TagInput] | None = None
    tags_to_delete: list[TagInput] | None = None
    aliases: list[ArtifactAliasInput] | None = None
    client_mutation_id: str | None = None


@strawberry.type
class UpdateArtifactPayload:
    artifact: Artifact
    client_mutation_id: str | None = None


@strawberry.input
class DeleteArtifactInput:
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    delete_aliases: bool | None = False
    client_mutation_id: str | None = None


@strawberry.type
class DeleteArtifactPayload:
    artifact: Artifact
    client_mutation_id: str | None = None


@strawberry.input
class UpdateArtifactPortfolioInput:
    artifact_portfolio_id: strawberry.ID = strawberry.field(name="artifactPortfolioID")
    name: str | None = None
    description: str | None = None
    client_mutation_id: str | None = None


@strawberry.input
class UpdateArtifactSequenceInput:
    artifact_sequence_id: strawberry.ID = strawberry.field(name="artifactSequenceID")
    name: str | None = None
    description: str | None = None
    client_mutation_id: str | None = None


@strawberry.input
class MoveArtifactSequenceInput:
    artifact_sequence_id: strawberry.ID = strawberry.field(name="artifactSequenceID")
    destination_artifact_type_name: str
    client_mutation_id: str | None = None


@strawberry.type
class ArtifactCollectionPayload:
    artifact_collection: ArtifactCollection
    client_mutation_id: str | None = None


@strawberry.input
class DeleteArtifactPortfolioInput:
    artifact_portfolio_id: strawberry.ID = strawberry.field(name="artifactPortfolioID")
    client_mutation_id: str | None = None


@strawberry.input
class DeleteArtifactSequenceInput:
    artifact_sequence_id: strawberry.ID = strawberry.field(name="artifactSequenceID")
    client_mutation_id: str | None = None


@strawberry.input
class CreateArtifactCollectionTagAssignmentsInput:
    entity_name: str
    project_name: str
    artifact_collection_name: str
    tags: list[TagInput]
    client_mutation_id: str | None = strawberry.field(name="clientMutationID", default=None)


@strawberry.type
class CreateArtifactCollectionTagAssignmentsPayload:
    tags: list[Tag]
    client_mutation_id: str | None = strawberry.field(name="clientMutationID", default=None)


@strawberry.input
class DeleteArtifactCollectionTagAssignmentsInput:
    entity_name: str
    project_name: str
    artifact_collection_name: str
    tags: list[TagInput]
    client_mutation_id: str | None = strawberry.field(name="clientMutationID", default=None)


# ------------------------------------------------------------------ helpers


async def _change_aliases(
    info: Info, artifact_id: str, aliases: list[ArtifactCollectionAliasInput], add: bool
) -> None:
    targets = [
        AliasTarget(a.entity_name, a.project_name, a.artifact_collection_name, a.alias)
        for a in aliases
    ]
    async with info.context.uow.write() as tx:
        await artifacts.change_aliases(tx, info.context.viewer, artifact_id, targets, add=add)


async def _update_artifact(info: Info, input: UpdateArtifactInput) -> Artifact:
    changes = ArtifactChanges(
        description=input.description,
        metadata=json_object(input.metadata, "metadata"),
        ttl_duration_seconds=input.ttl_duration_seconds,
        tags_to_add=_tag_specs(input.tags_to_add),
        tags_to_delete=[tag.tag_name for tag in input.tags_to_delete or []],
        aliases=[a.alias for a in input.aliases or []],
    )
    async with info.context.uow.write() as tx:
        updated = await artifacts.update_artifact(
            tx, info.context.viewer, input.artifact_id, changes
        )
    return Artifact(rec=updated)


async def _delete_artifact(info: Info, input: DeleteArtifactInput) -> Artifact:
    async with info.context.uow.write() as tx:
        deleted = await artifacts.delete_artifact(
            tx, info.context.viewer, input.artifact_id, delete_aliases=bool(input.delete_aliases)
        )
    return Artifact(rec=deleted)


async def _update_collection(
    info: Info, global_id: str, kind: CollectionKind, name: str | None, description: str | None
) -> ArtifactCollection:
    async with info.context.uow.write() as tx:
        updated = await collections.update_collection(
            tx, info.context.viewer, global_id, kind, name=name, description=description
        )
    return collection_node(updated)


async def _delete_collection(
    info: Info, global_id: str, kind: CollectionKind
) -> ArtifactCollectionPayload:
    """Delete a collection; the payload shows its last state, marked DELETED."""
    async with info.context.uow.write() as tx:
        collection = await collections.delete_collection(tx, info.context.viewer, global_id, kind)
    return ArtifactCollectionPayload(artifact_collection=collection_node(collection, deleted=True))


@strawberry.type
class ArtifactEditMutations:
    @strawberry.mutation
    async def add_aliases(self, info: Info, input: AddAliasesInput) -> SuccessResult | None:
        await _change_aliases(info, input.artifact_id, input.aliases, add=True)
        return SuccessResult(success=True)

    @strawberry.mutation
    async def delete_aliases(self, info: Info, input: DeleteAliasesInput) -> SuccessResult | None:
        await _change_aliases(info, input.artifact_id, input.aliases, add=False)
        return SuccessResult(success=True)

    @strawberry.mutation
    async def update_artifact(
        self, info: Info, input: UpdateArtifactInput
    ) -> UpdateArtifactPayload | None:
        return UpdateArtifactPayload(artifact=await _update_artifact(info, input))

    @strawberry.mutation
    async def delete_artifact(
        self, info: Info, input: DeleteArtifactInput
    ) -> DeleteArtifactPayload | None:
        return DeleteArtifactPayload(artifact=await _delete_artifact(info, input))

    @strawberry.mutation
    async def update_artifact_portfolio(
        self, info: Info, input: UpdateArtifactPortfolioInput
    ) -> ArtifactCollectionPayload | None:
        node = await _update_collection(
            info, input.artifact_portfolio_id, "PORTFOLIO", input.name, input.description
        )
        return ArtifactCollectionPayload(artifact_collection=node)

    @strawberry.mutation
    async def update_artifact_sequence(
        self, info: Info, input: UpdateArtifactSequenceInput
    ) -> ArtifactCollectionPayload | None:
        node = await _update_collection(
            info, input.artifact_sequence_id, "SEQUENCE", input.name, input.description
        )
        return ArtifactCollectionPayload(artifact_collection=node)

    @strawberry.mutation
    async def move_artifact_sequence(
        self, info: Info, input: MoveArtifactSequenceInput
    ) -> ArtifactCollectionPayload | None:
        async with info.context.uow.write() as tx:
            moved = await collections.move_collection_type(
                tx,
                info.context.viewer,
                input.artifact_sequence_id,
                input.destination_artifact_type_name,
            )
        return ArtifactCollectionPayload(artifact_collection=collection_node(moved))

    @strawberry.mutation
    async def delete_artifact_portfolio(
        self, info: Info, input: DeleteArtifactPortfolioInput
    ) -> ArtifactCollectionPayload | None:
        return await _delete_collection(info, input.artifact_portfolio_id, "PORTFOLIO")

    @strawberry.mutation
    async def delete_artifact_sequence(
        self, info: Info, input: DeleteArtifactSequenceInput
    ) -> ArtifactCollectionPayload | None:
        return await _delete_collection(info, input.artifact_sequence_id, "SEQUENCE")

    @strawberry.mutation
    async def create_artifact_collection_tag_assignments(
        self, info: Info, input: CreateArtifactCollectionTagAssignmentsInput
    ) -> CreateArtifactCollectionTagAssignmentsPayload | None:
        async with info.context.uow.write() as tx:
            added = await collections.tag_collection(
                tx,
                info.context.viewer,
                input.entity_name,
                input.project_name,
                input.artifact_collection_name,
                _tag_specs(input.tags),
            )
        return CreateArtifactCollectionTagAssignmentsPayload(tags=[Tag(rec=t) for t in added])

    @strawberry.mutation
    async def delete_artifact_collection_tag_assignments(
        self, info: Info, input: DeleteArtifactCollectionTagAssignmentsInput
    ) -> SuccessResult | None:
        async with info.context.uow.write() as tx:
            await collections.untag_collection(
                tx,
                info.context.viewer,
                input.entity_name,
                input.project_name,
                input.artifact_collection_name,
                [tag.tag_name for tag in input.tags],
            )
        return SuccessResult(success=True)
