"""The upload protocol wandb-core drives when a run logs an artifact:
CreateArtifact -> CreateArtifactManifest -> CreateArtifactFiles (+ PUTs) ->
CreateArtifactManifest (+ PUT of the manifest) -> CommitArtifact."""

from __future__ import annotations

import json
import uuid
from enum import Enum

import strawberry

from ....blobs import md5_b64_to_hex, md5_hex_to_b64
from ....ids import decode_id, encode_id
from ....store import artifacts, runs
from ....store.database import Conn
from ....store.records import ArtifactFileRec, ArtifactRec, utc_now
from ....validation import check_artifact_type_name, check_name
from ...access import writable_project
from ...context import Info
from ...errors import ApiError
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
from ..resolvers import manifest_node
from ..types import (
    Artifact,
    ArtifactDigestAlgorithm,
    ArtifactManifest,
    ArtifactManifestType,
    ArtifactStorageLayout,
    ArtifactType,
)
from .common import artifact_for_write, collection_of_kind, user_aliases, visible_artifact


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


def _requested_aliases(input: CreateArtifactInput, collection: str) -> list[str]:
    return [a.alias for a in input.aliases or [] if a.artifact_collection_name == collection]


async def _apply_tags(conn: Conn, artifact_id: int, tags: list[TagInput] | None) -> None:
    for tag in tags or []:
        check_name("tag", tag.tag_name)
        await artifacts.tag_artifact(
            conn, artifact_id, await artifacts.ensure_tag(conn, tag.tag_name, tag.tag_category_name)
        )


async def _create_artifact(info: Info, input: CreateArtifactInput) -> ArtifactRec:
    viewer = info.context.viewer
    name = input.artifact_collection_name or (input.artifact_collection_names or [None])[0]
    name = check_name("artifact", name)
    type_name = check_artifact_type_name(input.artifact_type_name)
    async with info.context.db.write() as conn:
        project = await writable_project(
            conn, viewer, input.entity_name, input.project_name, create=True
        )
        sequence = await collection_of_kind(
            conn, project.id, name, "SEQUENCE", type_name, client_id=input.sequence_client_id
        )
        aliases = user_aliases(_requested_aliases(input, name))
        if input.enable_digest_deduplication is not False:
            existing = await artifacts.committed_with_digest(conn, sequence.id, input.digest)
            if existing is not None:
                for alias in aliases:
                    await artifacts.set_alias(conn, sequence.id, existing.id, alias)
                return existing
        run = await runs.run_by_name(conn, project.id, input.run_name) if input.run_name else None
        created = await artifacts.create_artifact(
            conn,
            sequence,
            digest=input.digest,
            description=input.description,
            metadata=json_object(input.metadata, "metadata"),
            client_id=input.client_id,
            run_id=run.id if run else None,
            user_id=viewer.id,
            history_step=input.history_step,
            ttl_duration_seconds=input.ttl_duration_seconds,
            aliases=aliases,
        )
        await _apply_tags(conn, created.id, input.tags)
        return created


def _read_manifest(info: Info, blob_key: str) -> dict:
    try:
        manifest = json.loads(info.context.blobs.path(blob_key).read_bytes())
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ApiError("the uploaded manifest is not valid JSON") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("contents"), dict):
        raise ApiError("the uploaded manifest has no `contents`")
    return manifest


async def _full_manifest(info: Info, conn: Conn, artifact: ArtifactRec) -> dict:
    """The version's complete manifest. An incremental (or patch) manifest holds only the
    entries that changed since its base version; the rest are inherited and stored merged,
    so downloads read one complete manifest."""
    assert artifact.manifest_blob_key is not None
    manifest = _read_manifest(info, artifact.manifest_blob_key)
    if artifact.manifest_type not in ("INCREMENTAL", "PATCH") or not artifact.base_artifact_id:
        return manifest
    base = await artifacts.artifact_by_id(conn, artifact.base_artifact_id)
    if base is None or base.manifest_blob_key is None:
        raise ApiError("the base version of an incremental artifact has no manifest")
    inherited = _read_manifest(info, base.manifest_blob_key)["contents"]
    merged = {**manifest, "contents": {**inherited, **manifest["contents"]}}
    key = info.context.blobs.put(json.dumps(merged, sort_keys=True).encode())
    await artifacts.set_manifest(conn, artifact.id, blob_key=key)
    return merged


