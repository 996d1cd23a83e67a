"""What the UI keeps per app (`app.state.ui`): the page templates, the session signer
and the settings pages read. Light to import: the server builds it at start, while the
pages' own modules are imported by the first page (see `ui/__init__.py`)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from ..signing import Signer
from . import links

if TYPE_CHECKING:
    import jinja2

TEMPLATES = Path(__file__).resolve().parent / "templates"


class Templates:
    """The page templates. The Jinja environment is built when the first page renders:
    importing jinja2 and compiling templates stay off the server's start."""

    def __init__(self) -> None:
        self._env: jinja2.Environment | None = None

    def get(self, name: str) -> jinja2.Template:
        if self._env is None:
            self._env = template_env()
        return self._env.get_template(name)


@dataclass(frozen=True)
class UiState:
    """Built once per app from the Emulator: templates, the session signer, and whether the
    default seeded user is signed in automatically (loopback servers only)."""

    templates: Templates
    signer: Signer
    auto_sign_in: bool
    secure_cookie: bool
    panel: bool


def template_env() -> jinja2.Environment:
    import jinja2  # deliberately here: the first page pays for it, not the server's start

    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["links"] = links
    env.filters["size"] = human_size
    return env


def human_size(size: int | None) -> str:
    if size is None:
        return "-"
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} GB"
