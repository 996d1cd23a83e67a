"""An emulator inside the test process: uvicorn on a free loopback port, in a thread.

The pytest plugin (`wandb_emulator.pytest_plugin`) builds on this; it also works on its own:

    with RunningEmulator(tmp_dir) as emulator:
        user = emulator.new_user()
        ...
        emulator.journal.assert_called("UpsertRegistry")
"""

from __future__ import annotations

import asyncio
import secrets
import socket
import threading
import time
from collections.abc import Coroutine
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

import uvicorn

from .app import Emulator, create_app
from .config import Config
from .domain.events import Event, Subscriber
from .domain.maintenance import Swept
from .faults import FaultRules
from .journal import Journal
from .telemetry import Telemetry

T = TypeVar("T")
START_TIMEOUT = 30.0
CALL_TIMEOUT = 60.0


@dataclass(frozen=True)
class EmulatorUser:
    """A user who administers its own organization and team; its API key is its username."""

    username: str
    api_key: str
    organization: str
    org_entity: str
    team: str
    base_url: str

    @property
    def environ(self) -> dict[str, str]:
        """The variables that point the wandb SDK at the emulator as this user."""
        return {
            "WANDB_BASE_URL": self.base_url,
            "WANDB_API_KEY": self.api_key,
            "WANDB_ENTITY": self.team,
            "WANDB_USERNAME": self.username,
        }

    def api(self, **overrides: Any) -> Any:
        """A `wandb.Api` for this user, whatever the environment says."""
        import wandb

        return wandb.Api(api_key=self.api_key, overrides={"base_url": self.base_url, **overrides})


def _random_name(prefix: str, hex_chars: int = 12) -> str:
    return f"{prefix}-{secrets.token_hex(hex_chars // 2)}"


def _loopback_socket() -> socket.socket:
    # IPPROTO_TCP, not 0: asyncio sets TCP_NODELAY on accepted sockets only when the
    # protocol says TCP; without it a response written in two parts (headers, body) waits
    # for the client's delayed ACK, about 40 ms per keep-alive request.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    return sock


class RunningEmulator:
    """Serves one Emulator from a background thread with its own event loop."""

    def __init__(self, data_dir: Path, config: Config | None = None) -> None:
        self._socket = _loopback_socket()
        port = self._socket.getsockname()[1]
        base = config or Config(log_level="warning")
        self.config = replace(base, data_dir=data_dir, host="127.0.0.1", port=port)
        self.emulator = Emulator(self.config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    # ------------------------------------------------------------------ lifecycle

    @property
    def base_url(self) -> str:
        return self.config.base_url

    @property
    def control_token(self) -> str:
        """The bearer token of this emulator's /_emulator endpoints."""
        return self.emulator.control_token

    @property
    def control_headers(self) -> dict[str, str]:
        """Headers that authorize a request to /_emulator/*."""
        return {"authorization": f"Bearer {self.control_token}"}

    @property
    def journal(self) -> Journal:
        return self.emulator.journal

    @property
    def telemetry(self) -> Telemetry:
        """The OTLP exports the SDK sent (`.exports(signal)`, `.metrics()`, `.clear()`)."""
        return self.emulator.telemetry

    @property
    def faults(self) -> FaultRules:
        return self.emulator.faults

    def subscribe(self, handler: Subscriber, event_type: type[Event] = Event) -> None:
        """Register a domain-event subscriber (best before `start`); it runs on the
        server's loop after each commit."""
        self.emulator.events.subscribe(handler, event_type)

    def start(self) -> RunningEmulator:
        self._thread = threading.Thread(target=self._serve, name="wandb-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not (self._server is not None and self._server.started):
            if self._failure is not None or not self._thread.is_alive():
                raise RuntimeError("the emulator failed to start") from self._failure
            if time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start within {START_TIMEOUT}s")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
        self._socket.close()

    def __enter__(self) -> RunningEmulator:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start() or lost at shutdown
            self._failure = exc

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.emulator.start()
        server = uvicorn.Server(
            uvicorn.Config(
                create_app(self.emulator),
                lifespan="off",
                log_level=self.config.log_level.lower(),
                access_log=False,
            )
        )
        self._server = server
        try:
            await server.serve(sockets=[self._socket])
        finally:
            await self.emulator.stop()

    # ------------------------------------------------------------------ state

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        """Run a coroutine on the server's loop (where the database lives) and wait for it."""
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the emulator is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT)

    def reset(self) -> None:
        """Back to the seeded default: database, journal and fault rules."""
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

    def seed(self, seed: dict[str, Any]) -> None:
        """Apply a seed document (users, organizations, teams, registries)."""
        self.call(self.emulator.apply_seed(seed))

    def deliveries(self, *, wait: bool = True) -> list[dict[str, Any]]:
        """The automation delivery log, oldest first (after deliveries under way, if `wait`)."""
        engine = self.emulator.automations
        if wait:
            self.call(engine.idle())
        return [delivery.to_json() for delivery in engine.deliveries.entries()]

    def configure_deliveries(self, **settings: Any) -> dict[str, Any]:
        """Change delivery settings (synchronous, timeout_s, retries, backoff_ms); returns
        the previous ones."""
        current = self.emulator.automations.settings
        previous = dict(vars(current))
        unknown = set(settings) - set(previous)
        if unknown:
            raise ValueError(f"unknown delivery settings {sorted(unknown)}")
        for key, value in settings.items():
            setattr(current, key, value)
        return previous

    def add_slack_integration(
        self, entity: str, team_name: str, channel_name: str, url: str | None = None
    ) -> str:
        """A Slack integration of `entity` (W&B creates them through OAuth); notifications
        are recorded in the delivery log and, if `url` is a loopback URL, posted there."""
        from .domain.automations import create_slack_integration, integration_global_id

        rec = self.call(
            create_slack_integration(self.emulator.uow, entity, team_name, channel_name, url)
        )
        return integration_global_id(rec)

    def new_user(self) -> EmulatorUser:
        """A fresh user, admin of a fresh organization and of a team in it (random names)."""
        user, seed = new_user_seed(self.base_url)
        self.seed(seed)
        return user


def new_user_seed(base_url: str) -> tuple[EmulatorUser, dict[str, Any]]:
    """A fresh user (random names) and the seed document that makes them admin of a fresh
    organization and of a team in it; for any way of driving an Emulator."""
    username = _random_name("user", 40)  # API keys shorter than 40 characters are refused
    organization, team = _random_name("org"), _random_name("team")
    org_entity = f"{organization}-entity"
    admin = [{"username": username, "role": "admin"}]
    seed = {
        "users": [{"username": username, "defaultEntity": team}],
        "organizations": [{"name": organization, "orgEntityName": org_entity, "members": admin}],
        "teams": [{"name": team, "organization": organization, "members": admin}],
    }
    return EmulatorUser(username, username, organization, org_entity, team, base_url), seed
