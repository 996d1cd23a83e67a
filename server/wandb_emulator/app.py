"""The app factory: everything is built from a Config, nothing lives at module level."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import shutil
import tempfile
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.routing import BaseRoute, Route, request_response
from starlette.types import ASGIApp

from . import snapshots, storage
from .automations.delivery import DeliverySettings
from .automations.engine import AutomationEngine
from .config import Config
from .domain import maintenance
from .domain.events import ArtifactDeleted, EventBus, RegistryDeleted, RunDeleted
from .domain.unit import UnitOfWork
from .faults import FaultRules
from .graphql.schema import build_schema
from .http import files
from .http.emulator_endpoints import emulator_routes
from .http.file_stream import file_stream
from .http.fixtures import fixture_command
from .http.graphql_endpoint import graphql_endpoint
from .http.health import health, ready
from .http.otlp import export as otlp_export
from .http.outside_commits import SeeOutsideCommits
from .http.recording import RecordingMiddleware
from .http.request_metrics import RequestMetrics, RequestStats, metrics
from .journal import SharedJournal
from .seed_check import check_seed
from .seeding import apply_seed, first_user_key, load_seed_file
from .signing import Signer, data_dir_secret
from .telemetry import Telemetry
from .ui import page_routes, panel_routes, serves_page, ui_state
from .urls import URL_TTL_SECONDS, Urls

log = logging.getLogger("wandb_emulator")


BLOB_WORK = "blob-work"  # the database lock of collections, snapshots and restores
# Events after which unreferenced blobs may be collected.
DELETION_EVENTS = (ArtifactDeleted, RegistryDeleted, RunDeleted)


class Emulator:
    """The state one emulator instance serves: database, blobs, schema, configuration."""

    def __init__(self, config: Config) -> None:
        self.config = config
        self.db = storage.database(config)
        self.events = EventBus()
        self.uow = UnitOfWork(self.db, self.events)
        self.blobs = storage.blob_store(config)
        self.signer = Signer(data_dir_secret(config.data_dir), URL_TTL_SECONDS)
        self.urls = Urls(config.base_url, self.signer, self.blobs)
        self.schema = build_schema(config)
        self.journal = SharedJournal(
            self.db,
            config.journal_size,
            entry_bytes=config.journal_entry_bytes,
            total_bytes=config.journal_total_bytes,
        )
        self.control_token = config.control_token or secrets.token_urlsafe(32)
        self.faults = FaultRules(self.db)
        self.request_stats = RequestStats()
        self.metrics_registry: Any = None  # built by the first scrape of /metrics
        self.telemetry = Telemetry()
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
        self._maintenance: asyncio.Task[None] | None = None
        self._wake_maintenance = asyncio.Event()
        # With the database's BLOB_WORK lock (across processes), held by blob collection,
        # snapshots and restores: a snapshot must find every blob its copy of the
        # database references, a restore must not race a collection.
        self._blob_lock = asyncio.Lock()
        self._staged: tuple[tuple[int, ...], snapshots.Staged] | None = None
        for deletion in DELETION_EVENTS:
            self.events.subscribe(self._after_deletion, deletion)

    async def start(self) -> None:
        self.config.data_dir.mkdir(parents=True, exist_ok=True)
        await self.blobs.start()
        await self.db.open(initialize=self.seed_defaults)  # seeds an empty database once
        self._maintenance = asyncio.create_task(self._maintain_periodically())

    async def stop(self) -> None:
        await self.automations.stop()
        await self.journal.flush()
        if self._maintenance is not None:
            self._maintenance.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._maintenance
            self._maintenance = None
        self._drop_staged()
        await self.db.close()

    @asynccontextmanager
    async def _blob_work(self, *, wait: bool = True) -> AsyncIterator[bool]:
        """Blob work alone across every process of the database; whether it may go on
        (with `wait=False`, not while another process does some)."""
        async with self._blob_lock, self.db.exclusive(BLOB_WORK, wait=wait) as held:
            yield held

    async def maintain(self) -> maintenance.Swept:
        """Remove abandoned uploads and unreferenced blobs now."""
        async with self._blob_work():
            return await self._sweep()

    async def _maintain_as_leader(self) -> None:
        """`maintain`, unless another process of the database is at it (its sweep does
        the same): one maintenance leader at a time."""
        async with self._blob_work(wait=False) as leader:
            if leader:
                await self._sweep()

    async def _sweep(self) -> maintenance.Swept:
        return await maintenance.sweep(
            self.uow,
            self.blobs,
            max_age_seconds=self.config.pending_max_age_seconds,
            grace_seconds=self.config.blob_grace_seconds,
        )

    async def _after_deletion(self, event: object) -> None:
        self._wake_maintenance.set()

    async def _maintain_periodically(self) -> None:
        """Sweep every maintenance interval, and soon after anything is deleted."""
        while True:
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(
                    self._wake_maintenance.wait(), self.config.maintenance_interval_seconds
                )
            self._wake_maintenance.clear()
            try:
                await self._maintain_as_leader()
            except Exception:
                log.exception("maintenance failed; retrying at the next interval")

    async def seed_defaults(self) -> None:
        seed = self._load_default_seed()
        if seed is not None:
            await apply_seed(self.uow, seed)

    def _load_default_seed(self) -> dict[str, Any] | None:
        seed_file = self.config.seed_file
        if self._default_seed is None and seed_file is not None:
            if not seed_file.exists():
                log.warning("seed file %s not found; starting without default data", seed_file)
                return None
            self._default_seed = load_seed_file(seed_file)
        return self._default_seed

    def default_user_key(self) -> str | None:
        """The API key of the default seed's first user (the UI signs it in on loopback)."""
        seed = self._load_default_seed()
        return None if seed is None else first_user_key(seed)

    async def apply_seed(self, seed: dict[str, Any]) -> None:
        """Add users, organizations, teams and registries (a seed document) to the state."""
        await apply_seed(self.uow, check_seed(seed))

    async def snapshot(
        self, target: Path, *, cancel: threading.Event | None = None
    ) -> dict[str, Any]:
        """Write a snapshot of the state to `target` while serving; its manifest."""
        async with self._blob_work():
            return await snapshots.export_snapshot(self.db, self.blobs, target, cancel=cancel)

    async def restore(self, archive: Path) -> dict[str, Any]:
        """Replace the whole state with a snapshot's; the journal, fault rules, delivery
        log and telemetry are emptied, as by a reset. Nothing changes when it is refused.

        The last snapshot restored stays staged (checked, migrated), so restoring the
        same file again, as a test fixture does before every test, skips reading it."""
        staged = await self._staged_snapshot(archive)
        settings = dict(vars(await self.automations.load_settings()))
        async with self._blob_work():
            await self.automations.reset()
            await snapshots.restore_into(self.db, self.blobs, staged)  # no server state
        await self.automations.change_settings(**settings)
        await self.journal.clear()
        self.telemetry.clear()
        return staged.manifest

    async def _staged_snapshot(self, archive: Path) -> snapshots.Staged:
        identity = snapshots.file_identity(archive)
        if self._staged is not None and self._staged[0] == identity:
            return self._staged[1]
        self._drop_staged()
        directory = Path(tempfile.mkdtemp(prefix=".restore-", dir=self.config.data_dir))
        try:
            staged = await snapshots.stage(archive, directory)
        except BaseException:
            shutil.rmtree(directory, ignore_errors=True)
            raise
        self._staged = (identity, staged)
        return staged

    def _drop_staged(self) -> None:
        if self._staged is not None:
            shutil.rmtree(self._staged[1].directory, ignore_errors=True)
            self._staged = None

    async def reset(self) -> None:
        """Wipe all state (database, journal, fault rules, delivery log, telemetry) and
        re-seed: for every process of the database, but for this process's telemetry."""
        await self.automations.reset()
        async with self._blob_work():
            await self.db.wipe()  # the journal, fault rules and delivery log too
            await self.blobs.clear()
        await self.seed_defaults()
        await self.journal.clear()
        self.telemetry.clear()


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


