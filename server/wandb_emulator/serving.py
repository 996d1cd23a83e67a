"""`wandb-emulator serve`: the emulator on its two ports, under uvicorn.

With `--workers N` (N > 1) uvicorn's own supervisor runs N worker processes on the base
port's socket, each with an Emulator of its own on the one database and blob store
(`worker_app`, built from the Config this process passes down in WORKER_CONFIG_ENV).
What is bound once stays in this supervising process: the fixture port, served from a
thread by an Emulator that migrates and seeds before any worker starts; `--import` before
the workers start, `--export-on-exit` after they stopped. The control token is settled
here (given, or generated once) so every worker accepts the same one.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import gc
import logging
import os
import pickle
import secrets
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import uvicorn
from starlette.applications import Starlette

from . import snapshots
from .app import Emulator, create_app, create_fixture_app
from .config import Config
from .control_cli import CONTROL_TOKEN_ENV
from .logs import configure_logging
from .seeding import first_user_key, load_seed_file

log = logging.getLogger("wandb_emulator")
LOOPBACK_HOSTS = frozenset({"localhost", "::1"})
# The Config of `serve --workers N`'s workers, pickled (by their own parent) and base64'd.
WORKER_CONFIG_ENV = "WANDB_EMULATOR_WORKER_CONFIG"
WORKER_APP = f"{__name__}:worker_app"


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `serve`, which runs two of them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def default_user_exports(config: Config, control_token: str | None = None) -> str:
    seed = (
        load_seed_file(config.seed_file) if config.seed_file and config.seed_file.exists() else {}
    )
    lines = [f"export WANDB_BASE_URL={config.base_url}"]
    if key := first_user_key(seed):
        lines.append(f"export WANDB_API_KEY={key}")
    if control_token and config.emulator_endpoints:
        lines.append(f"export WANDB_EMULATOR_URL={config.base_url}")
        lines.append(f"export {CONTROL_TOKEN_ENV}={control_token}")
    lines.append(f"# web UI: {config.base_url}/  (emulator panel: {config.base_url}/_emulator/ui)")
    return "\n".join(lines)


def is_loopback(host: str) -> bool:
    return host in LOOPBACK_HOSTS or host.startswith("127.")


def exposure_warnings(config: Config) -> list[str]:
    """What `serve` warns about when it listens beyond loopback."""
    if is_loopback(config.host):
        return []
    warnings = [
        f"listening on {config.host}: the fixture port {config.fixture_port} creates users"
        " (instance admins too) without credentials, for anyone who reaches it"
    ]
    if config.emulator_endpoints:
        warnings.append(
            f"listening on {config.host} with the control endpoints /_emulator/* on: anyone"
            " holding the control token or an instance admin's API key (the default seed's"
            " key is public) can read the journal, inject faults, seed and reset;"
            " use --no-emulator-endpoints or a seed without the default user on a network"
        )
    return warnings


def _uvicorn_settings(config: Config, port: int, *, tls: bool) -> dict[str, Any]:
    """uvicorn's settings of a server of ours on `port`; `tls`: with the configured
    certificate, if any."""
    return {
        "host": config.host,
        "port": port,
        "log_level": config.log_level.lower(),
        # JSON logs: uvicorn's records go through the root handler's JSON formatter.
        "log_config": None if config.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
        "access_log": False,
        "ssl_certfile": str(config.tls_cert) if tls and config.tls_cert else None,
        "ssl_keyfile": str(config.tls_key) if tls and config.tls_key else None,
    }


def uvicorn_server(app: Starlette, port: int, config: Config, *, tls: bool = False) -> _Server:
    """A uvicorn server of `app` on `port` (RunningEmulator passes sockets of its own
    instead); `tls`: with the configured certificate, if any."""
    return _Server(uvicorn.Config(app, lifespan="off", **_uvicorn_settings(config, port, tls=tls)))


def run(
    config: Config,
    *,
    import_from: Path | None = None,
    replace: bool = False,
    export_on_exit: Path | None = None,
) -> int:
    """`serve`: one process, or a supervisor of `config.workers` worker processes."""
    if config.workers > 1:
        return serve_workers(
            config, import_from=import_from, replace=replace, export_on_exit=export_on_exit
        )
    return asyncio.run(
        serve(config, import_from=import_from, replace=replace, export_on_exit=export_on_exit)
    )


async def _import(config: Config, import_from: Path | None, replace: bool) -> bool:
    """Start from the snapshot `import_from`, if any; False when it is refused."""
    if import_from is None:
        return True
    try:
        manifest = await snapshots.import_snapshot(config, import_from, replace=replace)
    except snapshots.SnapshotError as exc:
        log.error("not started: %s", exc)
        return False
    log.info("imported %s from %s", snapshots.summary(manifest), import_from)
    return True


def _collect_from_now_on() -> None:
    """What start-up built (modules, schema, seed) lives as long as the server: out of the
    collector's generations, it is not traversed again by every collection. The
    collector was off while it was built (`cli.main`): back on for what requests make."""
    gc.freeze()
    gc.enable()


async def serve(
    config: Config,
    *,
    import_from: Path | None = None,
    replace: bool = False,
    export_on_exit: Path | None = None,
) -> int:
    """Serve until SIGINT or SIGTERM; the exit status. `import_from` starts from a
    snapshot; `export_on_exit` writes one after the servers stopped (a second signal
    abandons it, leaving the file as it was)."""
    if not await _import(config, import_from, replace):
        return 2
    emulator = Emulator(config)
    await emulator.start()
    for warning in exposure_warnings(config):
        log.warning("%s", warning)
    servers = [
        # TLS on the base port only: the fixture service is a local test helper.
        uvicorn_server(create_app(emulator), config.port, config, tls=True),
        uvicorn_server(create_fixture_app(emulator), config.fixture_port, config),
    ]
    abandon = threading.Event()  # set by any signal after the first
    signals = 0

    def on_signal() -> None:
        nonlocal signals
        signals += 1
        if signals > 1:
            abandon.set()
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    _collect_from_now_on()
    print(default_user_exports(config, emulator.control_token), flush=True)
    try:
        await asyncio.gather(*(server.serve() for server in servers))
    finally:
        await emulator.stop()
    if export_on_exit is None:
        return 0
    return await _export_on_exit(config, export_on_exit, abandon)


def worker_app() -> Starlette:
    """The app of one worker process of `serve --workers N` (uvicorn's factory): an
    Emulator of its own, built from the Config the supervisor passed down."""
    config = pickle.loads(base64.b64decode(os.environ[WORKER_CONFIG_ENV]))
    configure_logging(config.log_level, config.log_format)
    return create_app(Emulator(config), manage_lifecycle=True)


def serve_workers(
    config: Config,
    *,
    import_from: Path | None = None,
    replace: bool = False,
    export_on_exit: Path | None = None,
) -> int:
    """Supervise `config.workers` worker processes on the base port (uvicorn's
    supervisor: it restarts a worker that dies) and serve the fixture port, until SIGINT
    or SIGTERM; the exit status."""
    if not asyncio.run(_import(config, import_from, replace)):
        return 2
    config = dataclasses.replace(
        config, control_token=config.control_token or secrets.token_urlsafe(32)
    )
    fixture = FixtureService(config).start()  # migrates and seeds, once
    for warning in exposure_warnings(config):
        log.warning("%s", warning)
    os.environ[WORKER_CONFIG_ENV] = base64.b64encode(pickle.dumps(config)).decode("ascii")
    _collect_from_now_on()
    print(default_user_exports(config, config.control_token), flush=True)
    try:
        uvicorn.run(
            WORKER_APP,
            factory=True,
            workers=config.workers,
            lifespan="on",
            **_uvicorn_settings(config, config.port, tls=True),
        )
    finally:
        fixture.stop()
    if export_on_exit is None:
        return 0
    abandon = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: abandon.set())
    return asyncio.run(_export_on_exit(config, export_on_exit, abandon))


class FixtureService:
    """The fixture port of `serve --workers N`, served once, from a thread of the
    supervising process, by an Emulator of its own on the workers' database."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self._server: _Server | None = None
        self._thread = threading.Thread(target=self._run, name="fixture-port", daemon=True)
        self._failure: BaseException | None = None

    def start(self) -> FixtureService:
        self._thread.start()
        while not (self._server is not None and self._server.started):
            if not self._thread.is_alive():
                raise RuntimeError("the fixture port did not start") from self._failure
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.should_exit = True
        self._thread.join()

    def _run(self) -> None:
        try:
            asyncio.run(self._serve())
        except BaseException as exc:  # reported by start(), or logged while serving
            self._failure = exc
            log.exception("the fixture port failed")

    async def _serve(self) -> None:
        emulator = Emulator(self.config)
        await emulator.start()
        try:
            self._server = uvicorn_server(
                create_fixture_app(emulator), self.config.fixture_port, self.config
            )
            await self._server.serve()
        finally:
            await emulator.stop()


async def _export_on_exit(config: Config, target: Path, abandon: threading.Event) -> int:
    started = time.perf_counter()
    log.info("writing a snapshot to %s (a second signal abandons it)", target)
    try:
        manifest = await snapshots.export_data_dir(config, target, cancel=abandon)
    except snapshots.ExportCancelled:
        log.warning("snapshot abandoned: %s is left as it was", target)
        return 130
    except (snapshots.SnapshotError, OSError) as exc:
        log.error("snapshot not written (%s is left as it was): %s", target, exc)
        return 1
    elapsed = time.perf_counter() - started
    log.info("snapshot of %s written to %s in %.2f s", snapshots.summary(manifest), target, elapsed)
    return 0
