"""One request's reads: who reads (the viewer), from where (the database), and the
request's batched loaders."""

from __future__ import annotations

from typing import Any

from ... import auth
from ...records import UserRec
from ...store.database import Database
from .loaders import Loaders


class ReadSession:
    """What the read functions take: every one answers for `viewer` only.

    GraphQL builds one per request (carried by its context), the web UI one per page.
    Writes do not go through it: they go through the domain's functions and its
    `UnitOfWork`."""

    __slots__ = ("db", "loaders", "max_page_size", "viewer")

    def __init__(self, db: Database, viewer: UserRec, max_page_size: int) -> None:
        self.db = db
        self.viewer = viewer
        self.max_page_size = max_page_size
        self.loaders = Loaders(db, viewer)

    async def allows(self, action: auth.Action, resource: Any) -> bool:
        """The permission gate's answer for the viewer (`auth.allows`)."""
        async with self.db.read() as conn:
            return await auth.allows(conn, self.viewer, action, resource)

    async def check(self, action: auth.Action, resource: Any, *, named: str = "") -> None:
        """The permission gate for the viewer: raises NotFound or PermissionDenied."""
        async with self.db.read() as conn:
            await auth.check(conn, self.viewer, action, resource, named=named)
