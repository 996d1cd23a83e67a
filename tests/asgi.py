"""The fast tier's emulator: the app of `create_app(Emulator(config))` driven in this
process through httpx's ASGI transport, with a temporary data directory: no socket, no
server thread, no SDK. Users come from the same seed as `RunningEmulator.new_user`.

    def test_something(asgi_emulator):  # the fixture is in conftest.py
        user = asgi_emulator.new_user()
        response = asgi_emulator.graphql(user.api_key, "{ viewer { username } }")
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx

from wandb_emulator.app import Emulator, create_app
from wandb_emulator.config import Config
from wandb_emulator.testing import EmulatorUser, new_user_seed


class AsgiEmulator:
    """One Emulator on its own event loop; each call runs the loop until it answers."""

    def __init__(self, data_dir: Path, **config: Any) -> None:
        self.loop = asyncio.new_event_loop()
        self.emulator = Emulator(Config(data_dir=data_dir, log_level="warning", **config))
        self.loop.run_until_complete(self.emulator.start())
        self.client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(self.emulator)),
            base_url=self.emulator.config.base_url,
        )

    def close(self) -> None:
        self.loop.run_until_complete(self.client.aclose())
        self.loop.run_until_complete(self.emulator.stop())
        self.loop.close()

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        return self.loop.run_until_complete(self.client.request(method, path, **kwargs))

    def graphql(
        self, key: str, query: str, variables: dict[str, Any] | None = None
    ) -> httpx.Response:
        body = {"query": query, "variables": variables or {}}
        return self.request("POST", "/graphql", json=body, auth=("api", key))

    def post_body(self, key: str, content: bytes, **headers: str) -> httpx.Response:
        """POST raw bytes to /graphql (malformed, compressed or oversized bodies)."""
        headers = {"content-type": "application/json", **headers}
        return self.request("POST", "/graphql", content=content, auth=("api", key), headers=headers)

    def seed(self, seed: dict[str, Any]) -> None:
        self.loop.run_until_complete(self.emulator.apply_seed(seed))

    def new_user(self) -> EmulatorUser:
        """A fresh user, admin of a fresh organization and of a team in it."""
        user, seed = new_user_seed(self.emulator.config.base_url)
        self.seed(seed)
        return user
