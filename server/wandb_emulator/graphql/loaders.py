"""Per-request batched lookups, so a page of N rows costs one query per kind, not N."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from functools import cached_property
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
    """One DataLoader per kind, created when a request first needs it."""

    def __init__(self, db: Database) -> None:
        self.db = db

    @cached_property
    def entity(self) -> DataLoader[int, EntityRec | None]:
        return _batched(self.db, accounts.entities_by_ids)

    @cached_property
    def user(self) -> DataLoader[int, UserRec | None]:
        return _batched(self.db, accounts.users_by_ids)

    @cached_property
    def project(self) -> DataLoader[int, ProjectRec | None]:
        return _batched(self.db, projects.projects_by_ids)

    @cached_property
    def organization(self) -> DataLoader[int, OrganizationRec | None]:
        return _batched(self.db, accounts.orgs_by_ids)

    @cached_property
    def artifact(self) -> DataLoader[int, ArtifactRec | None]:
        return _batched(self.db, artifacts.artifacts_by_ids)

    @cached_property
    def collection(self) -> DataLoader[int, CollectionRec | None]:
        return _batched(self.db, artifacts.collections_by_ids)

    @cached_property
    def artifact_type(self) -> DataLoader[int, ArtifactTypeRec | None]:
        return _batched(self.db, artifacts.artifact_types_by_ids)

    @cached_property
    def artifact_aliases(self) -> DataLoader[int, list[AliasRec]]:
        return _batched(self.db, artifacts.aliases_of_artifacts, default=[])

    @cached_property
    def artifact_tags(self) -> DataLoader[int, list[TagRec]]:
        return _batched(self.db, artifacts.tags_of_artifacts, default=[])

    @cached_property
    def collection_tags(self) -> DataLoader[int, list[TagRec]]:
        return _batched(self.db, artifacts.tags_of_collections, default=[])

    @cached_property
    def sequence_version(self) -> DataLoader[int, int | None]:
        return _batched(self.db, artifacts.sequence_versions)
