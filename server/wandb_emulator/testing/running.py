"""An emulator inside the test process: uvicorn on free loopback ports, in a thread.

The pytest plugin (`wandb_emulator.pytest_plugin`) builds on this; it also works on its own:

    with RunningEmulator(tmp_dir) as emulator:
        user = emulator.new_user()
        ...
        emulator.journal.assert_called("UpsertRegistry")
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

import uvicorn

from ..app import create_app, create_fixture_app
from ..config import Config
from ..serving import uvicorn_server
from .handle import CALL_TIMEOUT, START_TIMEOUT, InProcessHandle, T
from .ports import loopback_socket


class RunningEmulator(InProcessHandle):
    """Serves one Emulator from a background thread with its own event loop: the base
    port (GraphQL, files, pages, /_emulator) and the fixture service, as `serve` does."""

    def __init__(self, data_dir: Path, config: Config | None = None) -> None:
        self._sockets = [loopback_socket(), loopback_socket()]
        port, fixture_port = (sock.getsockname()[1] for sock in self._sockets)
        super().__init__(
            replace(
                config or Config(log_level="warning"),
                data_dir=data_dir,
                host="127.0.0.1",
                port=port,
                fixture_port=fixture_port,
            )
        )
        self._loop: asyncio.AbstractEventLoop | None = None
        self._servers: list[uvicorn.Server] = []
        self._thread: threading.Thread | None = None
        self._failure: BaseException | None = None

    @property
    def fixture_url(self) -> str:
        return f"http://127.0.0.1:{self.config.fixture_port}"

    def start(self) -> RunningEmulator:
        self._thread = threading.Thread(target=self._serve, name="wandb-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + START_TIMEOUT
        while not (self._servers and all(server.started for server in self._servers)):
            if self._failure is not None or not self._thread.is_alive():
                raise RuntimeError("the emulator failed to start") from self._failure
            if time.monotonic() > deadline:
                raise RuntimeError(f"the emulator did not start within {START_TIMEOUT}s")
            time.sleep(0.005)
        return self

    def stop(self) -> None:
        self.close_client()
        for server in self._servers:
            server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=START_TIMEOUT)
        for sock in self._sockets:
            sock.close()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        if self._loop is None:
            coroutine.close()
            raise RuntimeError("the emulator is not running")
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(CALL_TIMEOUT)

    def _serve(self) -> None:
        try:
            asyncio.run(self._main())
        except BaseException as exc:  # reported to start() or lost at shutdown
            self._failure = exc

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        await self.emulator.start()
        self._servers = [
            uvicorn_server(create_app(self.emulator), self.config.port, self.config, tls=True),
            uvicorn_server(
                create_fixture_app(self.emulator), self.config.fixture_port, self.config
            ),
        ]
        try:
            await asyncio.gather(
                *(
                    server.serve(sockets=[sock])
                    for server, sock in zip(self._servers, self._sockets, strict=True)
                )
            )
        finally:
            await self.emulator.stop()
