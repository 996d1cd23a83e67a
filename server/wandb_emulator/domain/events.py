"""Typed domain events, announced once after the transaction that made them commits.

Subscribers are registered at app start (`EventBus.subscribe`); a failing subscriber is
logged and never fails the request that caused the event.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import TypeAlias

log = logging.getLogger("wandb_emulator.events")


def _now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass(frozen=True, kw_only=True)
class Event:
    """What every event carries: who did it (None for seeding and the system) and when."""

    actor_id: int | None
    at: datetime = field(default_factory=_now)


# Artifacts: `collection_id` is the sequence (logged) or portfolio (linked) collection.
@dataclass(frozen=True, kw_only=True)
class ArtifactCreated(Event):
    artifact_id: int
    collection_id: int
    project_id: int


@dataclass(frozen=True, kw_only=True)
class ArtifactCommitted(Event):
    artifact_id: int
    collection_id: int
    project_id: int
    version_index: int


@dataclass(frozen=True, kw_only=True)
class ArtifactDeleted(Event):
    """A version was deleted; it left every collection (aliases: AliasRemoved each)."""

    artifact_id: int
    collection_id: int
    project_id: int


@dataclass(frozen=True, kw_only=True)
class ArtifactLinked(Event):
    artifact_id: int
    collection_id: int
    project_id: int
    version_index: int
    aliases: tuple[str, ...] = ()


@dataclass(frozen=True, kw_only=True)
class ArtifactUnlinked(Event):
    artifact_id: int
    collection_id: int
    project_id: int


@dataclass(frozen=True, kw_only=True)
class AliasAdded(Event):
    artifact_id: int
    collection_id: int
    project_id: int
    alias: str


@dataclass(frozen=True, kw_only=True)
class AliasRemoved(Event):
    artifact_id: int
    collection_id: int
    project_id: int
    alias: str


@dataclass(frozen=True, kw_only=True)
class ArtifactTagAdded(Event):
    artifact_id: int
    collection_id: int
    project_id: int
    tag: str


@dataclass(frozen=True, kw_only=True)
class ArtifactTagRemoved(Event):
    artifact_id: int
    collection_id: int
    project_id: int
    tag: str


@dataclass(frozen=True, kw_only=True)
class CollectionTagAdded(Event):
    collection_id: int
    project_id: int
    tag: str


@dataclass(frozen=True, kw_only=True)
class CollectionTagRemoved(Event):
    collection_id: int
    project_id: int
    tag: str


# Runs
@dataclass(frozen=True, kw_only=True)
class RunStateChanged(Event):
    run_id: int
    project_id: int
    state: str  # running, finished, crashed, failed


@dataclass(frozen=True, kw_only=True)
class RunHistoryLogged(Event):
    """History rows that arrived through file_stream, in order."""

    run_id: int
    project_id: int
    rows: tuple[dict[str, object], ...]


@dataclass(frozen=True, kw_only=True)
class RunAlerted(Event):
    """run.alert(): no automation event of the SDK matches it; it is recorded and shown."""

    run_id: int
    project_id: int
    alert_id: int
    title: str
    severity: str


@dataclass(frozen=True, kw_only=True)
class RunDeleted(Event):
    run_id: int
    project_id: int
    name: str


# Registries (a registry is a project in an organization's entity)
@dataclass(frozen=True, kw_only=True)
class RegistryCreated(Event):
    project_id: int
    organization_id: int


@dataclass(frozen=True, kw_only=True)
class RegistryUpdated(Event):
    project_id: int
    organization_id: int
    changed: tuple[str, ...]  # names of the changed settings


@dataclass(frozen=True, kw_only=True)
class RegistryDeleted(Event):
    project_id: int
    organization_id: int
    name: str


@dataclass(frozen=True, kw_only=True)
class RegistryMemberAdded(Event):
    project_id: int
    role: str
    user_id: int | None = None
    team_entity_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class RegistryMemberRoleChanged(Event):
    project_id: int
    role: str  # the new role
    user_id: int | None = None
    team_entity_id: int | None = None


@dataclass(frozen=True, kw_only=True)
class RegistryMemberRemoved(Event):
    project_id: int
    user_id: int | None = None
    team_entity_id: int | None = None


# Sweeps
@dataclass(frozen=True, kw_only=True)
class SweepCreated(Event):
    sweep_id: int
    project_id: int


@dataclass(frozen=True, kw_only=True)
class SweepStateChanged(Event):
    sweep_id: int
    project_id: int
    state: str  # RUNNING, PAUSED, CANCELED, FINISHED


@dataclass(frozen=True, kw_only=True)
class SweepRunProposed(Event):
    """An agent was handed a run to start, with the parameters the sweep chose."""

    sweep_id: int
    project_id: int
    run_name: str


Subscriber: TypeAlias = Callable[[Event], Awaitable[None]]


class EventBus:
    """Delivers events to the subscribers registered at app start, in registration order."""

    def __init__(self) -> None:
        self._subscribers: list[tuple[type[Event], Subscriber]] = []

    def subscribe(self, handler: Subscriber, event_type: type[Event] = Event) -> None:
        self._subscribers.append((event_type, handler))

    async def publish(self, events: Iterable[Event]) -> None:
        for event in events:
            for event_type, handler in self._subscribers:
                if not isinstance(event, event_type):
                    continue
                try:
                    await handler(event)
                except Exception:
                    log.exception("event subscriber %r failed on %r", handler, event)
