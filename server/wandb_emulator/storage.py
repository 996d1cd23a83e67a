"""The stores a Config names: the database and the blob store. Everything that opens a
store (the server, `seed --data-dir`, `export`, `import`) builds it here."""

from __future__ import annotations

from .blobs import BlobStore
from .config import Config
from .store.database import Database


def database(config: Config) -> Database:
    return Database(config.database, fast_execution=config.fast_execution)


def blob_store(config: Config) -> BlobStore:
    return BlobStore(config.data_dir / "blobs")
