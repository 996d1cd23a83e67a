"""An emulator without a socket: its app driven in this process through the ASGI
interface (Starlette's TestClient), with its own event loop in a thread. No port, no SDK:
for fast tests of GraphQL and HTTP edge cases and of the web pages.

    with InProcessEmulator(tmp_dir) as emulator:
        user = emulator.new_user()
        response = emulator.graphql(user.api_key, "{ viewer { username } }")
"""

from __future__ import annotations

from collections.abc import Awaitable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from ..app import create_app
from ..config import Config
from .handle import InProcessHandle, T


async def _awaited(awaitable: Awaitable[T]) -> T:
    return await awaitable


class InProcessEmulator(InProcessHandle):
    """`client` (an httpx.Client: cookies kept, redirects not followed) talks to the app;
    the emulator starts and stops with the app's lifespan."""

    def __init__(self, data_dir: Path, config: Config | None = None) -> None:
        super().__init__(replace(config or Config(log_level="warning"), data_dir=data_dir))
        self._test_client = TestClient(
            create_app(self.emulator, manage_lifecycle=True),
            base_url=self.base_url,
            follow_redirects=False,
        )
        self.client = self._test_client

    def start(self) -> InProcessEmulator:
        self._test_client.__enter__()
        return self

    def stop(self) -> None:
        self._test_client.__exit__(None, None, None)

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        portal = self._test_client.portal
        if portal is None:
            coroutine.close()
            raise RuntimeError("the emulator is not running")
        return portal.call(_awaited, coroutine)
