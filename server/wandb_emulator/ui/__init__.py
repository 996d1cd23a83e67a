"""The web UI: server-rendered pages at the URLs the wandb SDK prints, the home page
(organizations -> registries -> collections -> versions), and the emulator panel.

Pages answer only what the signed-in user may see, through the permission rules of
`auth.py`. They are left out of the request journal, which records SDK traffic.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, Mount, Route, request_response
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Receive, Scope, Send

from ..config import Config
from . import links
from .session import is_loopback, session_signer
from .state import Templates, UiState

STATIC_DIR = Path(__file__).resolve().parent / "static"
# First path segments of the API and emulator routes: a page never claims them, so a
# request there keeps its API answer (405 for a wrong method, 404 when left out).
RESERVED = frozenset({"graphql", "ready", "files", "storage", "artifacts", "artifactsV2", "sdk"})


class PageRoute(Route):
    """A GET page at a W&B path that never matches under a reserved first segment."""

    def __init__(self, path: str, endpoint: Callable[..., Any]) -> None:
        super().__init__(path, endpoint, methods=["GET"])

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        first = scope.get("path", "/").split("/", 2)[1] if scope.get("type") == "http" else ""
        if first in RESERVED or first.startswith("_"):
            return Match.NONE, {}
        return super().matches(scope)


def serves_only_loopback(config: Config) -> bool:
    """Listening on loopback and not published under another host (a reverse proxy)."""
    public = urlsplit(config.public_url).hostname if config.public_url else None
    return is_loopback(config.host) and (public is None or is_loopback(public))


def ui_state(config: Config, secret: bytes) -> UiState:
    return UiState(
        templates=Templates(),
        signer=session_signer(secret),
        auto_sign_in=serves_only_loopback(config),
        secure_cookie=config.base_url.startswith("https://"),
        panel=config.emulator_endpoints,
    )


Endpoint = Callable[[Request], Awaitable[Response]]


class Page:
    """The ASGI app of a page handler, named "pages.<function>" or "panel.<function>"
    (ui/pages.py, ui/panel.py). It is built by the first request to it: the UI's
    modules (contents, views, templates) are imported then, not at the server's start."""

    def __init__(self, handler: str, *, signed_in: bool = True) -> None:
        self.handler = handler
        self.signed_in = signed_in
        self._app: ASGIApp | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self._app is None:
            self._app = request_response(page_endpoint(self.handler, signed_in=self.signed_in))
        await self._app(scope, receive, send)


def page_endpoint(handler: str, *, signed_in: bool = True) -> Endpoint:
    """`view.page` around the handler a `Page` names (imports the UI's modules)."""
    from . import pages, panel, view  # deliberately here: see `Page`

    module, _, name = handler.partition(".")
    found = getattr({"pages": pages, "panel": panel}[module], name)
    return view.page(found, signed_in=signed_in)


def panel_routes() -> list[BaseRoute]:
    """Under the reserved /_emulator prefix: sign-in, static assets and the panel."""
    p = links.PANEL
    return [
        Route(p, Page("panel.panel", signed_in=False), methods=["GET"]),
        Route(f"{p}/journal", Page("panel.journal_rows", signed_in=False), methods=["GET"]),
        Route(f"{p}/journal/clear", Page("panel.clear_journal", signed_in=False), methods=["POST"]),
        Route(f"{p}/faults", Page("panel.add_fault", signed_in=False), methods=["POST"]),
        Route(f"{p}/faults/clear", Page("panel.clear_faults", signed_in=False), methods=["POST"]),
        Route(
            f"{p}/faults/{{rule_id:int}}/delete",
            Page("panel.remove_fault", signed_in=False),
            methods=["POST"],
        ),
        Route(
            f"{p}/deliveries/clear",
            Page("panel.clear_deliveries", signed_in=False),
            methods=["POST"],
        ),
        Route(f"{p}/reset", Page("panel.reset", signed_in=False), methods=["POST"]),
        Route(f"{p}/seed", Page("panel.seed", signed_in=False), methods=["POST"]),
        Route(f"{p}/snapshot", Page("panel.download_snapshot", signed_in=False), methods=["POST"]),
        Route(f"{p}/restore", Page("panel.restore_snapshot", signed_in=False), methods=["POST"]),
        Route(links.LOGIN, Page("pages.login_form", signed_in=False), methods=["GET"]),
        Route(links.LOGIN, Page("pages.login", signed_in=False), methods=["POST"]),
        Route(links.LOGOUT, Page("pages.logout", signed_in=False), methods=["POST"]),
        Mount(links.STATIC, app=StaticFiles(directory=STATIC_DIR), name="ui-static"),
    ]


def page_routes() -> list[BaseRoute]:
    """The pages at W&B's own paths; listed after every API route and kept off its
    prefixes, so they never shadow one."""
    project = "/{entity}/{project}"
    artifact = f"{project}/artifacts/{{type}}/{{name}}"
    return [
        PageRoute("/", Page("pages.home", signed_in=False)),
        PageRoute("/orgs/{org}", Page("pages.org")),
        PageRoute("/orgs/{org}/registry", Page("pages.org")),
        PageRoute("/orgs/{org}/registry/{name}", Page("pages.registry")),
        PageRoute("/{entity}/registry/model", Page("pages.model_registry")),
        PageRoute(project, Page("pages.project")),
        PageRoute(f"{project}/runs/{{run}}", Page("pages.run")),
        PageRoute(f"{project}/sweeps/{{sweep}}", Page("pages.sweep")),
        PageRoute(artifact, Page("pages.artifact_collection")),
        PageRoute(f"{artifact}/{{version}}", Page("pages.artifact_version")),
    ]


def serves_page(routes: list[BaseRoute], pages_: list[BaseRoute]) -> Callable[[Scope], bool]:
    """Whether the app would answer a request with one of `pages_` (the first route that
    fully matches wins, as in Starlette's router)."""
    ids = {id(route) for route in pages_}

    def check(scope: Scope) -> bool:
        for route in routes:
            if route.matches(scope)[0] is Match.FULL:
                return id(route) in ids
        return False

    return check
