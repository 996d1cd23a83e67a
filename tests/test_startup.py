"""What keeps `wandb-emulator serve` quick to start (the time itself is measured by
bench/startup.py, not here)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from starlette.routing import Route

import wandb_emulator
from wandb_emulator.ui import Page, page_endpoint, page_routes, panel_routes

pytestmark = pytest.mark.fast

GRAPHQL_DIR = Path(wandb_emulator.__file__).resolve().parent / "graphql"


def test_graphql_modules_keep_annotations_evaluated() -> None:
    """Strawberry evaluates every annotation of a type when the class is decorated; a
    string annotation (what `from __future__ import annotations` makes of all of them)
    costs a compile and an AST walk each, a good part of the schema's import time.
    Forward references to a class later in the same module are quoted instead."""
    postponing = sorted(
        str(path.relative_to(GRAPHQL_DIR))
        for path in GRAPHQL_DIR.rglob("*.py")
        if "from __future__ import annotations" in path.read_text()
    )
    assert postponing == []


# What `serve` must not import before it answers: each is imported by the first request
# that needs it (a page, a webhook delivery, a sweep config, a bayes proposal, a
# $regex), or never.
DEFERRED = (
    "jinja2",
    "httpx",
    "yaml",
    "sweeps",
    "numpy",
    "re2",
    "google.protobuf",
    "opentelemetry",
    "hypothesis",
    "wandb_emulator.contract",
    "wandb_emulator.metrics",
    "prometheus_client",
    "wandb_emulator.testing",
    "wandb_emulator.ui.pages",
    "wandb_emulator.ui.panel",
    "wandb_emulator.ui.contents",
)

SERVE_PATH = """
import asyncio, sys
from pathlib import Path
from wandb_emulator.app import Emulator, create_app, create_fixture_app
from wandb_emulator.cli import build_parser
from wandb_emulator.config import Config
import wandb_emulator.serving

async def start():
    emulator = Emulator(Config(data_dir=Path(sys.argv[1])))
    await emulator.start()
    create_app(emulator)
    create_fixture_app(emulator)
    await emulator.stop()

asyncio.run(start())
print(" ".join(sorted(m for m in sys.argv[2:] if m in sys.modules)))
"""


def test_serve_imports_no_deferred_module_at_start(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-c", SERVE_PATH, str(tmp_path / "data"), *DEFERRED],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.split() == []


def test_every_page_names_a_handler() -> None:
    """The UI's routes name their handlers (imported by the first request): each name
    resolves."""
    pages = [
        route.endpoint
        for route in [*page_routes(), *panel_routes()]
        if isinstance(route, Route) and isinstance(route.endpoint, Page)
    ]
    assert len(pages) == 24
    for page in pages:
        assert callable(page_endpoint(page.handler, signed_in=page.signed_in))
