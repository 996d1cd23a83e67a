"""What every way of running an emulator for tests shares.

- `EmulatorHandle`: an emulator built from a `Config`: its address, control token,
  seeds, fresh accounts and an HTTP client. `EmulatorProcess` (a `serve` child process)
  implements it over HTTP.
- `InProcessHandle`: an `Emulator` object in this process, on an event loop of its own:
  its journal, fault rules and delivery settings are at hand. `RunningEmulator` serves it
  on loopback sockets from a thread (for the SDK); `InProcessEmulator` drives its app
  through the ASGI interface (no socket, no SDK: the fast tier).

A configuration that needs processes of its own (several workers) runs as an
`EmulatorProcess`, built from the same `Config`: an option added to `serve` reaches it
through `cli.serve_arguments`. For the pytest plugin to hand one out (from
`wandb_emulator_config`), it would also need `journal` and `faults` over HTTP
(/_emulator/journal and /_emulator/faults hold the same data).
"""

from __future__ import annotations

import ssl
from abc import ABC, abstractmethod
from collections.abc import Coroutine
from functools import cached_property
from pathlib import Path
from typing import Any, TypeVar

import httpx

from ..app import Emulator
from ..config import Config
from ..domain.events import Event, Subscriber
from ..domain.maintenance import Swept
from ..faults import Faults
from ..journal import Journal
from ..telemetry import Telemetry
from .accounts import Accounts, EmulatorUser

T = TypeVar("T")
H = TypeVar("H", bound="EmulatorHandle")
START_TIMEOUT = 30.0
CALL_TIMEOUT = 60.0


class EmulatorHandle(ABC):
    """An emulator built from `config` (its data directory and ports filled in)."""

    config: Config

    @abstractmethod
    def start(self: H) -> H:
        """Start and wait until it answers."""

    @abstractmethod
    def stop(self) -> object:
        """Stop it and wait until it has."""

    def __enter__(self: H) -> H:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    @abstractmethod
    def control_token(self) -> str:
        """The bearer token of this emulator's /_emulator endpoints."""

    @property
    def control_headers(self) -> dict[str, str]:
        """Headers that authorize a request to /_emulator/*."""
        return {"authorization": f"Bearer {self.control_token}"}

    @abstractmethod
    def seed(self, seed: dict[str, Any]) -> None:
        """Apply a seed document (users, organizations, teams, registries)."""

    @abstractmethod
    def reset(self) -> None:
        """Back to the seeded default: database, journal and fault rules."""

    @cached_property
    def accounts(self) -> Accounts:
        """Fresh users, organizations and teams on this emulator."""
        return Accounts(self.seed, self.base_url)

    def new_user(self) -> EmulatorUser:
        """A fresh user, admin of a fresh organization and of a team in it (random names)."""
        return self.accounts.org_admin()

    @property
    def verify(self) -> ssl.SSLContext | bool:
        """What an HTTP client verifies the base port's certificate with: the configured
        one (self-signed, in tests), if any."""
        cert = self.config.tls_cert
        return ssl.create_default_context(cafile=cert) if cert else True

    @cached_property
    def client(self) -> httpx.Client:
        """A keep-alive HTTP client of the base URL (a new connection per request costs
        about 20 ms; cookies kept, redirects not followed), closed by `close_client`."""
        return httpx.Client(
            base_url=self.base_url,
            timeout=CALL_TIMEOUT,
            verify=self.verify,
            transport=self._transport(),
        )

    def _transport(self) -> httpx.BaseTransport | None:
        """What `client` sends requests through (None: the network)."""
        return None

    def close_client(self) -> None:
        if "client" in self.__dict__:
            self.__dict__.pop("client").close()

    def graphql(
        self, api_key: str, query: str, variables: dict[str, Any] | None = None, **kwargs: Any
    ) -> httpx.Response:
        """POST a GraphQL document as the user of `api_key`."""
        body = {"query": query, "variables": variables or {}}
        return self.client.post("/graphql", json=body, auth=("api", api_key), **kwargs)


class InProcessHandle(EmulatorHandle):
    """An `Emulator` in this process, on an event loop of its own; `call` runs a coroutine
    there."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.emulator = Emulator(config)

    @abstractmethod
    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the emulator's loop (where the database lives); its result."""

    @property
    def control_token(self) -> str:
        return self.emulator.control_token

    @cached_property
    def journal(self) -> Journal:
        """The request journal (of every process of the database), read on the loop."""
        shared = self.emulator.journal
        return Journal(
            lambda: self.call(shared.entries()), lambda: self.call(shared.clear()), shared.size
        )

    @property
    def telemetry(self) -> Telemetry:
        """The OTLP exports the SDK sent (`.exports(signal)`, `.metrics()`, `.clear()`)."""
        return self.emulator.telemetry

    @cached_property
    def faults(self) -> Faults:
        """The fault rules (of every process of the database), changed on the loop."""
        return Faults(self.emulator.faults, self.call)

    def subscribe(self, handler: Subscriber, event_type: type[Event] = Event) -> None:
        """Register a domain-event subscriber (best before `start`); it runs on the
        emulator's loop after each commit."""
        self.emulator.events.subscribe(handler, event_type)

    def seed(self, seed: dict[str, Any]) -> None:
        self.call(self.emulator.apply_seed(seed))

    def reset(self) -> None:
        self.call(self.emulator.reset())

    def snapshot(self, path: Path) -> dict[str, Any]:
        """Write a snapshot of the whole state to `path` (replaced atomically); its manifest."""
        return self.call(self.emulator.snapshot(Path(path)))

    def restore(self, path: Path) -> dict[str, Any]:
        """Replace the whole state with the snapshot at `path` (the journal, fault rules and
        delivery log are emptied, as by `reset`); its manifest. Restoring the same file
        again reuses what the first restore checked."""
        return self.call(self.emulator.restore(Path(path)))

    def maintain(self) -> Swept:
        """Remove abandoned uploads and unreferenced blobs now (the background task's job)."""
        return self.call(self.emulator.maintain())

    def deliveries(self, *, wait: bool = True) -> list[dict[str, Any]]:
        """The automation delivery log, oldest first (after deliveries under way, if `wait`)."""
        engine = self.emulator.automations
        if wait:
            self.call(engine.idle())
        return [delivery.to_json() for delivery in self.call(engine.deliveries.entries())]

    def clear_deliveries(self) -> None:
        """Empty the automation delivery log."""
        self.call(self.emulator.automations.deliveries.clear())

    def configure_deliveries(self, **settings: Any) -> dict[str, Any]:
        """Change delivery settings (synchronous, timeout_s, retries, backoff_ms); returns
        the previous ones."""
        engine = self.emulator.automations
        previous = dict(vars(self.call(engine.load_settings())))
        unknown = set(settings) - set(previous)
        if unknown:
            raise ValueError(f"unknown delivery settings {sorted(unknown)}")
        self.call(engine.change_settings(**settings))
        return previous

    def add_slack_integration(
        self, entity: str, team_name: str, channel_name: str, url: str | None = None
    ) -> str:
        """A Slack integration of `entity` (W&B creates them through OAuth); notifications
        are recorded in the delivery log and, if `url` is a loopback URL, posted there."""
        from ..domain.automations import create_slack_integration, integration_global_id

        rec = self.call(
            create_slack_integration(self.emulator.uow, entity, team_name, channel_name, url)
        )
        return integration_global_id(rec)
