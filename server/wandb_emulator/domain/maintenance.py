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

from ..blobs import BlobStore, md5_b64_to_hex
from ..store import maintenance
from ..store.database import Database
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


async def collect_blobs(db: Database, blobs: BlobStore, grace_seconds: float) -> int:
    """Delete blobs nothing references any more; how many."""
    async with db.read() as conn:
        keep = await maintenance.referenced_blob_keys(conn)
        keep.update(_hex(md5) for md5 in await maintenance.pending_file_md5s(conn))
    return await blobs.collect(keep, grace_seconds)


async def sweep(
    uow: UnitOfWork, blobs: BlobStore, *, max_age_seconds: float, grace_seconds: float
) -> Swept:
    swept = Swept(
        abandoned_versions=await remove_abandoned_uploads(uow, max_age_seconds),
        blobs_deleted=await collect_blobs(uow.db, blobs, grace_seconds),
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