def _file_routes(config: Config) -> tuple[list[Route], list[Route]]:
    """The upload routes, and the download routes (whose bytes `/metrics` counts)."""
    uploads = [_file_route("/storage/upload/{token}", files.upload, "PUT", config)]
    downloads = [
        _file_route("/storage/blob/{token}/{filename:path}", files.download, "GET", config),
        _file_route("/artifacts/{entity}/{md5}", files.download_by_digest, "GET", config),
        _file_route(
            "/artifactsV2/{region}/{entity}/{path:path}/{md5}/{filename}",
            files.download_by_digest,
            "GET",
            config,
        ),
    ]
    return uploads, downloads


def create_app(emulator: Emulator, *, manage_lifecycle: bool = False) -> Starlette:
    """The base-port app: GraphQL, readiness, file_stream, file uploads and downloads, pages."""
    pages = page_routes()
    uploads, downloads = _file_routes(emulator.config)
    scrape = Route("/metrics", metrics, methods=["GET"])
    routes: list[BaseRoute] = [
        Route("/graphql", graphql_endpoint, methods=["POST"]),
        Route("/ready", ready, methods=["GET"]),
        scrape,
        Route("/files/{entity}/{project}/{run}/file_stream", file_stream, methods=["POST"]),
        *uploads,
        *downloads,
        Route("/sdk/otel/v1/{signal}", otlp_export, methods=["POST"]),
        *panel_routes(),
        *(emulator_routes() if emulator.config.emulator_endpoints else []),
        *pages,
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                RequestMetrics,
                stats=emulator.request_stats,
                # One line per request: at info in JSON logs, at debug in text logs.
                log_level=logging.INFO if emulator.config.log_format == "json" else logging.DEBUG,
                is_blob_download=lambda route: route in downloads,
            ),
            Middleware(SeeOutsideCommits, db=emulator.db),
            Middleware(
                RecordingMiddleware,
                journal=emulator.journal,
                faults=emulator.faults,
                # Pages and scrapes are not SDK traffic: the journal leaves them out.
                unrecorded=serves_page(routes, [*pages, scrape]),
            ),
        ],
        lifespan=_lifespan(emulator, manage_lifecycle),
    )
    app.state.emulator = emulator
    app.state.ui = ui_state(emulator.config, data_dir_secret(emulator.config.data_dir))
    return app


def create_fixture_app(emulator: Emulator) -> Starlette:
    """The fixture-port app: health and the local-testcontainer fixture commands."""
    app = Starlette(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/db/{resource}", fixture_command, methods=["POST"]),
        ],
        middleware=[Middleware(SeeOutsideCommits, db=emulator.db)],
    )
    app.state.emulator = emulator
    return app
