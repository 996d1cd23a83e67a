"""What the benchmarks share: an emulator process with a user, org, team and registry."""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import Account, FixtureClient, ServerProcess, start_server


@dataclass(frozen=True)
class BenchSetup:
    server: ServerProcess
    admin: Account
    org: str
    team: str
    work: Path


@contextmanager
def registry_setup(registry: str) -> Iterator[BenchSetup]:
    """A fresh emulator whose new admin owns an org, a team and the registry `registry`."""
    work = Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-"))
    os.environ.update(
        WANDB_DIR=str(work),
        WANDB_CACHE_DIR=str(work / "cache"),
        WANDB_CONFIG_DIR=str(work / "config"),
        WANDB_SILENT="true",
    )
    server = start_server(work / "data")
    try:
        fixtures = FixtureClient(server)
        admin = fixtures.user()
        org = fixtures.org(admin)
        team = fixtures.team(org, admin)
        admin.api().create_registry(registry, "organization", organization=org)
        yield BenchSetup(server, admin, org, team, work)
    finally:
        server.stop()
