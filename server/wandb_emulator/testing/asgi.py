"""An emulator without a socket: its app driven in this process through the ASGI
interface, on an event loop of its own that runs in the calling thread while a call
waits for it (no thread to hand requests over to). No port, no SDK: for fast tests of
GraphQL and HTTP edge cases and of the web pages.

    with InProcessEmulator(tmp_dir) as emulator:
        user = emulator.new_user()
        response = emulator.graphql(user.api_key, "{ viewer { username } }")
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from dataclasses import replace
from pathlib import Path
from typing import Any

import httpx

from ..app import create_app
from ..config import Config
from .handle import InProcessHandle, T

Raw = tuple[int, httpx.Headers, bytes]


class InProcessEmulator(InProcessHandle):
    """`client` (an httpx.Client) sends its requests to the app on the emulator's loop.
    Background work (deliveries, maintenance) runs only while a call waits."""

    def __init__(self, data_dir: Path, config: Config | None = None) -> None:
        super().__init__(replace(config or Config(log_level="warning"), data_dir=data_dir))
        self._loop = asyncio.new_event_loop()

    def start(self) -> InProcessEmulator:
        self.call(self.emulator.start())
        return self

    def stop(self) -> None:
        self.close_client()
        self.call(self.emulator.stop())
        self._loop.close()

    def call(self, coroutine: Coroutine[Any, Any, T]) -> T:
        return self._loop.run_until_complete(coroutine)

    def _transport(self) -> httpx.BaseTransport:
        return AppTransport(httpx.ASGITransport(app=create_app(self.emulator)), self.call)


class AppTransport(httpx.BaseTransport):
    """A synchronous httpx transport that runs an ASGI app's answer on its event loop."""

    def __init__(
        self, asgi: httpx.ASGITransport, call: Callable[[Coroutine[Any, Any, Raw]], Raw]
    ) -> None:
        self._asgi = asgi
        self._call = call

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        request.read()  # the body as bytes, which the ASGI transport reads asynchronously
        status, headers, raw = self._call(self._answer(request))
        return httpx.Response(status, headers=headers, content=raw, request=request)

    async def _answer(self, request: httpx.Request) -> Raw:
        response = await self._asgi.handle_async_request(request)
        raw = b"".join([chunk async for chunk in response.aiter_raw()])
        return response.status_code, response.headers, raw
