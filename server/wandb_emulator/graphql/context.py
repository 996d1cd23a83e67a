"""Per-request context handed to every resolver."""

from dataclasses import dataclass

from strawberry.types import Info as _Info

from ..blobs import BlobStore
from ..config import Config
from ..domain.unit import UnitOfWork
from ..records import UserRec
from ..store.database import Database
from ..urls import Urls
from .loaders import Loaders


@dataclass
class Context:
    db: Database
    uow: UnitOfWork
    config: Config
    viewer: UserRec
    loaders: Loaders
    urls: Urls
    blobs: BlobStore


Info = _Info[Context, None]
