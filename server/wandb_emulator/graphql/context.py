"""Per-request context handed to every resolver."""

from dataclasses import dataclass, field

from strawberry.types import Info as _Info

from ..blobs import BlobStore
from ..config import Config
from ..domain.reads.loaders import Loaders
from ..domain.reads.session import ReadSession
from ..domain.unit import UnitOfWork
from ..records import UserRec
from ..urls import Urls


@dataclass
class Context:
    """Reads go through `reads` (the domain's read API, for the viewer), writes through
    the domain's functions with `uow`. `viewer` and `loaders` are the read session's,
    kept as plain attributes: fields read them once per value."""

    reads: ReadSession
    uow: UnitOfWork
    config: Config
    urls: Urls
    blobs: BlobStore
    viewer: UserRec = field(init=False)
    loaders: Loaders = field(init=False)

    def __post_init__(self) -> None:
        self.viewer = self.reads.viewer
        self.loaders = self.reads.loaders


Info = _Info[Context, None]
