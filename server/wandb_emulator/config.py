"""Runtime configuration; everything the app factory needs comes from here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

DEFAULT_SEED_FILE = Path(__file__).resolve().parent / "seeds" / "default.json"


@dataclass(frozen=True)
class Config:
    data_dir: Path = Path("data")
    # sqlite:///PATH or postgresql://user:password@host:port/database; None: the SQLite
    # file of data_dir (database_path).
    database_url: str | None = None
    host: str = "127.0.0.1"
    port: int = 8080
    fixture_port: int = 9015
    public_url: str | None = None
    tls_cert: Path | None = None  # with tls_key: serve the base port over https
    tls_key: Path | None = None
    # Storage regions artifacts may name (createArtifact storageRegion); null is the default.
    storage_regions: tuple[str, ...] = ("minio-local",)
    seed_file: Path | None = DEFAULT_SEED_FILE
    max_body_bytes: int = 10 * 1024 * 1024
    max_page_size: int = 1000
    max_query_depth: int = 20
    max_query_tokens: int = 20_000
    max_query_aliases: int = 100
    max_query_fragments: int = 100
    log_level: str = "info"
    journal_size: int = 1000
    emulator_endpoints: bool = True
    # Automation deliveries (webhooks, notifications)
    automations_synchronous: bool = False
    webhook_timeout_s: float = 10.0
    webhook_retries: int = 3
    webhook_backoff_ms: int = 500
    delivery_log_size: int = 1000
    # The bearer token of /_emulator/* (besides instance admins' keys); None: generated.
    control_token: str | None = None
    journal_entry_bytes: int = 64 * 1024
    journal_total_bytes: int = 32 * 1024 * 1024
    # PENDING artifact versions older than this are abandoned uploads, cleaned up.
    pending_max_age_seconds: float = 24 * 3600
    # Blobs younger than this are never collected (an upload may not be recorded yet).
    blob_grace_seconds: float = 3600
    maintenance_interval_seconds: float = 600
    # The fast path: GraphQL execution, and SQLite statements on the event loop's thread,
    # through internals of the dependencies, within the releases they were tested with.
    # Off: stock Strawberry on graphql-core and aiosqlite's public API alone
    # (`--no-fast-execution`).
    fast_execution: bool = True
    # GET /metrics without credentials (else the control token or an instance admin's key)
    metrics_public: bool = False
    log_format: str = "text"  # or "json": one JSON object per line, one line per request
    # Where blobs live: None for DATA_DIR/blobs, or "s3://bucket/prefix" (see s3_blobs.py),
    # reached at s3_endpoint_url (any S3-compatible server; None: AWS's own endpoints).
    blob_store: str | None = None
    s3_endpoint_url: str | None = None

    @property
    def database_path(self) -> Path:
        """The SQLite file used when no database_url is given."""
        return self.data_dir / "emulator.sqlite3"

    @property
    def database(self) -> Path | str:
        """What the store opens: database_url, else database_path."""
        return self.database_url or self.database_path

    @property
    def base_url(self) -> str:
        """The address handed to clients in absolute URLs (uploads, downloads)."""
        if self.public_url:
            return self.public_url.rstrip("/")
        return f"{self.scheme}://{self.host}:{self.port}"

    @property
    def scheme(self) -> str:
        return "https" if self.tls_cert else "http"


# S3's rules for bucket names: 3-63 lowercase letters, digits, dots and hyphens.
_BUCKET = re.compile(r"[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]")


def parse_s3_url(url: str) -> tuple[str, str]:
    """`s3://bucket/prefix` as (bucket, prefix); the prefix has no outer slashes and may
    be empty. ValueError, with what is wrong, for anything else."""
    scheme, sep, rest = url.partition("://")
    if not sep or scheme != "s3":
        raise ValueError(f"expected s3://bucket/prefix, got {url!r}")
    bucket, _, prefix = rest.partition("/")
    if not _BUCKET.fullmatch(bucket):
        raise ValueError(f"{bucket!r} is not an S3 bucket name (in {url!r})")
    prefix = prefix.strip("/")
    if "//" in prefix or any(part in (".", "..") for part in prefix.split("/")):
        raise ValueError(f"the prefix {prefix!r} has an empty, '.' or '..' segment")
    return bucket, prefix
