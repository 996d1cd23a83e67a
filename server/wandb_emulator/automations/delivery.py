"""Delivering a rendered payload: POST with a bounded timeout, retries with back-off on
5xx and connection errors, fault rules applied per attempt; every firing is recorded
in the delivery log (secrets masked), which every server process of a database shares."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from ..faults import FaultRules
from ..store import server_state
from ..store.database import Database
from .templates import scrub

if TYPE_CHECKING:
    import httpx

log = logging.getLogger("wandb_emulator.automations")


@dataclass
class DeliverySettings:
    """Changeable at run time (`/_emulator/automations`); start from the Config."""

    synchronous: bool = False
    timeout_s: float = 10.0
    retries: int = 3
    backoff_ms: int = 500


@dataclass
class Attempt:
    status: int | None
    error: str | None
    duration_ms: float
    fault: int | None = None


@dataclass
class Delivery:
    """One firing of an automation: what was sent where, and how it went."""

    id: int
    at: str
    automation: dict[str, Any]
    event: dict[str, Any]
    action: str
    url: str | None
    payload: Any
    headers: dict[str, str] = field(default_factory=dict)
    attempts: list[Attempt] = field(default_factory=list)
    outcome: str = "pending"  # pending | delivered | failed | recorded
    duration_ms: float = 0.0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


class DeliveryLog:
    """The most recent deliveries, oldest first, of every server process of one database
    (store/server_state.py). Each row is also the delivery's outbox entry: the process
    that sends it claims it first, atomically, so no delivery is sent twice."""

    def __init__(self, db: Database, size: int) -> None:
        self.db = db
        self.size = size
        # Every delivery this process finished, by outcome; never emptied (`/metrics`).
        self.outcomes: Counter[str] = Counter()

    async def new(self, **fields: Any) -> Delivery:
        at = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        delivery = Delivery(id=0, at=at, **fields)
        async with self.db.write() as conn:
            delivery.id = await server_state.add_delivery(
                conn, _stored(delivery), delivery.outcome, self.size
            )
        return delivery

    async def claim(self, delivery: Delivery, claimant: str) -> bool:
        """Whether `claimant` is the one to send `delivery`."""
        async with self.db.write() as conn:
            return await server_state.claim_delivery(conn, delivery.id, claimant)

    async def finished(self, delivery: Delivery) -> None:
        """Record a delivery whose outcome is final."""
        self.outcomes[delivery.outcome] += 1
        async with self.db.write() as conn:
            await server_state.finish_delivery(
                conn, delivery.id, _stored(delivery), delivery.outcome
            )

    async def entries(self) -> list[Delivery]:
        async with self.db.read() as conn:
            rows = await server_state.delivery_rows(conn)
        return [_loaded(row[0], row[1]) for row in rows]

    async def under_way(self) -> int:
        """Deliveries not finished yet, by any process."""
        async with self.db.read() as conn:
            return await server_state.deliveries_under_way(conn)

    async def clear(self) -> None:
        async with self.db.write() as conn:
            await server_state.clear_deliveries(conn)


def _stored(delivery: Delivery) -> str:
    return json.dumps(delivery.to_json(), separators=(",", ":"))


def _loaded(delivery_id: int, stored: str) -> Delivery:
    data = json.loads(stored)
    data["id"] = delivery_id
    data["attempts"] = [Attempt(**attempt) for attempt in data["attempts"]]
    return Delivery(**data)


def _retryable(status: int | None) -> bool:
    return status is None or status >= 500


class Sender:
    """Sends one delivery, attempt by attempt, recording each into the Delivery."""

    def __init__(self, settings: DeliverySettings, faults: FaultRules) -> None:
        self.settings = settings
        self.faults = faults
        self._client: httpx.AsyncClient | None = None

    async def close(self) -> None:
        if self._client is not None:
            await self._client.aclose()
            self._client = None

    async def send(
        self,
        delivery: Delivery,
        body: str,
        headers: dict[str, str],
        secret_values: list[str],
    ) -> None:
        assert delivery.url is not None
        started = time.perf_counter()
        for attempt_no in range(self.settings.retries + 1):
            if attempt_no:
                await asyncio.sleep(self.settings.backoff_ms * 2 ** (attempt_no - 1) / 1000)
            attempt = await self._attempt(delivery.url, body, headers)
            if attempt.error:
                attempt.error = scrub(attempt.error, secret_values)
            delivery.attempts.append(attempt)
            if not _retryable(attempt.status):
                break
        last = delivery.attempts[-1].status
        delivery.outcome = "delivered" if last is not None and 200 <= last < 300 else "failed"
        delivery.duration_ms = round((time.perf_counter() - started) * 1e3, 3)
        log.info(
            "automation %r: %s to %s after %d attempt(s), status %s",
            delivery.automation.get("name"),
            delivery.outcome,
            delivery.url,
            len(delivery.attempts),
            last,
        )

    async def _attempt(self, url: str, body: str, headers: dict[str, str]) -> Attempt:
        started = time.perf_counter()
        rule = await self.faults.take_for_webhook(url)
        if rule is not None:
            if rule.latency_ms:
                await asyncio.sleep(rule.latency_ms / 1000)
            if rule.fails:
                status = rule.status if rule.status is not None else 500
                return Attempt(status, rule.message, _since(started), fault=rule.id)
        answered, error = await self._post(url, body, headers)
        return Attempt(answered, error, _since(started), rule.id if rule else None)

    async def _post(
        self, url: str, body: str, headers: dict[str, str]
    ) -> tuple[int | None, str | None]:
        """POST `body`: the response status, or no status and the connection error."""
        import httpx  # deliberately here: the first delivery pays for it, not the server's start

        if self._client is None:
            self._client = httpx.AsyncClient(follow_redirects=False)
        try:
            response = await self._client.post(
                url, content=body.encode(), headers=headers, timeout=self.settings.timeout_s
            )
        except httpx.HTTPError as exc:
            return None, f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        return response.status_code, None


def _since(started: float) -> float:
    return round((time.perf_counter() - started) * 1e3, 3)
