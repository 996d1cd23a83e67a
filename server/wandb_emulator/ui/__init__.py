"""The web UI: server-rendered pages at the URLs the wandb SDK prints, the home page
(organizations -> registries -> collections -> versions), and the emulator panel.

Pages answer only what the signed-in user may see, through the permission rules of
`auth.py`. They are left out of the request journal, which records SDK traffic.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from starlette.routing import BaseRoute, Match, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from ..config import Config
from . import links, pages, panel
from .session import is_loopback, session_signer
from .view import Templates, UiState, page

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


def panel_routes() -> list[BaseRoute]:
    """Under the reserved /_emulator prefix: sign-in, static assets and the panel."""
    p = links.PANEL
    return [
        Route(p, page(panel.panel, signed_in=False), methods=["GET"]),
        Route(f"{p}/journal", page(panel.journal_rows, signed_in=False), methods=["GET"]),
        Route(f"{p}/journal/clear", page(panel.clear_journal, signed_in=False), methods=["POST"]),
        Route(f"{p}/faults", page(panel.add_fault, signed_in=False), methods=["POST"]),
        Route(f"{p}/faults/clear", page(panel.clear_faults, signed_in=False), methods=["POST"]),
        Route(
            f"{p}/faults/{{rule_id:int}}/delete",
            page(panel.remove_fault, signed_in=False),
            methods=["POST"],
        ),
        Route(
            f"{p}/deliveries/clear", page(panel.clear_deliveries, signed_in=False), methods=["POST"]
        ),
        Route(f"{p}/reset", page(panel.reset, signed_in=False), methods=["POST"]),
        Route(f"{p}/seed", page(panel.seed, signed_in=False), methods=["POST"]),
        Route(links.LOGIN, page(pages.login_form, signed_in=False), methods=["GET"]),
        Route(links.LOGIN, page(pages.login, signed_in=False), methods=["POST"]),
        Route(links.LOGOUT, page(pages.logout, signed_in=False), methods=["POST"]),
        Mount(links.STATIC, app=StaticFiles(directory=STATIC_DIR), name="ui-static"),
    ]


def page_routes() -> list[BaseRoute]:
    """The pages at W&B's own paths; listed after every API route and kept off its
    prefixes, so they never shadow one."""
    project = "/{entity}/{project}"
    artifact = f"{project}/artifacts/{{type}}/{{name}}"
    return [
        PageRoute("/", page(pages.home, signed_in=False)),
        PageRoute("/orgs/{org}", page(pages.org)),
        PageRoute("/orgs/{org}/registry", page(pages.org)),
        PageRoute("/orgs/{org}/registry/{name}", page(pages.registry)),
        PageRoute("/{entity}/registry/model", page(pages.model_registry)),
        PageRoute(project, page(pages.project)),
        PageRoute(f"{project}/runs/{{run}}", page(pages.run)),
        PageRoute(f"{project}/sweeps/{{sweep}}", page(pages.sweep)),
        PageRoute(artifact, page(pages.artifact_collection)),
        PageRoute(f"{artifact}/{{version}}", page(pages.artifact_version)),
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
