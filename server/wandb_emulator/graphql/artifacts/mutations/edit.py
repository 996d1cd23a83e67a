"""Editing logged artifacts and collections: aliases, tags, descriptions, deletion."""

from __future__ import annotations

import strawberry

from ....store import accounts, artifacts, projects
from ....store.database import Conn
from ....store.records import CollectionRec, UserRec
from ....validation import check_artifact_type_name, check_name
from ...context import Info
from ...errors import ApiError
from ...scalars import Int64, JSONString, json_object
from ..types import (
    Artifact,
    ArtifactCollection,
    Tag,
    collection_node,
)
from .common import (
    artifact_for_write,
    check_alias,
    collection_for_write,
    require_write,
    user_aliases,
    visible_artifact,
)
from .save import ArtifactAliasInput, TagInput


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


async def _collection_at(
    conn: Conn, viewer: UserRec, entity: str, project: str, name: str
) -> CollectionRec:
    entity_rec = await accounts.entity_by_name(conn, entity)
    project_rec = (
        await projects.project_by_name(conn, entity_rec.id, project) if entity_rec else None
    )
    collection = (
        await artifacts.collection_by_name(conn, project_rec.id, name) if project_rec else None
    )
    if collection is None:
        raise ApiError(f"artifact collection {entity}/{project}/{name} not found")
    await require_write(conn, viewer, collection.project_id)
    return collection


async def _change_aliases(info: Info, artifact_id: str, aliases: list, add: bool) -> None:
    viewer = info.context.viewer
    async with info.context.db.write() as conn:
        artifact = await visible_artifact(conn, viewer, artifact_id)
        for spec in aliases:
            check_alias(spec.alias)
            collection = await _collection_at(
                conn, viewer, spec.entity_name, spec.project_name, spec.artifact_collection_name
            )
            if await artifacts.membership_of(conn, collection.id, artifact.id) is None:
                raise ApiError(
                    f"the artifact is not a version of {spec.artifact_collection_name!r}"
                )
            if add:
                await artifacts.set_alias(conn, collection.id, artifact.id, spec.alias)
            else:
                await artifacts.delete_alias(conn, collection.id, artifact.id, spec.alias)


async def _change_tags(conn: Conn, input: UpdateArtifactInput, artifact_id: int) -> None:
    for tag in input.tags_to_add or []:
        check_name("tag", tag.tag_name)
        await artifacts.tag_artifact(
            conn, artifact_id, await artifacts.ensure_tag(conn, tag.tag_name, tag.tag_category_name)
        )
    for tag in input.tags_to_delete or []:
        await artifacts.untag_artifact(conn, artifact_id, tag.tag_name)


async def _update_artifact(info: Info, input: UpdateArtifactInput) -> Artifact:
    async with info.context.db.write() as conn:
        artifact = await artifact_for_write(conn, info.context.viewer, input.artifact_id)
        await artifacts.update_artifact(
            conn,
            artifact.id,
            description=input.description,
            metadata=json_object(input.metadata, "metadata"),
            ttl_duration_seconds=input.ttl_duration_seconds,
        )
        await _change_tags(conn, input, artifact.id)
        sequence = await artifacts.collection_by_id(conn, artifact.sequence_id)
        assert sequence is not None
        for alias in user_aliases([a.alias for a in input.aliases or []]):
            await artifacts.set_alias(conn, sequence.id, artifact.id, alias)
        updated = await artifacts.artifact_by_id(conn, artifact.id)
    assert updated is not None
    return Artifact(rec=updated)


async def _delete_artifact(info: Info, input: DeleteArtifactInput) -> Artifact:
    async with info.context.db.write() as conn:
        artifact = await artifact_for_write(conn, info.context.viewer, input.artifact_id)
        named = [
            a.alias
            for a in await artifacts.aliases_of_artifact(conn, artifact.id)
            if a.alias != artifacts.LATEST
        ]
        if named and not input.delete_aliases:
            raise ApiError(
                f"cannot delete an artifact with aliases ({', '.join(sorted(set(named)))});"
                " delete them first or pass delete_aliases=True"
            )
        await artifacts.delete_artifact(conn, artifact)
        deleted = await artifacts.artifact_by_id(conn, artifact.id)
    assert deleted is not None
    return Artifact(rec=deleted)


async def _update_collection(
    info: Info, global_id: str, kind: str, name: str | None, description: str | None
) -> ArtifactCollection:
    async with info.context.db.write() as conn:
        collection = await collection_for_write(conn, info.context.viewer, global_id, kind)
        await artifacts.update_collection(
            conn,
            collection,
            name=check_name("collection", name) if name else None,
            description=description,
        )
        updated = await artifacts.collection_by_id(conn, collection.id)
    assert updated is not None
    return collection_node(updated)


async def _delete_collection(info: Info, global_id: str, kind: str) -> ArtifactCollectionPayload:
    """Delete a collection; the payload shows its last state, marked DELETED."""
    async with info.context.db.write() as conn:
        collection = await collection_for_write(conn, info.context.viewer, global_id, kind)
        await artifacts.delete_collection(conn, collection)
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
        type_name = check_artifact_type_name(input.destination_artifact_type_name)
        async with info.context.db.write() as conn:
            collection = await collection_for_write(
                conn, info.context.viewer, input.artifact_sequence_id, "SEQUENCE"
            )
            artifact_type = await artifacts.ensure_artifact_type(
                conn, collection.project_id, type_name
            )
            await artifacts.move_collection_type(conn, collection, artifact_type.id)
            moved = await artifacts.collection_by_id(conn, collection.id)
        assert moved is not None
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
        added = []
        async with info.context.db.write() as conn:
            collection = await _collection_at(
                conn,
                info.context.viewer,
                input.entity_name,
                input.project_name,
                input.artifact_collection_name,
            )
            for tag in input.tags:
                rec = await artifacts.ensure_tag(
                    conn, check_name("tag", tag.tag_name), tag.tag_category_name
                )
                await artifacts.tag_collection(conn, collection.id, rec)
                added.append(Tag(rec=rec))
        return CreateArtifactCollectionTagAssignmentsPayload(tags=added)

    @strawberry.mutation
    async def delete_artifact_collection_tag_assignments(
        self, info: Info, input: DeleteArtifactCollectionTagAssignmentsInput
    ) -> SuccessResult | None:
        async with info.context.db.write() as conn:
            collection = await _collection_at(
                conn,
                info.context.viewer,
                input.entity_name,
                input.project_name,
                input.artifact_collection_name,
            )
            for tag in input.tags:
                await artifacts.untag_collection(conn, collection.id, tag.tag_name)
        return SuccessResult(success=True)
