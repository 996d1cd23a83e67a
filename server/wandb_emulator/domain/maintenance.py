"""Housekeeping rules: abandoned uploads are removed, unreferenced blobs collected.

A version stays PENDING from createArtifact until commitArtifact; a client killed in
between leaves it behind. Once it has not changed for `max_age_seconds`, it is an
abandoned upload: the version, its files and its multipart uploads are deleted, and so
is its source collection if nothing else is left in it. Blobs are content-addressed
and shared, so one is deleted only when nothing points at it any more, and only once
it is older than a grace period (an upload writes its blob just before it records it).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from ..blobs import BlobStore, Referenced, md5_b64_to_hex
from ..store import maintenance
from ..store.database import Conn
from .unit import UnitOfWork

log = logging.getLogger("wandb_emulator.maintenance")


@dataclass(frozen=True)
class Swept:
    abandoned_versions: int
    blobs_deleted: int


async def remove_abandoned_uploads(uow: UnitOfWork, max_age_seconds: float) -> int:
    """Delete PENDING versions untouched for `max_age_seconds`; how many."""
    async with uow.write() as tx:
        ids = await maintenance.pending_artifacts_before(
            tx.conn, maintenance.cutoff(max_age_seconds)
        )
        sequences = await maintenance.sequences_of(tx.conn, ids)
        await maintenance.delete_artifacts(tx.conn, ids)
        await maintenance.delete_empty_sequences(tx.conn, sequences)
    return len(ids)


async def collect_blobs(uow: UnitOfWork, blobs: BlobStore, grace_seconds: float) -> int:
    """Delete blobs nothing references any more; how many. The records of where such
    content was stored are forgotten once it is older than the grace period."""
    async with uow.db.read() as conn:
        keys = await _referenced_keys(conn)
        paths = await maintenance.referenced_paths(conn)
        objects = await maintenance.blob_objects(conn)
        multipart = await maintenance.multipart_upload_ids(conn)
    paths.update(path for key, path, _ in objects if key in keys)
    keep = Referenced(frozenset(keys), frozenset(paths), frozenset(multipart))
    removed = await blobs.collect(keep, grace_seconds)
    horizon = maintenance.cutoff(grace_seconds)
    doomed = {key for key, _, created in objects if key not in keys and created <= horizon}
    if doomed:
        async with uow.write() as tx:  # content announced again meanwhile keeps its record
            forgotten = doomed - await _referenced_keys(tx.conn)
            await maintenance.forget_blob_objects(tx.conn, sorted(forgotten))
    return removed


async def _referenced_keys(conn: Conn) -> set[str]:
    keys = await maintenance.referenced_blob_keys(conn)
    keys.update(_hex(md5) for md5 in await maintenance.pending_file_md5s(conn))
    return keys


async def sweep(
    uow: UnitOfWork, blobs: BlobStore, *, max_age_seconds: float, grace_seconds: float
) -> Swept:
    swept = Swept(
        abandoned_versions=await remove_abandoned_uploads(uow, max_age_seconds),
        blobs_deleted=await collect_blobs(uow, blobs, grace_seconds),
    )
    if swept.abandoned_versions or swept.blobs_deleted:
        log.info(
            "removed %d abandoned upload(s) and %d unreferenced blob(s)",
            swept.abandoned_versions,
            swept.blobs_deleted,
        )
    return swept


def _hex(md5_b64: str) -> str:
    try:
        return md5_b64_to_hex(md5_b64)
    except ValueError:
        return md5_b64