def _file_from_entry(
    info: Info, artifact_id: int, name: str, entry: dict, mimetypes: dict[str, str | None]
) -> ArtifactFileRec:
    digest, ref = entry.get("digest"), entry.get("ref")
    if not isinstance(digest, str):
        raise ApiError(f"manifest entry {name!r} has no digest")
    blob_key = None
    size = entry.get("size")
    if ref is None:
        blob_key = md5_b64_to_hex(digest)
        if not info.context.blobs.exists(blob_key):
            raise ApiError(f"file {name!r} of the manifest was not uploaded")
        if isinstance(size, int) and info.context.blobs.size(blob_key) != size:
            raise ApiError(
                f"file {name!r} has {info.context.blobs.size(blob_key)} bytes,"
                f" the manifest says {size}"
            )
    return ArtifactFileRec(
        artifact_id=artifact_id,
        name=name,
        md5=digest,
        digest=digest,
        size=size if isinstance(size, int) else None,
        mimetype=mimetypes.get(name),
        blob_key=blob_key,
        ref=ref,
        updated_at=utc_now(),
    )


async def _commit(info: Info, global_id: str) -> ArtifactRec:
    async with info.context.db.write() as conn:
        artifact = await artifact_for_write(conn, info.context.viewer, global_id)
        if artifact.state == "COMMITTED":
            return artifact
        if artifact.state != "PENDING":
            raise ApiError(f"artifact {global_id!r} is {artifact.state.lower()}")
        if artifact.manifest_blob_key is None:
            raise ApiError("cannot commit an artifact whose manifest was not uploaded")
        entries = (await _full_manifest(info, conn, artifact))["contents"]
        mimetypes = await artifacts.announced_mimetypes(conn, artifact.id)
        files = [
            _file_from_entry(info, artifact.id, name, entry, mimetypes)
            for name, entry in entries.items()
            if isinstance(entry, dict)
        ]
        await artifacts.replace_files(conn, artifact.id, files)
        await artifacts.commit_artifact(
            conn, artifact, size=sum(f.size or 0 for f in files), file_count=len(files)
        )
        committed = await artifacts.artifact_by_id(conn, artifact.id)
    assert committed is not None
    return committed


def _file_edge(
    info: Info, artifact_id: int, spec: CreateArtifactFileSpecInput, upload: File | None
) -> FileEdge:
    node = upload or File(id=strawberry.ID(spec.name), name=spec.name, display_name=spec.name)
    node.artifact = FileArtifactRef(id=strawberry.ID(encode_id("Artifact", artifact_id)))
    return FileEdge(node=node, cursor=spec.name)


async def _file_upload(
    info: Info, conn: Conn, artifact_id: int, spec: CreateArtifactFileSpecInput
) -> File:
    """Where the file's bytes go: nowhere if the content is stored already."""
    key = md5_b64_to_hex(spec.md5)
    urls = info.context.urls
    node = File(
        id=strawberry.ID(f"{artifact_id}:{spec.name}"),
        name=spec.name,
        display_name=spec.name,
        storage_path=f"blobs/{key}",
        md5=spec.md5,
    )
    if info.context.blobs.exists(key):
        return node
    if spec.upload_parts_input:
        upload_id = uuid.uuid4().hex
        await artifacts.start_multipart(conn, upload_id, artifact_id, spec.name, spec.md5)
        node.upload_multipart_urls = UploadMultipartUrls(
            upload_id=upload_id,
            upload_url_parts=[
                UploadUrlPart(
                    part_number=part.part_number,
                    upload_url=urls.upload(
                        t="part",
                        u=upload_id,
                        p=part.part_number,
                        m=md5_hex_to_b64(part.hex_md5),
                    ),
                )
                for part in spec.upload_parts_input
            ],
        )
    else:
        node.upload_url = urls.upload(t="artifact-file", a=artifact_id, n=spec.name, m=spec.md5)
    return node


async def _create_files(info: Info, input: CreateArtifactFilesInput) -> FileConnection:
    edges = []
    async with info.context.db.write() as conn:
        checked: dict[str, ArtifactRec] = {}
        for spec in input.artifact_files:
            if spec.artifact_id not in checked:
                checked[spec.artifact_id] = await artifact_for_write(
                    conn, info.context.viewer, spec.artifact_id
                )
            artifact = checked[spec.artifact_id]
            await artifacts.announce_file(conn, artifact.id, spec.name, spec.md5, spec.mimetype)
            upload = await _file_upload(info, conn, artifact.id, spec)
            edges.append(_file_edge(info, artifact.id, spec, upload))
    page_info = PageInfo(end_cursor=edges[-1].cursor if edges else None, has_next_page=False)
    return FileConnection(edges=edges, page_info=page_info, total_count=len(edges))


