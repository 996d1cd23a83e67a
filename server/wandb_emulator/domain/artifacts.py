"""Artifact versions: creation (with digest deduplication), manifests, file uploads,
commit, lineage (use), editing (description, metadata, tags, aliases) and deletion.

The upload protocol wandb-core drives when a run logs an artifact:
create -> manifest -> files (+ PUTs) -> manifest (+ PUT of the manifest) -> commit.

Events: `ArtifactCreated` when a new pending version is created (not on a digest
deduplication hit), `ArtifactCommitted` when it becomes a version, `ArtifactDeleted` on
deletion, tag and alias events for every tag and alias that changed (see `aliases`).
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from .. import layout
from ..blobs import (
    BlobInfo,
    BlobRef,
    BlobStore,
    ChecksumMismatch,
    MissingParts,
    md5_b64_to_hex,
    md5_hex_to_b64,
)
from ..ids import decode_id
from ..naming import check_artifact_type_name, check_name
from ..records import (
    ArtifactFileRec,
    ArtifactRec,
    ArtifactTypeRec,
    CollectionKind,
    CollectionRec,
    UserRec,
    utc_now,
)
from ..store import accounts, artifacts, projects, runs
from ..store.database import Conn
from .aliases import (
    AliasChanges,
    TagSpec,
    check_alias,
    check_removable_alias,
    emit_artifact_event,
    tag_artifact,
    untag_artifact,
    user_aliases,
)
from .artifact_access import artifact_for_write, require_write, visible_artifact
from .errors import InvalidInput, NotFound
from .events import ArtifactCommitted, ArtifactCreated, ArtifactDeleted
from .projects import writable_project
from .unit import Tx, UnitOfWork

# Refusals worded for how the caller reached the collection: logging into it (a
# sequence) or linking into it (a portfolio).
_WRONG_KIND = {
    "SEQUENCE": "{name!r} is a portfolio of linked artifacts; log to another name",
    "PORTFOLIO": "{name!r} holds logged artifacts; link into a portfolio instead",
}
_WRONG_TYPE = {
    "SEQUENCE": "artifact {name!r} already exists with type {existing!r};"
    " cannot create another with type {wanted!r}",
    "PORTFOLIO": "collection {name!r} holds artifacts of type {existing!r}, not {wanted!r}",
}


async def collection_of_kind(
    conn: Conn,
    project_id: int,
    name: str,
    kind: CollectionKind,
    type_name: str,
    *,
    client_id: str | None = None,
) -> CollectionRec:
    """The project's collection `name`, created on first use; it must be of `kind`
    and hold `type_name` artifacts."""
    existing = await artifacts.collection_by_name(conn, project_id, name)
    if existing is None:
        artifact_type = await artifacts.ensure_artifact_type(conn, project_id, type_name)
        return await artifacts.create_collection(
            conn, project_id, artifact_type.id, name, kind, client_id=client_id
        )
    if existing.kind != kind:
        raise InvalidInput(_WRONG_KIND[kind].format(name=name))
    existing_type = await artifacts.artifact_type_name(conn, existing.type_id)
    if existing_type != type_name:
        raise InvalidInput(
            _WRONG_TYPE[kind].format(name=name, existing=existing_type, wanted=type_name)
        )
    return existing


async def sequence_of(conn: Conn, artifact: ArtifactRec) -> CollectionRec:
    sequence = await artifacts.collection_by_id(conn, artifact.sequence_id)
    assert sequence is not None
    return sequence


async def _reloaded(conn: Conn, artifact_id: int) -> ArtifactRec:
    artifact = await artifacts.artifact_by_id(conn, artifact_id)
    assert artifact is not None
    return artifact


# ------------------------------------------------------------------ create


@dataclass(frozen=True)
class NewArtifact:
    """What a client asks for when it creates a version (CreateArtifactInput)."""

    entity_name: str
    project_name: str
    name: str | None  # of the sequence
    type_name: str
    digest: str
    aliases: list[str] = field(default_factory=list)  # those naming this collection
    run_name: str | None = None
    description: str | None = None
    metadata: str | None = None
    client_id: str | None = None
    sequence_client_id: str | None = None
    deduplicate: bool = True
    history_step: int | None = None
    ttl_duration_seconds: int | None = None
    tags: list[TagSpec] = field(default_factory=list)
    distributed_id: str | None = None  # runs writing one version together
    storage_region: str | None = None


async def create_artifact_type(
    tx: Tx,
    actor: UserRec,
    entity_name: str,
    project_name: str,
    name: str,
    description: str | None,
) -> ArtifactTypeRec:
    name = check_artifact_type_name(name)
    project = await writable_project(tx.conn, actor, entity_name, project_name, create=True)
    return await artifacts.ensure_artifact_type(tx.conn, project.id, name, description)


def check_storage_region(region: str | None, offered: Sequence[str]) -> None:
    """A storage region must be one the server offers (None: the default storage)."""
    if region is not None and region not in offered:
        raise InvalidInput(f"CreateArtifact invalid storageRegion: {region}")


async def _existing_version(
    conn: Conn, sequence: CollectionRec, new: NewArtifact
) -> ArtifactRec | None:
    """The version a create lands on instead of a new one: the pending version of a
    distributed artifact (whatever each run's digest), else a committed version with
    the same digest (digest deduplication)."""
    if new.distributed_id:
        return await artifacts.pending_distributed(conn, sequence.id, new.distributed_id)
    if new.deduplicate:
        return await artifacts.committed_with_digest(conn, sequence.id, new.digest)
    return None


async def create_artifact(
    tx: Tx, actor: UserRec, new: NewArtifact, *, storage_regions: Sequence[str] = ()
) -> ArtifactRec:
    """A pending version of the sequence `new.name` (created on first use), or the
    version it lands on (`_existing_version`), recorded as an output of the run."""
    conn = tx.conn
    check_storage_region(new.storage_region, storage_regions)
    name = check_name("artifact", new.name)
    type_name = check_artifact_type_name(new.type_name)
    project = await writable_project(conn, actor, new.entity_name, new.project_name, create=True)
    sequence = await collection_of_kind(
        conn, project.id, name, "SEQUENCE", type_name, client_id=new.sequence_client_id
    )
    aliases = user_aliases(new.aliases)
    run = await runs.run_by_name(conn, project.id, new.run_name) if new.run_name else None
    existing = await _existing_version(conn, sequence, new)
    if existing is not None:
        if existing.state == "COMMITTED":
            async with AliasChanges(tx, actor, [sequence]):
                for alias in aliases:
                    await artifacts.set_alias(conn, sequence.id, existing.id, alias)
        if run is not None:
            await artifacts.record_output(conn, run.id, existing)
        return existing
    created = await artifacts.create_artifact(
        conn,
        sequence,
        digest=new.digest,
        description=new.description,
        metadata=new.metadata,
        client_id=new.client_id,
        run_id=run.id if run else None,
        user_id=actor.id,
        history_step=new.history_step,
        ttl_duration_seconds=new.ttl_duration_seconds,
        aliases=aliases,
        distributed_id=new.distributed_id,
    )
    emit_artifact_event(tx, ArtifactCreated, actor, created.id, sequence)
    await tag_artifact(tx, actor, created, sequence, new.tags)
    return created


# --------------------------------------------------------------- manifests


async def set_manifest(
    tx: Tx,
    blobs: BlobStore,
    actor: UserRec,
    artifact_id: str,
    *,
    manifest_type: str | None = None,
    digest: str | None = None,
    base_artifact_id: str | None = None,
) -> tuple[ArtifactRec, str | None]:
    """Record what a client says of the manifest it is about to upload. With a store
    that takes uploads itself, also where the upload goes (a fresh object for each
    patch of a distributed version, the version's manifest object otherwise): read at
    commit. Returns the artifact and that path."""
    artifact = await artifact_for_write(tx.conn, actor, artifact_id)
    base = decode_id(base_artifact_id, "Artifact") if base_artifact_id else None
    await artifacts.set_manifest(
        tx.conn, artifact.id, manifest_type=manifest_type, digest=digest, base_artifact_id=base
    )
    if not blobs.takes_uploads:
        return artifact, None
    if (manifest_type or artifact.manifest_type) == "PATCH":
        path = layout.manifest_patch(artifact.sequence_id, artifact.id)
    else:
        path = layout.manifest(artifact.sequence_id, artifact.id)
    await artifacts.add_manifest_upload(tx.conn, artifact.id, path)
    return artifact, path


@dataclass(frozen=True)
class _Manifest:
    """A manifest's document, and where it is stored (None: not stored yet)."""

    document: dict
    stored: BlobRef | None


async def record_manifest_upload(tx: Tx, blobs: BlobStore, artifact_id: int, blob_key: str) -> None:
    """The manifest's bytes arrived at the emulator's upload URL (a store that takes no
    uploads itself). A PATCH manifest is merged into what earlier patches brought."""
    artifact = await _reloaded(tx.conn, artifact_id)
    uploaded = BlobRef(blob_key)
    manifest = _folded(
        artifact, await _recorded_manifest(blobs, artifact), await _read(blobs, uploaded)
    )
    stored = manifest.stored or await blobs.put(_encoded(manifest))
    await artifacts.set_manifest_blob(tx.conn, artifact_id, stored.key, stored.path)


def _folded(artifact: ArtifactRec, earlier: _Manifest | None, upload: _Manifest) -> _Manifest:
    """The manifest once `upload` has arrived: a patch of a distributed version is
    merged into the patches before it; any other manifest replaces what came before."""
    if artifact.manifest_type != "PATCH" or earlier is None or earlier.stored == upload.stored:
        return upload
    contents = {**earlier.document["contents"], **upload.document["contents"]}
    return _Manifest({**upload.document, "contents": contents}, None)


async def _recorded_manifest(blobs: BlobStore, artifact: ArtifactRec) -> _Manifest | None:
    if artifact.manifest_blob_key is None:
        return None
    return await _read(blobs, BlobRef(artifact.manifest_blob_key, artifact.manifest_path))


async def _read(blobs: BlobStore, ref: BlobRef) -> _Manifest:
    return _Manifest(_parsed_manifest(await blobs.read(ref)), ref)


def _parsed_manifest(data: bytes) -> dict:
    try:
        manifest = json.loads(data)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise InvalidInput("the uploaded manifest is not valid JSON") from exc
    if not isinstance(manifest, dict) or not isinstance(manifest.get("contents"), dict):
        raise InvalidInput("the uploaded manifest has no `contents`")
    return manifest


def _encoded(manifest: _Manifest) -> bytes:
    return json.dumps(manifest.document, sort_keys=True).encode()


async def _uploaded_manifest(
    blobs: BlobStore, artifact: ArtifactRec, uploads: list[str]
) -> _Manifest | None:
    """The manifest recorded so far, with what clients uploaded to the store's own
    URLs (`uploads`, in the order they were handed out) folded in."""
    manifest = await _recorded_manifest(blobs, artifact)
    bodies = await asyncio.gather(*(blobs.fetch_upload(path) for path in uploads))
    for path, body in zip(uploads, bodies, strict=True):
        if body is not None:
            ref = BlobRef(hashlib.md5(body, usedforsecurity=False).hexdigest(), path)
            manifest = _folded(artifact, manifest, _Manifest(_parsed_manifest(body), ref))
    return manifest


async def _full_manifest(
    blobs: BlobStore, artifact: ArtifactRec, manifest: _Manifest, base: ArtifactRec | None
) -> _Manifest:
    """The version's complete manifest. An incremental (or patch) manifest holds only the
    entries that changed since its base version; the rest are inherited and stored merged,
    so downloads read one complete manifest."""
    if artifact.manifest_type not in ("INCREMENTAL", "PATCH") or not artifact.base_artifact_id:
        return manifest
    inherited = await _recorded_manifest(blobs, base) if base is not None else None
    if inherited is None:
        raise InvalidInput("the base version of an incremental artifact has no manifest")
    contents = {**inherited.document["contents"], **manifest.document["contents"]}
    return _Manifest({**manifest.document, "contents": contents}, None)


async def _stored(blobs: BlobStore, artifact: ArtifactRec, manifest: _Manifest) -> BlobRef:
    """Where the manifest is, once stored (where a store that lays its objects out
    keeps a version's manifest, for one the emulator merged)."""
    if manifest.stored is not None:
        return manifest.stored
    path = layout.manifest(artifact.sequence_id, artifact.id) if blobs.takes_uploads else None
    return await blobs.put(_encoded(manifest), path)


# ------------------------------------------------------------------- files


def storage_path(artifact: ArtifactRec, md5_hex: str) -> str:
    """Where W&B keeps a file's bytes: `wandb_artifacts/<sequence>/<version>/<md5 hex>`.
    Clients tell artifact file URLs (under this path) from manifest URLs by it."""
    return layout.artifact_file(artifact.sequence_id, artifact.id, md5_hex)


async def stored_blob(conn: Conn, key: str) -> BlobRef:
    """Where the content `key` is stored (its recorded object, else its content-addressed
    name)."""
    placed = await artifacts.blob_paths(conn, [key])
    return BlobRef(key, placed.get(key))


def file_storage_path(artifact: ArtifactRec, rec: ArtifactFileRec) -> str | None:
    """The storagePath of a stored file: the object holding its bytes, or the path W&B
    would give them (content stored by key); None for a reference."""
    if rec.blob_key is None:
        return None
    return rec.storage_path or storage_path(artifact, rec.blob_key)


@dataclass(frozen=True)
class FileUpload:
    """Where a file's bytes go: nowhere (stored already), one URL, or multipart parts.
    `path` is the object a store that takes uploads receives them at; `storage_path`
    what clients are told (the same object there, W&B's path for it otherwise)."""

    artifact_id: int
    name: str
    md5: str
    blob_key: str
    stored: bool
    storage_path: str
    path: str | None = None
    multipart_id: str | None = None


AnnouncedFile = tuple[str, str, str, str | None, bool]
"""A file a client announces: artifact global id, name, MD5 (base64), mimetype, and
whether it uploads it in parts."""


async def announce_files(
    uow: UnitOfWork, blobs: BlobStore, actor: UserRec, files: list[AnnouncedFile]
) -> list[FileUpload]:
    """Announce files of versions the actor may change; content stored already needs no
    upload. The store is asked what it holds (and multipart uploads are started)
    before the write transaction, which only records."""
    keys = [md5_b64_to_hex(md5) for _, _, md5, _, _ in files]
    async with uow.db.read() as conn:
        await _versions_for_write(conn, actor, [f[0] for f in files])
        placed = await artifacts.blob_paths(conn, keys)
        maybe_stored = await _maybe_stored(conn, blobs, keys, placed)
    found = await _in_store(blobs, [key for key in keys if key in maybe_stored], placed)
    refs = [BlobRef(key, placed.get(key)) for key in keys]
    stored = [key in found and _is_stored(found[key][1]) for key in keys]
    multipart_ids = await asyncio.gather(
        *(
            blobs.begin_multipart(ref) if multipart and not done else _no_multipart()
            for ref, (_, _, _, _, multipart), done in zip(refs, files, stored, strict=True)
        )
    )
    async with uow.write() as tx:
        versions = await _versions_for_write(tx.conn, actor, [f[0] for f in files])
        paths = await _objects_for(tx.conn, blobs, versions, files, refs, stored)
        uploads = []
        for (global_id, name, md5, mimetype, _), ref, done, path, multipart_id in zip(
            files, refs, stored, paths, multipart_ids, strict=True
        ):
            artifact = versions[global_id]
            await artifacts.announce_file(tx.conn, artifact.id, name, md5, mimetype)
            if multipart_id is not None:
                await artifacts.start_multipart(tx.conn, multipart_id, artifact.id, name, md5)
            uploads.append(
                FileUpload(
                    artifact.id,
                    name,
                    md5,
                    ref.key,
                    stored=done,
                    storage_path=path or storage_path(artifact, ref.key),
                    path=path,
                    multipart_id=multipart_id,
                )
            )
    return uploads


async def _no_multipart() -> None:
    return None


async def _maybe_stored(
    conn: Conn, blobs: BlobStore, keys: list[str], placed: dict[str, str]
) -> set[str]:
    """The content worth asking the store about. A store that takes uploads holds only
    content with a recorded object (claimed by an announce) or content that committed
    files name by key alone (blobs copied from a data dir); new content is not asked
    about. A store that takes no uploads is asked about everything: its uploads are
    recorded only at commit."""
    if not blobs.takes_uploads:
        return set(keys)
    unplaced = [key for key in keys if key not in placed]
    return set(placed) | await artifacts.keys_stored_unplaced(conn, unplaced)


async def _in_store(
    blobs: BlobStore, keys: Iterable[str], placed: dict[str, str]
) -> dict[str, tuple[BlobRef, BlobInfo | None]]:
    """What the store holds of this content, where the database says it is."""
    refs = [BlobRef(key, placed.get(key)) for key in dict.fromkeys(keys)]
    found = await blobs.stat_many(refs)
    return {ref.key: (ref, found[ref]) for ref in refs}


async def _versions_for_write(
    conn: Conn, actor: UserRec, global_ids: list[str]
) -> dict[str, ArtifactRec]:
    return {gid: await artifact_for_write(conn, actor, gid) for gid in dict.fromkeys(global_ids)}


async def _objects_for(
    conn: Conn,
    blobs: BlobStore,
    versions: dict[str, ArtifactRec],
    files: list[AnnouncedFile],
    refs: list[BlobRef],
    stored: list[bool],
) -> list[str | None]:
    """The object each file's bytes are in, or go to: the one stored already, else the
    one claimed for the content (by this version, or by whichever claimed it first).
    None: the content-addressed name."""
    if not blobs.takes_uploads:
        return [None] * len(files)
    wanted: dict[str, str] = {}
    for (global_id, *_), ref, done in zip(files, refs, stored, strict=True):
        if not done:
            wanted.setdefault(ref.key, storage_path(versions[global_id], ref.key))
    claimed = await artifacts.claim_blob_paths(conn, wanted)
    return [ref.path if done else claimed[ref.key] for ref, done in zip(refs, stored, strict=True)]


async def complete_multipart(
    uow: UnitOfWork,
    blobs: BlobStore,
    actor: UserRec,
    artifact_id: str,
    upload_id: str,
    part_numbers: list[int] | None,
) -> str | None:
    """Assemble the uploaded parts (in order) into the file; `part_numbers=None` aborts.
    Returns the file's base64 MD5 (None when aborted). The store assembles (and checks)
    before the write transaction, which only records that the upload is over."""
    async with uow.db.read() as conn:
        artifact = await artifact_for_write(conn, actor, artifact_id)
        upload = await artifacts.multipart_upload(conn, upload_id)
        if upload is None or upload.artifact_id != artifact.id:
            raise NotFound(f"multipart upload {upload_id!r} not found")
        key = md5_b64_to_hex(upload.md5)
        placed = await artifacts.blob_paths(conn, [key])
    if part_numbers is None:
        await blobs.abort_multipart(upload_id)
    else:
        await _assemble(blobs, upload_id, BlobRef(key, placed.get(key)), part_numbers, upload.parts)
    async with uow.write() as tx:
        await artifacts.finish_multipart(tx.conn, upload_id)
    return None if part_numbers is None else md5_hex_to_b64(key)


async def _assemble(
    blobs: BlobStore, upload_id: str, ref: BlobRef, part_numbers: list[int], parts: str
) -> None:
    try:
        await blobs.complete_multipart(upload_id, ref, sorted(part_numbers), json.loads(parts))
    except MissingParts as exc:
        raise InvalidInput(str(exc)) from exc
    except ChecksumMismatch as exc:
        raise InvalidInput("the assembled file does not match its announced MD5") from exc


async def record_part_upload(tx: Tx, upload_id: str, part_number: int, blob_key: str) -> None:
    """A part of a multipart upload arrived (through a signed upload URL)."""
    await artifacts.record_part(tx.conn, upload_id, part_number, blob_key)


def _is_stored(found: BlobInfo | None) -> bool:
    """Content is stored when its blob is there with the bytes its key names."""
    return found is not None and found.intact


def _stored_content(entries: dict) -> list[str]:
    """The blob keys a manifest's stored (not referenced) files name."""
    return [
        md5_b64_to_hex(entry["digest"])
        for entry in entries.values()
        if isinstance(entry, dict)
        and entry.get("ref") is None
        and isinstance(entry.get("digest"), str)
    ]


def _file_from_entry(
    found: dict[str, tuple[BlobRef, BlobInfo | None]],
    artifact_id: int,
    name: str,
    entry: dict,
    mimetypes: dict[str, str | None],
) -> ArtifactFileRec:
    """The file a manifest entry describes; a stored file must have been uploaded whole:
    present, with the manifest's size and bytes hashing to its digest."""
    digest, ref = entry.get("digest"), entry.get("ref")
    if not isinstance(digest, str):
        raise InvalidInput(f"manifest entry {name!r} has no digest")
    blob_key = path = None
    size = entry.get("size")
    if ref is None:
        blob_key = md5_b64_to_hex(digest)
        stored, blob = found[blob_key]
        path = stored.path
        if blob is None:
            raise InvalidInput(f"file {name!r} of the manifest was not uploaded")
        if not blob.intact:
            raise InvalidInput(
                f"file {name!r} was uploaded with bytes that do not match its MD5 {digest};"
                " upload it again"
            )
        if isinstance(size, int) and blob.size != size:
            raise InvalidInput(f"file {name!r} has {blob.size} bytes, the manifest says {size}")
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
        storage_path=path,
    )


# ------------------------------------------------------------------ commit


@dataclass(frozen=True)
class _Commit:
    """What a commit writes, worked out (manifest read, files checked) before its write
    transaction."""

    manifest: BlobRef
    files: list[ArtifactFileRec]


async def commit(
    uow: UnitOfWork, blobs: BlobStore, actor: UserRec, artifact_id: str
) -> ArtifactRec:
    """Make a pending version a version of its sequence: its files become exactly the
    manifest's (every stored file uploaded, sizes matching), its aliases and `latest`
    move to it. Committing a committed version changes nothing. The manifest is read
    (and merged) and the files are checked in the store before the write transaction,
    which records the outcome."""
    async with uow.db.read() as conn:
        artifact = await artifact_for_write(conn, actor, artifact_id)
        if artifact.state != "PENDING":
            return _unchanged(artifact, artifact_id)
        uploads = await artifacts.manifest_uploads(conn, artifact.id)
        base = await _base_of(conn, artifact)
        announced = await artifacts.files_of_artifact(conn, artifact.id)
        placed = await artifacts.blob_paths(conn, _announced_keys(announced))
    planned = await _planned_commit(
        uow, blobs, _Pending(artifact, uploads, base, announced, placed)
    )
    async with uow.write() as tx:
        artifact = await artifact_for_write(tx.conn, actor, artifact_id)
        if artifact.state != "PENDING":
            return _unchanged(artifact, artifact_id)
        return await _commit(tx, actor, artifact, planned)


def _unchanged(artifact: ArtifactRec, artifact_id: str) -> ArtifactRec:
    if artifact.state == "COMMITTED":
        return artifact
    raise InvalidInput(f"artifact {artifact_id!r} is {artifact.state.lower()}")


async def _base_of(conn: Conn, artifact: ArtifactRec) -> ArtifactRec | None:
    if artifact.base_artifact_id is None:
        return None
    return await artifacts.artifact_by_id(conn, artifact.base_artifact_id)


@dataclass(frozen=True)
class _Pending:
    """A pending version as its commit reads it: the manifest uploads handed out, its
    base version, the files announced for it and where their content is recorded."""

    artifact: ArtifactRec
    uploads: list[str]
    base: ArtifactRec | None
    announced: list[ArtifactFileRec]
    placed: dict[str, str]


def _announced_keys(announced: list[ArtifactFileRec]) -> list[str]:
    return [md5_b64_to_hex(f.md5) for f in announced]


async def _planned_commit(uow: UnitOfWork, blobs: BlobStore, pending: _Pending) -> _Commit:
    """Read the manifest and check its files in the store. The announced files are
    looked up while the manifest is read (one round trip to a bucket, not two);
    entries the client did not announce (inherited from a base version) after."""
    artifact = pending.artifact
    uploaded, found = await asyncio.gather(
        _uploaded_manifest(blobs, artifact, pending.uploads),
        _in_store(blobs, _announced_keys(pending.announced), pending.placed),
    )
    if uploaded is None:
        raise InvalidInput("cannot commit an artifact whose manifest was not uploaded")
    manifest = await _full_manifest(blobs, artifact, uploaded, pending.base)
    entries = manifest.document["contents"]
    unannounced = [key for key in _stored_content(entries) if key not in found]
    if unannounced:
        async with uow.db.read() as conn:
            placed = await artifacts.blob_paths(conn, unannounced)
        found.update(await _in_store(blobs, unannounced, placed))
    mimetypes = {f.name: f.mimetype for f in pending.announced}
    files = [
        _file_from_entry(found, artifact.id, name, entry, mimetypes)
        for name, entry in entries.items()
        if isinstance(entry, dict)
    ]
    return _Commit(await _stored(blobs, artifact, manifest), files)


async def _commit(tx: Tx, actor: UserRec, artifact: ArtifactRec, planned: _Commit) -> ArtifactRec:
    conn = tx.conn
    await artifacts.set_manifest_blob(
        conn, artifact.id, planned.manifest.key, planned.manifest.path
    )
    await artifacts.drop_manifest_uploads(conn, artifact.id)
    await artifacts.replace_files(conn, artifact.id, planned.files)
    sequence = await sequence_of(conn, artifact)
    changes = AliasChanges(tx, actor, [sequence])
    async with changes:
        committed, membership = await artifacts.commit_artifact(
            conn,
            artifact,
            size=sum(f.size or 0 for f in planned.files),
            file_count=len(planned.files),
        )
        emit_artifact_event(
            tx,
            ArtifactCommitted,
            actor,
            artifact.id,
            sequence,
            version_index=membership.version_index,
        )
    return committed


# ----------------------------------------------------------------- lineage


async def use_artifact(
    tx: Tx,
    actor: UserRec,
    artifact_id: str,
    entity_name: str,
    project_name: str,
    run_name: str,
    used_as: str | None,
) -> ArtifactRec:
    """Record that the run used the version (lineage: the run's inputs)."""
    artifact = await visible_artifact(tx.conn, actor, artifact_id)
    project = await writable_project(tx.conn, actor, entity_name, project_name, create=True)
    run = await runs.run_by_name(tx.conn, project.id, run_name)
    if run is None:
        raise NotFound(f"run {entity_name}/{project_name}/{run_name} not found")
    await artifacts.record_usage(tx.conn, run.id, artifact.id, used_as)
    return artifact


# ----------------------------------------------------------------- editing


@dataclass(frozen=True)
class ArtifactChanges:
    """What UpdateArtifact may change; None leaves a value as it is."""

    description: str | None = None
    metadata: str | None = None
    ttl_duration_seconds: int | None = None
    tags_to_add: list[TagSpec] = field(default_factory=list)
    tags_to_delete: list[str] = field(default_factory=list)
    aliases: list[str] = field(default_factory=list)


async def update_artifact(
    tx: Tx, actor: UserRec, artifact_id: str, changes: ArtifactChanges
) -> ArtifactRec:
    artifact = await artifact_for_write(tx.conn, actor, artifact_id)
    await artifacts.update_artifact(
        tx.conn,
        artifact.id,
        description=changes.description,
        metadata=changes.metadata,
        ttl_duration_seconds=changes.ttl_duration_seconds,
    )
    sequence = await sequence_of(tx.conn, artifact)
    await tag_artifact(tx, actor, artifact, sequence, changes.tags_to_add)
    await untag_artifact(tx, actor, artifact, sequence, changes.tags_to_delete)
    async with AliasChanges(tx, actor, [sequence]):
        for alias in user_aliases(changes.aliases):
            await artifacts.set_alias(tx.conn, sequence.id, artifact.id, alias)
    return await _reloaded(tx.conn, artifact.id)


@dataclass(frozen=True)
class AliasTarget:
    """An alias of a version in a collection named by entity/project/name."""

    entity_name: str
    project_name: str
    collection_name: str
    alias: str


async def collection_at(
    conn: Conn, actor: UserRec, entity: str, project: str, name: str
) -> CollectionRec:
    """The collection named entity/project/name, if the actor may change it."""
    entity_rec = await accounts.entity_by_name(conn, entity)
    project_rec = (
        await projects.project_by_name(conn, entity_rec.id, project) if entity_rec else None
    )
    collection = (
        await artifacts.collection_by_name(conn, project_rec.id, name) if project_rec else None
    )
    if collection is None:
        raise NotFound(f"artifact collection {entity}/{project}/{name} not found")
    await require_write(conn, actor, collection.project_id)
    return collection


async def change_aliases(
    tx: Tx, actor: UserRec, artifact_id: str, targets: list[AliasTarget], *, add: bool
) -> None:
    """Add (or delete) aliases of a version in collections it belongs to."""
    artifact = await visible_artifact(tx.conn, actor, artifact_id)
    for target in targets:
        (check_alias if add else check_removable_alias)(target.alias)
        collection = await collection_at(
            tx.conn, actor, target.entity_name, target.project_name, target.collection_name
        )
        if await artifacts.membership_of(tx.conn, collection.id, artifact.id) is None:
            raise InvalidInput(f"the artifact is not a version of {target.collection_name!r}")
        async with AliasChanges(tx, actor, [collection]):
            if add:
                await artifacts.set_alias(tx.conn, collection.id, artifact.id, target.alias)
            else:
                await artifacts.delete_alias(tx.conn, collection.id, artifact.id, target.alias)


async def _collections_holding(conn: Conn, artifact_ids: list[int]) -> list[CollectionRec]:
    ids = sorted(
        {
            m.collection_id
            for artifact_id in artifact_ids
            for m in await artifacts.memberships_of_artifact(
                conn, artifact_id, include_deleted=True
            )
        }
    )
    return list((await artifacts.collections_by_ids(conn, ids)).values())


async def delete_artifact(
    tx: Tx, actor: UserRec, artifact_id: str, *, delete_aliases: bool
) -> ArtifactRec:
    """Soft-delete a version; one with named aliases only when `delete_aliases` is set."""
    artifact = await artifact_for_write(tx.conn, actor, artifact_id)
    named = [
        a.alias
        for a in await artifacts.aliases_of_artifact(tx.conn, artifact.id)
        if a.alias != artifacts.LATEST
    ]
    if named and not delete_aliases:
        raise InvalidInput(
            f"cannot delete an artifact with aliases ({', '.join(sorted(set(named)))});"
            " delete them first or pass delete_aliases=True"
        )
    await delete_version(tx, actor, artifact)
    return await _reloaded(tx.conn, artifact.id)


async def delete_version(tx: Tx, actor: UserRec, artifact: ArtifactRec) -> None:
    """Soft-delete a version the caller may delete, aliases and links included."""
    sequence = await sequence_of(tx.conn, artifact)
    holding = await _collections_holding(tx.conn, [artifact.id])
    async with AliasChanges(tx, actor, holding):
        await artifacts.delete_artifact(tx.conn, artifact)
        emit_artifact_event(tx, ArtifactDeleted, actor, artifact.id, sequence)
