"""What keeps `wandb-emulator serve` quick to start (the time itself is measured by
bench/startup.py, not here)."""

from __future__ import annotations

from pathlib import Path

import pytest

import wandb_emulator

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
