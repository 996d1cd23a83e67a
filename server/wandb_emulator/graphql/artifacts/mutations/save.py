"""The upload protocol wandb-core drives when a run logs an artifact:
CreateArtifact -> CreateArtifactManifest -> CreateArtifactFiles (+ PUTs) ->
CreateArtifactManifest (+ PUT of the manifest) -> CommitArtifact.
Adapters over `domain.artifacts`: parse the input, call the domain, wrap the record."""

from enum import Enum

import strawberry

from ....blobs import md5_hex_to_b64
from ....domain import artifacts
from ....domain.aliases import TagSpec
from ....domain.artifacts import NewArtifact
from ....ids import decode_id, encode_id
from ....records import ArtifactRec
from ....urls import ArtifactFileUpload, ManifestUpload, PartUpload
from ...context import Info
from ...files.types import (
    File,
    FileArtifactRef,
    FileConnection,
    FileEdge,
    UploadMultipartUrls,
    UploadUrlPart,
)
from ...pagination import PageInfo
from ...scalars import Int64, JSONString, json_object
from ..types import (
    Artifact,
    ArtifactDigestAlgorithm,
    ArtifactManifest,
    ArtifactManifestType,
    ArtifactStorageLayout,
    ArtifactType,
    manifest_node,
)


@strawberry.input
class ArtifactAliasInput:
    artifact_collection_name: str
    alias: str


@strawberry.input
class TagInput:
    tag_name: str
    tag_category_name: str | None = None
    attributes: JSONString | None = None


@strawberry.input
class CreateArtifactInput:
    artifact_type_name: str
    entity_name: str
    project_name: str
    digest: str
    artifact_collection_name: str | None = None
    artifact_collection_names: list[str] | None = None
    run_name: str | None = None
    description: str | None = None
    digest_algorithm: ArtifactDigestAlgorithm | None = None
    aliases: list[ArtifactAliasInput] | None = None
    metadata: JSONString | None = None
    labels: JSONString | None = None
    client_id: strawberry.ID | None = strawberry.field(name="clientID", default=None)
    sequence_client_id: strawberry.ID | None = strawberry.field(
        name="sequenceClientID", default=None
    )
    enable_digest_deduplication: bool | None = None
    history_step: Int64 | None = None
    distributed_id: str | None = strawberry.field(name="distributedID", default=None)
    ttl_duration_seconds: Int64 | None = None
    tags: list[TagInput] | None = None
    storage_region: str | None = None
    client_mutation_id: str | None = None


@strawberry.type
class CreateArtifactPayload:
    artifact: Artifact
    client_mutation_id: str | None = None


@strawberry.input
class CreateArtifactManifestInput:
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    name: str
    digest: str
    entity_name: str
    project_name: str
    run_name: str | None = None
    type: ArtifactManifestType = ArtifactManifestType.FULL
    base_artifact_id: strawberry.ID | None = strawberry.field(name="baseArtifactID", default=None)
    include_upload: bool | None = None
    client_mutation_id: str | None = None


@strawberry.type
class ArtifactManifestPayload:
    artifact_manifest: ArtifactManifest
    client_mutation_id: str | None = None


@strawberry.input
class UpdateArtifactManifestInput:
    artifact_manifest_id: strawberry.ID = strawberry.field(name="artifactManifestID")
    digest: str | None = None
    base_artifact_id: strawberry.ID | None = strawberry.field(name="baseArtifactID", default=None)
    client_mutation_id: str | None = None


@strawberry.input
class UploadPartsInput:
    part_number: Int64
    hex_md5: str = strawberry.field(name="hexMD5")


@strawberry.input
class CreateArtifactFileSpecInput:
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    name: str
    md5: str
    mimetype: str | None = None
    artifact_manifest_id: strawberry.ID | None = strawberry.field(
        name="artifactManifestID", default=None
    )
    upload_parts_input: list[UploadPartsInput] | None = None
    digest: str | None = None


@strawberry.input
class CreateArtifactFilesInput:
    artifact_files: list[CreateArtifactFileSpecInput]
    storage_layout: ArtifactStorageLayout = ArtifactStorageLayout.V2
    digest_algorithm: ArtifactDigestAlgorithm | None = None
    cloud_region_id: strawberry.ID | None = strawberry.field(name="cloudRegionID", default=None)
    client_mutation_id: str | None = None


@strawberry.type
class CreateArtifactFilesPayload:
    files: FileConnection
    client_mutation_id: str | None = None


