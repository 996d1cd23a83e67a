"""Per-request batched lookups, so a page of N rows costs one query per kind, not N.

Records a loader has read stay known until the next COMMIT (the reader's ResultCache
keeps them), so a field whose record is known resolves synchronously: no coroutine,
task or event-loop turn per value, which is most of what an answer with many objects
costs. `load_now` gives the value when it is known and an awaitable of it otherwise.
"""

from asyncio import Future
from collections.abc import Awaitable, Callable, Sequence
from types import CoroutineType
from typing import Any, Generic, TypeVar, cast, overload

from strawberry.dataloader import DataLoader

from ... import auth
from ...records import (
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
from ...store import accounts, artifacts, projects
from ...store.database import Conn, Database

V = TypeVar("V")
R = TypeVar("R")
Owner = TypeVar("Owner")
_UNKNOWN: Any = object()


class made_once(Generic[Owner, R]):
    """`functools.cached_property` without its lock, which Python before 3.12 takes on
    every first read; a request's loaders are made on first use, several per request."""

    name: str  # the attribute's, set when the class is made

    def __init__(self, build: Callable[[Owner], R]) -> None:
        self.build = build

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    @overload
    def __get__(self, instance: None, owner: type | None = None) -> "made_once[Owner, R]": ...

    @overload
    def __get__(self, instance: Owner, owner: type | None = None) -> R: ...

    def __get__(self, instance: Owner | None, owner: type | None = None) -> Any:
        if instance is None:
            return self
        value = instance.__dict__[self.name] = self.build(instance)
        return value


class Loader(Generic[V]):
    """Records of one kind by id: known ones at once, the others batched per request."""

    def __init__(
        self,
        db: Database,
        kind: str,
        fetch: Callable[[Conn, list[int]], Awaitable[dict[int, V]]],
        default: Any = None,
    ) -> None:
        self.db = db
        self.kind = kind
        self.fetch = fetch
        self.default = default

    @made_once
    def batches(self) -> DataLoader[int, V]:
        """The request's batches of unknown keys (made on the first unknown key)."""
        return DataLoader(load_fn=self._load_batch)

    async def _load_batch(self, keys: Sequence[int]) -> list[V]:
        results = self.db.results
        generation = results.generation
        async with self.db.read() as conn:
            found = await self.fetch(conn, list(set(keys)))
        values = [found.get(key, self.default) for key in keys]
        results.keep(self.kind, generation, zip(keys, values, strict=True))
        return values

    def load_now(self, key: int) -> V | Awaitable[V]:
        """The record if it is known, else an awaitable of it."""
        known = self.db.results.records(self.kind).get(key, _UNKNOWN)
        return self.batches.load(key) if known is _UNKNOWN else known

    async def load(self, key: int) -> V:
        return await settled(self.load_now(key))

    async def load_many(self, keys: Sequence[int]) -> list[V]:
        found = [self.load_now(key) for key in keys]  # the unknown ones in one batch
        return [await settled(f) for f in found]


# What a `load_now`-style result is when it is not the value yet: a DataLoader's future
# (or a coroutine). Concrete types, so telling a record from them is one cheap check.
PENDING = (Future, CoroutineType)


async def settled(found: V | Awaitable[V]) -> V:
    """The value of a `load_now`-style result."""
    return await found if isinstance(found, PENDING) else cast(V, found)


def then(found: V | Awaitable[V], wrap: Callable[[V], R]) -> Any:
    """`wrap(found)`, now if `found` is a value, later if it is an awaitable (GraphQL
    resolves either; typed Any so a field can declare the type it resolves to)."""
    if isinstance(found, PENDING):
        return _then_later(found, wrap)
    return wrap(cast(V, found))


async def _then_later(found: Awaitable[V], wrap: Callable[[V], R]) -> R:
    return wrap(await found)


class Loaders:
    """One loader per kind, created when a request first needs it."""

    def __init__(self, db: Database, viewer: UserRec) -> None:
        self.db = db
        self.viewer = viewer

    def _loader(
        self,
        kind: str,
        fetch: Callable[[Conn, list[int]], Awaitable[dict[int, Any]]],
        default: Any = None,
    ) -> Loader[Any]:
        return Loader(self.db, kind, fetch, default)

    @made_once
    def entity(self) -> Loader[EntityRec | None]:
        return self._loader("entity", accounts.entities_by_ids)

    @made_once
    def user(self) -> Loader[UserRec | None]:
        return self._loader("user", accounts.users_by_ids)

    @made_once
    def project(self) -> Loader[ProjectRec | None]:
        return self._loader("project", projects.projects_by_ids)

    @made_once
    def visible_project(self) -> Loader[ProjectRec | None]:
        """Projects by id, None where the viewer may not see them (known per viewer)."""
        viewer = self.viewer

        async def fetch(conn: Conn, ids: list[int]) -> dict[int, ProjectRec]:
            found = await projects.projects_by_ids(conn, ids)
            return {
                key: project
                for key, project in found.items()
                if await auth.allows(conn, viewer, auth.Action.VIEW_PROJECT, project)
            }

        return self._loader(f"visible_project:{viewer.id}", fetch)

    @made_once
    def organization(self) -> Loader[OrganizationRec | None]:
        return self._loader("organization", accounts.orgs_by_ids)

    @made_once
    def artifact(self) -> Loader[ArtifactRec | None]:
        return self._loader("artifact", artifacts.artifacts_by_ids)

    @made_once
    def collection(self) -> Loader[CollectionRec | None]:
        return self._loader("collection", artifacts.collections_by_ids)

    @made_once
    def artifact_type(self) -> Loader[ArtifactTypeRec | None]:
        return self._loader("artifact_type", artifacts.artifact_types_by_ids)

    @made_once
    def artifact_aliases(self) -> Loader[list[AliasRec]]:
        return self._loader("artifact_aliases", artifacts.aliases_of_artifacts, default=[])

    @made_once
    def artifact_tags(self) -> Loader[list[TagRec]]:
        return self._loader("artifact_tags", artifacts.tags_of_artifacts, default=[])

    @made_once
    def collection_tags(self) -> Loader[list[TagRec]]:
        return self._loader("collection_tags", artifacts.tags_of_collections, default=[])

    @made_once
    def sequence_version(self) -> Loader[int | None]:
        return self._loader("sequence_version", artifacts.sequence_versions)
