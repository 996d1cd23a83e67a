"""Before each request, the store notices commits made by other processes."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from ..store.database import Database


class SeeOutsideCommits:
    """An ASGI middleware: the reader's caches are emptied before a request when another
    process (`wandb-emulator seed --data-dir`, a second server) has committed to the
    database since they last were, so every request reads what is committed."""

    def __init__(self, app: ASGIApp, db: Database) -> None:
        self.app = app
        self.db = db

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            await self.db.see_outside_commits()
        await self.app(scope, receive, send)
