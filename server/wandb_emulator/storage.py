"""The stores a Config names: the database and the blob store. Everything that opens a
store (the server, `seed --data-dir`, `export`, `import`) builds it here."""

from __future__ import annotations

from .blobs import BlobStore, LocalBlobStore
from .config import Config
from .store.database import Database
from .urls import URL_TTL_SECONDS


def database(config: Config) -> Database:
    return Database(config.database, fast_execution=config.fast_execution)


def blob_store(config: Config) -> BlobStore:
    """A bucket for `--blob-store s3://...`, else the data dir's `blobs/`."""
    if config.blob_store is None:
        return LocalBlobStore(config.data_dir / "blobs")
    from .s3_blobs import S3BlobStore  # boto3 is imported only where a bucket is used

    return S3BlobStore.from_config(config, URL_TTL_SECONDS)
