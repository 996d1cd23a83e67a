"""What the benchmarks share: an emulator process with a user, org, team and registry."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

from wandb_emulator.config import Config
from wandb_emulator.testing import EmulatorProcess, EmulatorUser, free_port

FLOOR_APP = Path(__file__).resolve().parent / "floor_app.py"


@dataclass(frozen=True)
class BenchSetup:
    server: EmulatorProcess
    admin: EmulatorUser
    org: str
    team: str
    work: Path


def sdk_environment() -> Path:
    """A fresh work directory for the SDK's files and settings (the environment points
    at it), so benchmarks leave the user's wandb directories alone."""
    work = Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-"))
    os.environ.update(
        WANDB_DIR=str(work),
        WANDB_CACHE_DIR=str(work / "cache"),
        WANDB_CONFIG_DIR=str(work / "config"),
        WANDB_SILENT="true",
    )
    return work


def start_floor(*options: str) -> tuple[subprocess.Popen, str]:
    """The floor app (`floor_app.py`, given `options`) on a free port, once it answers
    /ready."""
    port = free_port()
    process = subprocess.Popen([sys.executable, str(FLOOR_APP), str(port), *options])
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(base + "/ready", timeout=1).status_code == 200:
                return process, base
        except httpx.TransportError:
            time.sleep(0.02)
    process.kill()
    raise SystemExit("floor app did not start")


@contextmanager
def registry_setup(registry: str, config: Config | None = None) -> Iterator[BenchSetup]:
    """A fresh emulator (with `config`'s settings) whose new admin owns an org, a team and
    the registry `registry`."""
    work = sdk_environment()
    server = EmulatorProcess(work / "data", config).start()
    try:
        admin = server.accounts.org_admin(default_entity="user")
        org, team = admin.organization, admin.team
        assert org is not None and team is not None
        admin.api().create_registry(registry, "organization", organization=org)
        yield BenchSetup(server, admin, org, team, work)
    finally:
        server.stop()


# ------------------------------------------------------------ bulk-built data

BENCH_USER = "bench-user"
BENCH_KEY = "bench-api-key-" + "0" * 40
BENCH_ORG = "bench-org"
BENCH_ORG_ENTITY = "bench-org-entity"
BENCH_TEAM = "bench-team"


@dataclass(frozen=True)
class Portfolio:
    """A registry collection of `count` linked versions (alias `middle` on the middle one)."""

    registry: str
    name: str
    count: int


def bench_seed(registries: list[str]) -> dict:
    return {
        "users": [
            {
                "username": BENCH_USER,
                "apiKey": BENCH_KEY,
                "admin": True,
                "defaultEntity": BENCH_TEAM,
            }
        ],
        "organizations": [
            {
                "name": BENCH_ORG,
                "orgEntityName": BENCH_ORG_ENTITY,
                "members": [{"username": BENCH_USER, "role": "admin"}],
            }
        ],
        "teams": [
            {
                "name": BENCH_TEAM,
                "organization": BENCH_ORG,
                "members": [{"username": BENCH_USER, "role": "admin"}],
            }
        ],
        "registries": [{"name": name, "organization": BENCH_ORG} for name in registries],
    }


async def _build(
    data_dir: Path, registries: list[str], portfolios: list[Portfolio], collections_each: int
) -> None:
    from wandb_emulator.domain.events import EventBus
    from wandb_emulator.domain.unit import UnitOfWork
    from wandb_emulator.seeding import apply_seed
    from wandb_emulator.store import accounts, bulk, projects
    from wandb_emulator.store.database import Database

    db = Database(data_dir / "emulator.sqlite3")
    await db.open()
    try:
        await apply_seed(UnitOfWork(db, EventBus()), bench_seed(registries))
        async with db.write() as conn:
            user = await accounts.user_by_username(conn, BENCH_USER)
            team = await accounts.require_entity(conn, BENCH_TEAM)
            org_entity = await accounts.require_entity(conn, BENCH_ORG_ENTITY)
            source = await projects.create_project(conn, team.id, "bench")
            for name in registries if collections_each else []:
                registry = await projects.project_by_name(
                    conn, org_entity.id, "wandb-registry-" + name
                )
                names = [f"{name}-c{i}" for i in range(collections_each)]
                await bulk.add_collections(conn, registry.id, "model", names)
            for p in portfolios:
                registry = await projects.project_by_name(
                    conn, org_entity.id, "wandb-registry-" + p.registry
                )
                await bulk.linked_versions(
                    conn,
                    source_project_id=source.id,
                    registry_project_id=registry.id,
                    type_name="model",
                    sequence_name=f"src-{p.registry}-{p.name}",
                    portfolio_name=p.name,
                    count=p.count,
                    user_id=user.id,
                    aliases={p.count // 2: "middle"},
                )
    finally:
        await db.close()


def build_data(
    data_dir: Path,
    registries: list[str],
    portfolios: list[Portfolio],
    collections_each: int = 0,
) -> None:
    """A data directory with the bench user/org/team, registries, and bulk-linked versions."""
    import asyncio

    data_dir.mkdir(parents=True, exist_ok=True)
    asyncio.run(_build(data_dir, registries, portfolios, collections_each))


def serve_data(data_dir: Path, config: Config | None = None) -> EmulatorProcess:
    """An emulator process serving a data directory built by `build_data`, with `config`'s
    settings."""
    return EmulatorProcess(data_dir, config).start()


def bench_api(server: EmulatorProcess):
    import wandb

    sdk_environment()
    return wandb.Api(api_key=BENCH_KEY, overrides={"base_url": server.base_url})


def rss_mib(pid: int) -> float:
    """Resident set size of a process, from /proc."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def quick() -> bool:
    """The short CI mode: `--quick` on the command line or BENCH_QUICK=1."""
    return "--quick" in sys.argv or os.environ.get("BENCH_QUICK") == "1"
