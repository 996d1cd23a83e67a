"""The app factory: everything is built from a Config, nothing lives at module level."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import Route, request_response
from starlette.types import ASGIApp

from .automations.delivery import DeliverySettings
from .automations.engine import AutomationEngine
from .blobs import BlobStore
from .config import Config
from .domain.events import EventBus
from .domain.unit import UnitOfWork
from .faults import FaultRules
from .graphql.schema import build_schema
from .http import files
from .http.emulator_endpoints import emulator_routes
from .http.file_stream import file_stream
from .http.fixtures import fixture_command
from .http.graphql_endpoint import graphql_endpoint
from .http.health import health, ready, telemetry_disabled
from .http.recording import RecordingMiddleware
from .journal import Journal
from .seed_check import check_seed
from .seeding import apply_seed, load_seed_file
from .signing import Signer
from .store.database import Database
from .urls import Urls

log = logging.getLogger("wandb_emulator")


URL_TTL_SECONDS = 24 * 3600


def _signing_secret(data_dir: Path) -> bytes:
    """A per-data-dir secret, so signed URLs stay valid across restarts."""
    path = data_dir / "signing.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        path.write_bytes(os.urandom(32))
    return path.read_bytes()


class Emulator:
    """The state one emulator instance serves: database, blobs, schema, configuration."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.db = Database(config.database_path)
        self.events = EventBus()
        self.uow = UnitOfWork(self.db, self.events)
        self.blobs = BlobStore(config.data_dir / "blobs")
        self.signer = Signer(_signing_secret(config.data_dir), URL_TTL_SECONDS)
        self.urls = Urls(config.base_url, self.signer)
        self.schema = build_schema(config)
        self.journal = Journal(config.journal_size)
        self.faults = FaultRules()
        self.automations = AutomationEngine(
            self.db,
            self.urls,
            self.faults,
            DeliverySettings(
                synchronous=config.automations_synchronous,
                timeout_s=config.webhook_timeout_s,
                retries=config.webhook_retries,
                backoff_ms=config.webhook_backoff_ms,
            ),
            config.delivery_log_size,
        )
        self.automations.subscribe(self.events)
        self._default_seed: dict[str, Any] | None = None

    async def start(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        first_start = not self.config.database_path.exists()
        await self.db.open()
        if first_start:
            await self.seed_defaults()

    async def stop(self) -> None:
        await self.automations.stop()
        await self.db.close()

    async def seed_defaults(self) -> None:
        seed_file = self.config.seed_file
        if seed_file is None:
            return
        if self._default_seed is None:
            if not seed_file.exists():
                log.warning("seed file %s not found; starting without default data", seed_file)
                return
            self._default_seed = load_seed_file(seed_file)
        await apply_seed(self.uow, self._default_seed)

    async def apply_seed(self, seed: dict[str, Any]) -> None:
        """Add users, organizations, teams and registries (a seed document) to the state."""
        await apply_seed(self.uow, check_seed(seed))

    async def reset(self) -> None:
        """Wipe all state (database, journal, fault rules, delivery log) and re-seed."""
        self.faults.clear()
        await self.automations.reset()
        await self.db.wipe()
        await self.seed_defaults()
        self.journal.clear()


def _lifespan(emulator: Emulator, manage: bool):
    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        if manage:
            await emulator.start()
        try:
            yield
        finally:
            if manage:
                await emulator.stop()

    return lifespan


# What a browser on the server's own origin may send to the file endpoints (an object
# store's CORS configuration; `wandb verify` checks it with a preflight).
FILE_CORS_METHODS = ["GET", "HEAD", "PUT"]
FILE_CORS_HEADERS = ["Authorization", "Content-Type", "Content-MD5", "Content-Encoding", "Range"]
FILE_CORS_EXPOSED = ["ETag", "Content-Length", "Content-Range", "Accept-Ranges"]


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _file_route(path: str, endpoint: Callable[..., Any], method: str, config: Config) -> Route:
    """A file upload or download endpoint that answers CORS preflights from our origin."""
    app: ASGIApp = CORSMiddleware(
        request_response(endpoint),
        allow_origins=[_origin(config.base_url)],
        allow_methods=FILE_CORS_METHODS,
        allow_headers=FILE_CORS_HEADERS,
        expose_headers=FILE_CORS_EXPOSED,
    )
    return Route(path, app, methods=[method, "OPTIONS"])


def _file_routes(config: Config) -> list[Route]:
    return [
        _file_route("/storage/upload/{token}", files.upload, "PUT", config),
        _file_route("/storage/blob/{token}/{filename:path}", files.download, "GET", config),
        _file_route("/artifacts/{entity}/{md5}", files.download_by_digest, "GET", config),
        _file_route(
            "/artifactsV2/{region}/{entity}/{path:path}/{md5}/{filename}",
            files.download_by_digest,
            "GET",
            config,
        ),
    ]


def create_app(emulator: Emulator, *, manage_lifecycle: bool = False) -> Starlette:
    """The base-port app: GraphQL, readiness, file_stream, file uploads and downloads."""
    app = Starlette(
        routes=[
            Route("/graphql", graphql_endpoint, methods=["POST"]),
            Route("/ready", ready, methods=["GET"]),
            Route("/files/{entity}/{project}/{run}/file_stream", file_stream, methods=["POST"]),
            *_file_routes(emulator.config),
            Route("/sdk/otel/v1/{signal}", telemetry_disabled, methods=["POST"]),
            *(emulator_routes() if emulator.config.emulator_endpoints else []),
        ],
        middleware=[
            Middleware(RecordingMiddleware, journal=emulator.journal, faults=emulator.faults)
        ],
        lifespan=_lifespan(emulator, manage_lifecycle),
    )
    app.state.emulator = emulator
    return app


def create_fixture_app(emulator: Emulator) -> Starlette:
    """The fixture-port app: health and the local-testcontainer fixture commands."""
    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/db/{resource}", fixture_command, methods=["POST"]),
        ]
    )
    app.state.emulator = emulator
    return app