async def _complete_multipart(
    info: Info, input: CompleteMultipartUploadArtifactInput
) -> str | None:
    async with info.context.db.write() as conn:
        artifact = await artifact_for_write(conn, info.context.viewer, input.artifact_id)
        upload = await artifacts.multipart_upload(conn, input.upload_id)
        if upload is None or upload.artifact_id != artifact.id:
            raise ApiError(f"multipart upload {input.upload_id!r} not found")
        if input.complete_multipart_action is CompleteMultipartAction.Abort:
            await artifacts.finish_multipart(conn, input.upload_id)
            return None
        parts = json.loads(upload.parts)
        order = sorted(input.completed_parts, key=lambda p: p.part_number)
        missing = [p.part_number for p in order if str(p.part_number) not in parts]
        if missing:
            raise ApiError(f"parts {missing} of the multipart upload were not uploaded")
        key, _size = info.context.blobs.concatenate([parts[str(p.part_number)] for p in order])
        if key != md5_b64_to_hex(upload.md5):
            raise ApiError("the assembled file does not match its announced MD5")
        await artifacts.finish_multipart(conn, input.upload_id)
    return md5_hex_to_b64(key)


async def _use_artifact(info: Info, input: UseArtifactInput) -> ArtifactRec:
    async with info.context.db.write() as conn:
        artifact = await visible_artifact(conn, info.context.viewer, input.artifact_id)
        project = await writable_project(
            conn, info.context.viewer, input.entity_name, input.project_name, create=True
        )
        run = await runs.run_by_name(conn, project.id, input.run_name)
        if run is None:
            raise ApiError(
                f"run {input.entity_name}/{input.project_name}/{input.run_name} not found"
            )
        await artifacts.record_usage(conn, run.id, artifact.id, input.used_as)
    return artifact


async def _manifest_target(info: Info, conn: Conn, artifact_id: str) -> ArtifactRec:
    return await artifact_for_write(conn, info.context.viewer, artifact_id)


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
        name = check_artifact_type_name(input.name)
        async with info.context.db.write() as conn:
            project = await writable_project(
                conn, info.context.viewer, input.entity_name, input.project_name, create=True
            )
            created = await artifacts.ensure_artifact_type(
                conn, project.id, name, input.description
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
        async with info.context.db.write() as conn:
            artifact = await _manifest_target(info, conn, input.artifact_id)
            base = decode_id(input.base_artifact_id, "Artifact") if input.base_artifact_id else None
            await artifacts.set_manifest(
                conn,
                artifact.id,
                manifest_type=input.type.value,
                digest=input.digest or None,
                base_artifact_id=base,
            )
        return ArtifactManifestPayload(
            artifact_manifest=manifest_node(info, artifact, include_upload=True)
        )

    @strawberry.mutation
    async def update_artifact_manifest(
        self, info: Info, input: UpdateArtifactManifestInput
    ) -> ArtifactManifestPayload | None:
        artifact_id = decode_id(input.artifact_manifest_id, "ArtifactManifest")
        async with info.context.db.write() as conn:
            artifact = await _manifest_target(info, conn, encode_id("Artifact", artifact_id))
            base = decode_id(input.base_artifact_id, "Artifact") if input.base_artifact_id else None
            await artifacts.set_manifest(
                conn, artifact.id, digest=input.digest, base_artifact_id=base
            )
        return ArtifactManifestPayload(
            artifact_manifest=manifest_node(info, artifact, include_upload=True)
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
        return CommitArtifactPayload(artifact=Artifact(rec=await _commit(info, input.artifact_id)))

    @strawberry.mutation
    async def complete_multipart_upload_artifact(
        self, info: Info, input: CompleteMultipartUploadArtifactInput
    ) -> CompleteMultipartUploadArtifactPayload | None:
        return CompleteMultipartUploadArtifactPayload(digest=await _complete_multipart(info, input))

    @strawberry.mutation
    async def use_artifact(self, info: Info, input: UseArtifactInput) -> UseArtifactPayload | None:
        return UseArtifactPayload(artifact=Artifact(rec=await _use_artifact(info, input)))