@strawberry.input
class CommitArtifactInput:
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    client_mutation_id: str | None = None


@strawberry.type
class CommitArtifactPayload:
    artifact: Artifact
    client_mutation_id: str | None = None


@strawberry.enum
class CompleteMultipartAction(Enum):
    Complete = "Complete"
    Abort = "Abort"


@strawberry.input
class CompleteMultipartUploadArtifactInput:
    complete_multipart_action: CompleteMultipartAction
    completed_parts: list[UploadPartsInput]
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    storage_path: str
    upload_id: str = strawberry.field(name="uploadID")
    client_mutation_id: str | None = None


@strawberry.type
class CompleteMultipartUploadArtifactPayload:
    digest: str | None
    client_mutation_id: str | None = None


@strawberry.input
class UseArtifactInput:
    entity_name: str
    project_name: str
    run_name: str
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    used_as: str | None = None
    artifact_entity_name: str | None = None
    artifact_project_name: str | None = None
    client_mutation_id: str | None = None


@strawberry.type
class UseArtifactPayload:
    artifact: Artifact
    client_mutation_id: str | None = None


# ------------------------------------------------------------------ helpers


def _tag_specs(tags: list[TagInput] | None) -> list[TagSpec]:
    return [(tag.tag_name, tag.tag_category_name) for tag in tags or []]


async def _create_artifact(info: Info, input: CreateArtifactInput) -> ArtifactRec:
    names = input.artifact_collection_names or []
    name = input.artifact_collection_name or (names[0] if names else None)
    new = NewArtifact(
        entity_name=input.entity_name,
        project_name=input.project_name,
        name=name,
        type_name=input.artifact_type_name,
        digest=input.digest,
        aliases=[a.alias for a in input.aliases or [] if a.artifact_collection_name == name],
        run_name=input.run_name,
        description=input.description,
        metadata=json_object(input.metadata, "metadata"),
        client_id=input.client_id,
        sequence_client_id=input.sequence_client_id,
        deduplicate=input.enable_digest_deduplication is not False,
        history_step=input.history_step,
        ttl_duration_seconds=input.ttl_duration_seconds,
        tags=_tag_specs(input.tags),
        distributed_id=input.distributed_id,
        storage_region=input.storage_region,
    )
    regions = info.context.config.storage_regions
    async with info.context.uow.write() as tx:
        return await artifacts.create_artifact(
            tx, info.context.viewer, new, storage_regions=regions
        )


def _file_edge(artifact_id: int, spec: CreateArtifactFileSpecInput, node: File) -> FileEdge:
    node.artifact = FileArtifactRef(id=strawberry.ID(encode_id("Artifact", artifact_id)))
    return FileEdge(node=node, cursor=spec.name)


def _file_node(info: Info, spec: CreateArtifactFileSpecInput, upload: artifacts.FileUpload) -> File:
    """Where the file's bytes go: nowhere if the content is stored already."""
    urls = info.context.urls
    node = File(
        id=strawberry.ID(f"{upload.artifact_id}:{spec.name}"),
        name=spec.name,
        display_name=spec.name,
        storage_path=upload.storage_path,
        md5=spec.md5,
    )
    if upload.stored:
        return node
    if upload.multipart_id is not None:
        node.upload_multipart_urls = UploadMultipartUrls(
            upload_id=upload.multipart_id,
            upload_url_parts=[
                UploadUrlPart(
                    part_number=part.part_number,
                    upload_url=urls.upload(
                        PartUpload(
                            upload_id=upload.multipart_id,
                            part_number=part.part_number,
                            md5=md5_hex_to_b64(part.hex_md5),
                        )
                    ).url,
                )
                for part in spec.upload_parts_input or []
            ],
        )
    else:
        target = urls.upload(
            ArtifactFileUpload(artifact_id=upload.artifact_id, name=spec.name, md5=spec.md5),
            upload.path,
        )
        node.upload_url, node.upload_headers = target.url, list(target.headers)
    return node


async def _create_files(info: Info, input: CreateArtifactFilesInput) -> FileConnection:
    announced = [
        (str(spec.artifact_id), spec.name, spec.md5, spec.mimetype, bool(spec.upload_parts_input))
        for spec in input.artifact_files
    ]
    uploads = await artifacts.announce_files(
        info.context.uow, info.context.blobs, info.context.viewer, announced
    )
    edges = [
        _file_edge(upload.artifact_id, spec, _file_node(info, spec, upload))
        for spec, upload in zip(input.artifact_files, uploads, strict=True)
    ]
    page_info = PageInfo(end_cursor=edges[-1].cursor if edges else None, has_next_page=False)
    return FileConnection(edges=edges, page_info=page_info, total_count=len(edges))


