"""`wandb-emulator serve`: the emulator on its two ports, under uvicorn."""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import Iterator

import uvicorn
from starlette.applications import Starlette

from .app import Emulator, create_app, create_fixture_app
from .config import Config
from .seeding import load_seed_file


class _Server(uvicorn.Server):
    """A uvicorn server that leaves signal handling to `serve`, which runs two of them."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


def default_user_exports(config: Config) -> str:
    seed = (
        load_seed_file(config.seed_file) if config.seed_file and config.seed_file.exists() else {}
    )
    lines = [f"export WANDB_BASE_URL={config.base_url}"]
    users = seed.get("users") or []
    if users:
        key = users[0].get("apiKey") or users[0]["username"]
        lines.append(f"export WANDB_API_KEY={key}")
    return "\n".join(lines)


def _uvicorn_server(app: Starlette, port: int, config: Config, *, tls: bool = False) -> _Server:
    return _Server(
        uvicorn.Config(
            app,
            host=config.host,
            port=port,
            lifespan="off",
            log_level=config.log_level.lower(),
            access_log=False,
            ssl_certfile=str(config.tls_cert) if tls and config.tls_cert else None,
            ssl_keyfile=str(config.tls_key) if tls and config.tls_key else None,
        )
    )


async def serve(config: Config) -> None:
    emulator = Emulator(config)
    await emulator.start()
    servers = [
        # TLS on the base port only: the fixture service is a local test helper.
        _uvicorn_server(create_app(emulator), config.port, config, tls=True),
        _uvicorn_server(create_fixture_app(emulator), config.fixture_port, config),
    ]

    def stop() -> None:
        for server in servers:
            server.should_exit = True

    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop)
    print(default_user_exports(config), flush=True)
    try:
        await asyncio.gather(*(server.serve() for server in servers))
    finally:
        await emulator.stop()
