"""`wandb-emulator serve`: the emulator on its two ports, under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import uvicorn
from starlette.applications import Starlette

from . import snapshots
from .app import Emulator, create_app, create_fixture_app
from .config import Config
from .control_cli import CONTROL_TOKEN_ENV
from .seeding import first_user_key, load_seed_file

log = logging.getLogger("wandb_emulator")
LOOPBACK_HOSTS = frozenset({"localhost", "::1"})


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


def uvicorn_server(app: Starlette, port: int, config: Config, *, tls: bool = False) -> _Server:
    """A uvicorn server of `app` on `port` (RunningEmulator passes sockets of its own
    instead); `tls`: with the configured certificate, if any."""
    return _Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=port,
            lifespan="off",
            log_level=config.log_level.lower(),
            # JSON logs: uvicorn's records go through the root handler's JSON formatter.
            log_config=None if config.log_format == "json" else uvicorn.config.LOGGING_CONFIG,
            access_log=False,
            ssl_certfile=str(config.tls_cert) if tls and config.tls_cert else None,
            ssl_keyfile=str(config.tls_key) if tls and config.tls_key else None,
        )
    )


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
    if import_from is not None:
        try:
            manifest = await snapshots.import_snapshot(config, import_from, replace=replace)
        except snapshots.SnapshotError as exc:
            log.error("not started: %s", exc)
            return 2
        log.info("imported %s from %s", snapshots.summary(manifest), import_from)
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
    # What start-up built (modules, schema, seed) lives as long as the server: out of the
    # collector's generations, it is not traversed again by every collection. The
    # collector was off while it was built (`cli.main`): back on for what requests make.
    gc.freeze()
    gc.enable()
    print(default_user_exports(config, emulator.control_token), flush=True)
    try:
        await asyncio.gather(*(server.serve() for server in servers))
    finally:
        await emulator.stop()
    if export_on_exit is None:
        return 0
    return await _export_on_exit(config, export_on_exit, abandon)


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
