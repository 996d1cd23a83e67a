"""Per-request batched lookups, so a page of N rows costs one query per kind, not N."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, TypeVar

from strawberry.dataloader import DataLoader

from ..store import accounts, artifacts, projects
from ..store.database import Conn, Database
from ..store.records import (
    AliasRec,
    ArtifactRec,
    ArtifactTypeRec,
    CollectionRec,
    EntityRec,
    OrganizationRec,
    ProjectRec,
    TagRec,
    UserRec,
)

V = TypeVar("V")


def _batched(
    db: Database, fetch: Callable[[Conn, list[int]], Awaitable[dict[int, V]]], default: Any = None
) -> DataLoader[int, Any]:
    async def load(keys: Sequence[int]) -> list[Any]:
        async with db.read() as conn:
            found = await fetch(conn, list(set(keys)))
        return [found.get(key, default) for key in keys]

    return DataLoader(load_fn=load)


class Loaders:
    def __init__(self, db: Database) -> None:
        self.entity: DataLoader[int, EntityRec | None] = _batched(db, accounts.entities_by_ids)
        self.user: DataLoader[int, UserRec | None] = _batched(db, accounts.users_by_ids)
        self.project: DataLoader[int, ProjectRec | None] = _batched(db, projects.projects_by_ids)
        self.organization: DataLoader[int, OrganizationRec | None] = _batched(
            db, accounts.orgs_by_ids
        )
        self.artifact: DataLoader[int, ArtifactRec | None] = _batched(
            db, artifacts.artifacts_by_ids
        )
        self.collection: DataLoader[int, CollectionRec | None] = _batched(
            db, artifacts.collections_by_ids
        )
        self.artifact_type: DataLoader[int, ArtifactTypeRec | None] = _batched(
            db, artifacts.artifact_types_by_ids
        )
        self.artifact_aliases: DataLoader[int, list[AliasRec]] = _batched(
            db, artifacts.aliases_of_artifacts, default=[]
        )
        self.artifact_tags: DataLoader[int, list[TagRec]] = _batched(
            db, artifacts.tags_of_artifacts, default=[]
        )
        self.collection_tags: DataLoader[int, list[TagRec]] = _batched(
            db, artifacts.tags_of_collections, default=[]
        )
        self.sequence_version: DataLoader[int, int | None] = _batched(
            db, artifacts.sequence_versions
        )