async def _complete_multipart(
    info: Info, input: CompleteMultipartUploadArtifactInput
) -> str | None:
    abort = input.complete_multipart_action is CompleteMultipartAction.Abort
    return await artifacts.complete_multipart(
        info.context.uow,
        info.context.blobs,
        info.context.viewer,
        input.artifact_id,
        input.upload_id,
        None if abort else [p.part_number for p in input.completed_parts],
    )


async def _set_manifest(
    info: Info,
    artifact_id: str,
    *,
    manifest_type: str | None = None,
    digest: str | None = None,
    base_artifact_id: str | None = None,
) -> ArtifactManifestPayload:
    async with info.context.uow.write() as tx:
        artifact, path = await artifacts.set_manifest(
            tx,
            info.context.blobs,
            info.context.viewer,
            artifact_id,
            manifest_type=manifest_type,
            digest=digest,
            base_artifact_id=base_artifact_id,
        )
    upload = info.context.urls.upload(ManifestUpload(artifact.id), path)
    return ArtifactManifestPayload(artifact_manifest=manifest_node(info, artifact, upload))


@strawberry.input
class CreateArtifactTypeInput:
    entity_name: str
    project_name: str
    name: str
    description: str | None = None
    client_mutation_id: str | None = None


@strawberry.type
class CreateArtifactTypePayload:
    artifact_type: ArtifactType
    client_mutation_id: str | None = None


@strawberry.type
class ArtifactSaveMutations:
    @strawberry.mutation(description="Declare an artifact type in a project (older SDKs).")
    async def create_artifact_type(
        self, info: Info, input: CreateArtifactTypeInput
    ) -> CreateArtifactTypePayload | None:
        async with info.context.uow.write() as tx:
            created = await artifacts.create_artifact_type(
                tx,
                info.context.viewer,
                input.entity_name,
                input.project_name,
                input.name,
                input.description,
            )
        return CreateArtifactTypePayload(artifact_type=ArtifactType(rec=created))

    @strawberry.mutation
    async def create_artifact(
        self, info: Info, input: CreateArtifactInput
    ) -> CreateArtifactPayload | None:
        return CreateArtifactPayload(artifact=Artifact(rec=await _create_artifact(info, input)))

    @strawberry.mutation
    async def create_artifact_manifest(
        self, info: Info, input: CreateArtifactManifestInput
    ) -> ArtifactManifestPayload | None:
        return await _set_manifest(
            info,
            input.artifact_id,
            manifest_type=input.type.value,
            digest=input.digest or None,
            base_artifact_id=input.base_artifact_id,
        )

    @strawberry.mutation
    async def update_artifact_manifest(
        self, info: Info, input: UpdateArtifactManifestInput
    ) -> ArtifactManifestPayload | None:
        artifact_id = decode_id(input.artifact_manifest_id, "ArtifactManifest")
        return await _set_manifest(
            info,
            encode_id("Artifact", artifact_id),
            digest=input.digest,
            base_artifact_id=input.base_artifact_id,
        )

    @strawberry.mutation
    async def create_artifact_files(
        self, info: Info, input: CreateArtifactFilesInput
    ) -> CreateArtifactFilesPayload | None:
        return CreateArtifactFilesPayload(files=await _create_files(info, input))

    @strawberry.mutation
    async def commit_artifact(
        self, info: Info, input: CommitArtifactInput
    ) -> CommitArtifactPayload | None:
        committed = await artifacts.commit(
            info.context.uow, info.context.blobs, info.context.viewer, input.artifact_id
        )
        return CommitArtifactPayload(artifact=Artifact(rec=committed))

    @strawberry.mutation
    async def complete_multipart_upload_artifact(
        self, info: Info, input: CompleteMultipartUploadArtifactInput
    ) -> CompleteMultipartUploadArtifactPayload | None:
        return CompleteMultipartUploadArtifactPayload(digest=await _complete_multipart(info, input))

    @strawberry.mutation
    async def use_artifact(self, info: Info, input: UseArtifactInput) -> UseArtifactPayload | None:
        async with info.context.uow.write() as tx:
            used = await artifacts.use_artifact(
                tx,
                info.context.viewer,
                input.artifact_id,
                input.entity_name,
                input.project_name,
                input.run_name,
                input.used_as,
            )
        return UseArtifactPayload(artifact=Artifact(rec=used))
