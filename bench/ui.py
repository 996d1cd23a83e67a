"""Web UI render time with a registry collection of 10,000 versions (first page).

In-process: the app answers through httpx's ASGI transport, so the figures are the
server's own work (queries and templates), not network time. The versions are written
through `store/` directly (logging 10,000 through the SDK would take an hour).

    python bench/ui.py [--versions 10000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import quote

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from ui_world import add_version, portfolio_of

from wandb_emulator.app import Emulator, create_app
from wandb_emulator.config import Config
from wandb_emulator.store import accounts, artifacts, listing, projects
from wandb_emulator.ui import links

ORG, ORG_ENTITY, TEAM = "emulator-org", "emulator-org-entity", "emulator-team"
REGISTRY = "wandb-registry-bench"


async def fill(emulator: Emulator, versions: int) -> None:
    """A team project with one sequence of `versions` versions, all linked into a registry."""
    await emulator.apply_seed({"registries": [{"name": "bench", "organization": ORG}]})
    key = (await emulator.blobs.put(b"bench weights")).key
    async with emulator.db.write() as conn:
        user = await accounts.user_by_username(conn, "emulator")
        team = await accounts.require_entity(conn, TEAM)
        org_entity = await accounts.require_entity(conn, ORG_ENTITY)
        assert user is not None
        project = await projects.create_project(conn, team.id, "bench")
        registry = await projects.project_by_name(conn, org_entity.id, REGISTRY)
        assert registry is not None
        kind = await artifacts.ensure_artifact_type(conn, project.id, "model")
        sequence = await artifacts.create_collection(conn, project.id, kind.id, "net", "SEQUENCE")
        portfolio = await portfolio_of(conn, registry.id, "prod-net", "model")
        for index in range(versions):
            artifact = await add_version(
                conn, sequence, user, run_id=None, key=key, aliases=[], digest=f"{index:032x}"
            )
            await artifacts.add_membership(conn, portfolio, artifact)
        await artifacts.set_alias(conn, portfolio.id, artifact, "production")


async def middle_cursor(emulator: Emulator, index: int) -> str:
    """The keyset cursor of the page that starts below version `index` of prod-net."""
    async with emulator.db.read() as conn:
        org_entity = await accounts.require_entity(conn, ORG_ENTITY)
        registry = await projects.project_by_name(conn, org_entity.id, REGISTRY)
        assert registry is not None
        portfolio = await artifacts.collection_by_name(conn, registry.id, "prod-net")
        assert portfolio is not None
        found = await artifacts.membership_by_version(conn, portfolio.id, index)
        assert found is not None
    return quote(listing.encode_cursor(index, found.id), safe="")


async def timed(client: httpx.AsyncClient, url: str, repeat: int) -> list[float]:
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        response = await client.get(url)
        times.append((time.perf_counter() - started) * 1e3)
        assert response.status_code == 200, (url, response.status_code, response.text[:500])
    return times


async def main(versions: int, repeat: int) -> None:
    work = Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-ui-"))
    emulator = Emulator(Config(data_dir=work / "data", host="127.0.0.1", log_level="warning"))
    await emulator.start()
    try:
        started = time.perf_counter()
        await fill(emulator, versions)
        print(f"wrote {versions} linked versions in {time.perf_counter() - started:.1f} s")
        selection = (ORG_ENTITY, REGISTRY, "prod-net")
        last = versions - 1
        pages = {
            "registry page": links.registry(ORG, REGISTRY),
            "collection, first page of versions": links.registry(ORG, REGISTRY, selection),
            "collection, a page deep in the list": links.registry(ORG, REGISTRY, selection)
            + f"&after={await middle_cursor(emulator, versions // 2)}",
            "version page (newest)": links.registry(ORG, REGISTRY, selection, f"v{last}"),
            "version page (oldest)": links.registry(ORG, REGISTRY, selection, "v0"),
            "home page": "/",
        }
        transport = httpx.ASGITransport(app=create_app(emulator))
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            for label, url in pages.items():
                await client.get(url)  # warm: templates compiled, caches filled
                times = await timed(client, url, repeat)
                p95 = sorted(times)[max(0, int(len(times) * 0.95) - 1)]
                print(
                    f"{label:40s} median {statistics.median(times):7.1f} ms"
                    f"   p95 {p95:7.1f} ms   ({repeat} requests)"
                )
    finally:
        await emulator.stop()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--versions", type=int, default=10_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    asyncio.run(main(args.versions, args.repeat))
