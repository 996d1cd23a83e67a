"""The unit of work of a domain call: one write transaction plus the events it made,
published only once the transaction has committed."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

from ..store.database import Conn, Database
from .events import Event, EventBus


@dataclass
class Tx:
    """An open write transaction; domain functions write through `conn` and `emit`."""

    conn: Conn
    events: list[Event] = field(default_factory=list)

    def emit(self, event: Event) -> None:
        self.events.append(event)


class UnitOfWork:
    """Opens write transactions whose events reach the bus after COMMIT, never on rollback."""

    def __init__(self, db: Database, bus: EventBus) -> None:
        self.db = db
        self.bus = bus

    @asynccontextmanager
    async def write(self) -> AsyncIterator[Tx]:
        async with self.db.write() as conn:
            tx = Tx(conn)
            yield tx
        await self.bus.publish(tx.events)
