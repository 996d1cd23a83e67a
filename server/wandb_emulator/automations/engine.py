"""The automation engine: subscribed to the event bus at app start, it matches each
committed event to the enabled automations of its scope and fires their actions.

Matching and rendering happen as the event is published (they read the state the event
left); sending happens in a background task, so the request that caused the event is
never held up or failed by a slow or broken endpoint, unless the delivery mode is
synchronous (deterministic tests), in which case the request answers after delivery.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from dataclasses import dataclass, replace
from secrets import token_hex
from typing import Any
from urllib.parse import urlsplit

from ..domain import automations as rules
from ..domain import events as ev
from ..faults import FaultRules
from ..records import RunRec
from ..store import artifacts, runs, server_state
from ..store import automations as store
from ..store.database import Conn, Database
from ..urls import Urls
from . import matching
from .context import event_variables, run_variables
from .delivery import Delivery, DeliveryLog, DeliverySettings, Sender
from .templates import MASK, masked, render, render_value

log = logging.getLogger("wandb_emulator.automations")

LOOPBACK_HOSTS = frozenset({"localhost", "::1"})
SETTINGS_NAME = "automations.delivery"
IDLE_TIMEOUT_S = 60.0
IDLE_POLL_S = 0.02
DEFAULT_PAYLOAD = json.dumps(
    {
        "event_type": "${event_type}",
        "event_author": "${event_author}",
        "entity_name": "${entity_name}",
        "project_name": "${project_name}",
        "artifact_collection_name": "${artifact_collection_name}",
        "artifact_version_string": "${artifact_version_string}",
        "alias": "${alias}",
        "tag": "${tag}",
        "run_name": "${run_name}",
        "run_id": "${run_id}",
    }
)


def is_loopback(url: str) -> bool:
    host = urlsplit(url).hostname or ""
    return host in LOOPBACK_HOSTS or host.startswith("127.")


@dataclass
class Firing:
    """An automation that an event fired, with what the template may use."""

    trigger: store.TriggerRec
    event: ev.Event
    extra: dict[str, Any]


class AutomationEngine:
    def __init__(
        self,
        db: Database,
        urls: Urls,
        faults: FaultRules,
        settings: DeliverySettings,
        log_size: int,
    ) -> None:
        self.db = db
        self.urls = urls
        self.defaults = replace(settings)
        self.settings = settings  # as last read from the database (`load_settings`)
        self.deliveries = DeliveryLog(db, log_size)
        self.sender = Sender(settings, faults)
        self.claimant = f"{os.getpid()}-{token_hex(6)}"
        self._watches: dict[tuple[int, str, int], matching.MetricWatch] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def subscribe(self, bus: ev.EventBus) -> None:
        bus.subscribe(self.handle)

    async def load_settings(self) -> DeliverySettings:
        """The delivery settings every process shares (the Config's until changed)."""
        async with self.db.read() as conn:
            stored = await server_state.setting(conn, SETTINGS_NAME)
        fields = {**vars(self.defaults), **(json.loads(stored) if stored else {})}
        for key, value in fields.items():
            setattr(self.settings, key, value)
        return self.settings

    async def change_settings(self, **changes: Any) -> DeliverySettings:
        """Change delivery settings (synchronous, timeout_s, retries, backoff_ms) for every
        process; the caller has checked the names and values."""
        await self.load_settings()
        for key, value in changes.items():
            setattr(self.settings, key, value)
        async with self.db.write() as conn:
            await server_state.put_setting(conn, SETTINGS_NAME, json.dumps(vars(self.settings)))
        return self.settings

    async def handle(self, event: ev.Event) -> None:
        event_types = matching.event_types_of(event)
        project_id = getattr(event, "project_id", None)
        if not event_types or project_id is None:
            return
        await self.load_settings()
        async with self.db.read() as conn:
            firings = []
            for scoped in await _in_each_collection(conn, event):
                triggers = await store.enabled_triggers_for(
                    conn, event_types, scoped.project_id, getattr(scoped, "collection_id", None)
                )
                firings += [f for t in triggers for f in await self._firings(conn, t, scoped)]
            prepared = [await self._prepare(conn, firing) for firing in firings]
        for job in prepared:
            if job is not None:
                await self._dispatch(job)

    # ------------------------------------------------------------------ matching

    async def _firings(
        self, conn: Conn, trigger: store.TriggerRec, event: ev.Event
    ) -> list[Firing]:
        filter_doc = rules.saved_filter(trigger.event_type, trigger.event_filter)
        if trigger.event_type in rules.ARTIFACT_EVENTS:
            facts = matching.artifact_facts(event)
            return (
                [Firing(trigger, event, {})] if matching.filter_matches(filter_doc, facts) else []
            )
        run = await runs.run_by_id(conn, getattr(event, "run_id", 0))
        if run is None or not _run_filter_matches(filter_doc, run):
            return []
        if isinstance(event, ev.RunStateChanged):
            fires = matching.run_state_matches(filter_doc, event.state)
            return [Firing(trigger, event, {})] if fires else []
        if isinstance(event, ev.RunHistoryLogged):
            return self._metric_firings(trigger, filter_doc, event)
        return []

    def _metric_firings(
        self, trigger: store.TriggerRec, filter_doc: dict[str, Any], event: ev.RunHistoryLogged
    ) -> list[Firing]:
        spec = matching.metric_spec(trigger.event_type, filter_doc)
        name = spec.get("name")
        if not isinstance(name, str):
            return []
        key = (trigger.id, trigger.updated_at, event.run_id)
        watch = self._watches.setdefault(key, matching.MetricWatch())
        firings = []
        for row in event.rows:
            value = matching.metric_value(row, name)
            if value is not None and watch.observe(trigger.event_type, spec, value):
                extra = {
                    "metric_name": name,
                    "metric_value": value,
                    "metric_step": row.get("_step"),
                }
                firings.append(Firing(trigger, event, extra))
        return firings

    # ------------------------------------------------------------------ rendering

    async def _prepare(self, conn: Conn, firing: Firing) -> _Job | None:
        trigger = firing.trigger
        variables = await event_variables(conn, firing.event, trigger.event_type, self.urls)
        variables.update(firing.extra)
        config = json.loads(trigger.action_config)
        integration = (
            await store.integration_by_id(conn, trigger.integration_id)
            if trigger.integration_id
            else None
        )
        secrets = await _secrets(conn, integration)
        shown = masked({**variables, **secrets}, list(secrets))
        full = {**variables, **secrets}
        event_info: dict[str, Any] = {
            "type": trigger.event_type,
            "name": type(firing.event).__name__,
            "author": variables.get("event_author"),
            **{k: variables[k] for k in ("alias", "tag", "run_id") if k in variables},
            **firing.extra,
        }
        base = {
            "automation": {"id": rules.trigger_global_id(trigger), "name": trigger.name},
            "event": event_info,
            "action": trigger.action_type,
        }
        if trigger.action_type == "GENERIC_WEBHOOK" and integration is not None:
            template = config.get("requestPayload") or DEFAULT_PAYLOAD
            headers = {"Content-Type": "application/json"}
            token = secrets.get("ACCESS_TOKEN")
            if token:
                headers["Authorization"] = f"Bearer {token}"
            return _Job(
                base,
                integration.url,
                render(template, full),
                json.loads(render(template, shown)),
                headers,
                list(secrets.values()),
            )
        if trigger.action_type == "NOTIFICATION" and integration is not None:
            message = _slack_message(config, full)
            shown_message = _slack_message(config, shown)
            url = integration.url if integration.url and is_loopback(integration.url) else None
            headers = {"Content-Type": "application/json"}
            return _Job(
                base, url, json.dumps(message), shown_message, headers, list(secrets.values())
            )
        return _Job(base, None, "", None, {}, [])

    # ------------------------------------------------------------------ sending

    async def _dispatch(self, job: _Job) -> None:
        shown_headers = {
            k: ("Bearer " + MASK if k == "Authorization" else v) for k, v in job.headers.items()
        }
        delivery = await self.deliveries.new(
            **job.base,
            url=job.url,
            payload=job.shown_payload,
            headers=shown_headers,
            outcome="pending" if job.url else "recorded",
        )
        if job.url is None:
            self.deliveries.outcomes["recorded"] += 1
            return
        send = self._send(delivery, job)
        if self.settings.synchronous:
            await send
            return
        task = asyncio.get_running_loop().create_task(send)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _send(self, delivery: Delivery, job: _Job) -> None:
        if not await self.deliveries.claim(delivery, self.claimant):
            return  # another process sends it
        await self.sender.send(delivery, job.body, job.headers, job.secret_values)
        await self.deliveries.finished(delivery)

    async def idle(self, timeout_s: float = IDLE_TIMEOUT_S) -> None:
        """Wait until every delivery under way has finished: this process's, then any
        other's (up to `timeout_s`: a process that died leaves its deliveries pending)."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
        deadline = time.monotonic() + timeout_s
        while await self.deliveries.under_way() and time.monotonic() < deadline:
            await asyncio.sleep(IDLE_POLL_S)

    async def reset(self) -> None:
        """Forget deliveries under way (cancelled), metric windows and the delivery log."""
        await self._cancel()
        self._watches.clear()
        await self.deliveries.clear()

    async def stop(self) -> None:
        await self._cancel()
        await self.sender.close()

    async def _cancel(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*list(self._tasks), return_exceptions=True)


@dataclass
class _Job:
    base: dict[str, Any]
    url: str | None
    body: str
    shown_payload: Any
    headers: dict[str, str]
    secret_values: list[str]


def _slack_message(config: dict[str, Any], variables: dict[str, Any]) -> dict[str, Any]:
    title = render_value(config.get("title") or "", variables)
    text = render_value(config.get("message") or "", variables)
    severity = config.get("severity") or "INFO"
    return {
        "text": f"[{severity}] {title}: {text}" if title else f"[{severity}] {text}",
        "blocks": [
            {"type": "header", "text": {"type": "plain_text", "text": str(title)}},
            {"type": "section", "text": {"type": "mrkdwn", "text": str(text)}},
        ],
        "severity": severity,
        "event_type": variables.get("event_type"),
    }


async def _in_each_collection(conn: Conn, event: ev.Event) -> list[Any]:
    """The event as each collection holding the version sees it: a version's tags belong
    to the version, so registry collections it is linked into see them change too."""
    if not isinstance(event, (ev.ArtifactTagAdded, ev.ArtifactTagRemoved)):
        return [event]
    seen = [event]
    for membership in await artifacts.memberships_of_artifact(conn, event.artifact_id):
        collection = await artifacts.collection_by_id(conn, membership.collection_id)
        if collection is not None and collection.id != event.collection_id:
            seen.append(
                replace(event, collection_id=collection.id, project_id=collection.project_id)
            )
    return seen


async def _secrets(conn: Conn, integration: store.IntegrationRec | None) -> dict[str, str]:
    """The secrets a webhook's payload may use: `ACCESS_TOKEN`, and each by its name."""
    if integration is None:
        return {}
    names = [n for n in (integration.access_token_ref, integration.secret_ref) if n]
    values = await store.secret_values(conn, integration.entity_id, names)
    if integration.access_token_ref in values:
        values["ACCESS_TOKEN"] = values[integration.access_token_ref]
    return values


def _run_filter_matches(filter_doc: dict[str, Any], run: RunRec) -> bool:
    raw = filter_doc.get("run_filter") or "{}"
    try:
        run_filter = json.loads(raw) if isinstance(raw, str) else raw
    except json.JSONDecodeError:
        return False
    variables = run_variables(run)
    doc = {
        "display_name": variables["run_name"],
        "name": run.name,
        "state": run.state,
        "config": variables["run_config"],
        "summary_metrics": variables["run_summary"],
        "tags": json.loads(run.tags or "[]"),
    }
    return matching.filter_matches(run_filter if isinstance(run_filter, dict) else {}, doc)
