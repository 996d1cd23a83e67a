"""Pages and lookups at 100, 10,000 and 100,000 linked versions; registries and
collections at 100 vs 1,000 registries (10 collections each).

Data is created in bulk through the store layer (`wandb_emulator.store.bulk`), then read
through the real SDK: the first page and a page deep in the cursor chain of
`registry.versions()`, `registries().collections()` and `api.registries()`, and
`api.artifact()` by `:v<N-1>`, `:latest` and an alias, 50 items a page. Prints each cost
(the fastest of 9 runs, the sizes taking turns run by run) and the ratio of the largest
to the smallest; then the server's RSS. `--quick` (CI) stops at 10,000 versions and 200
registries.
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from collections.abc import Callable
from itertools import islice
from pathlib import Path

import httpx
from _setup import BENCH_ORG, Portfolio, bench_api, build_data, quick, rss_mib, serve_data

from wandb_emulator.testing import EmulatorProcess

PAGE = 50
REPEAT = 9


def cache_flusher(server) -> Callable[[], object]:
    """A write (an idempotent fixture command), which empties the server's read cache."""

    def flush() -> None:
        httpx.post(
            server.fixture_url + "/db/user", json={"command": "up", "username": "bench-flush"}
        ).raise_for_status()

    return flush


def best_ms_by_size(
    actions: dict[int, Callable[[], object]], flushes: dict[int, Callable[[], object]]
) -> dict[int, float]:
    """Each size's fastest of REPEAT runs after a warm-up, each run after a write so that
    no answer comes from the read cache. The sizes take turns run by run, so that drift
    on the machine (other processes, frequency) falls on every size alike."""
    for action in actions.values():
        action()  # warm the SDK's imports and the server's parse/validation caches
    times: dict[int, list[float]] = {size: [] for size in actions}
    for _ in range(REPEAT):
        for size, action in actions.items():
            flushes[size]()
            started = time.perf_counter()
            action()
            times[size].append(time.perf_counter() - started)
    return {size: min(runs) * 1e3 for size, runs in times.items()}


def deep_cursor(data_dir: Path, sql: str, params: tuple) -> str:
    """The cursor of the item just before the last page (position total - PAGE - 1)."""
    db = sqlite3.connect(data_dir / "emulator.sqlite3")
    try:
        ids = [row[0] for row in db.execute(sql, params)]
    finally:
        db.close()
    position = max(0, len(ids) - PAGE - 1)
    try:
        from wandb_emulator.store.listing import encode_cursor

        return encode_cursor(ids[position], ids[position])
    except ImportError:  # before keyset paging: offset cursors
        from wandb_emulator.graphql.pagination import encode_cursor as encode_offset

        return encode_offset(position)


def take(iterable, count: int = PAGE) -> list:
    return list(islice(iterable, count))


def version_cases(api, registry, n: int, deep: str) -> dict[str, Callable[[], object]]:
    path = f"{BENCH_ORG}/wandb-registry-r{n}/models"
    return {
        "registry.versions() first page": lambda: take(registry.versions(per_page=PAGE)),
        "registry.versions() deep page": lambda: take(registry.versions(per_page=PAGE, start=deep)),
        "api.artifact(:v<N-1>)": lambda: api.artifact(f"{path}:v{n - 1}"),
        "api.artifact(:latest)": lambda: api.artifact(f"{path}:latest"),
        "api.artifact(:alias)": lambda: api.artifact(f"{path}:middle"),
    }


def registry_cases(
    api, deep_registry: str, deep_collection: str
) -> dict[str, Callable[[], object]]:
    one = api.registry("g0", organization=BENCH_ORG)
    return {
        "api.registries() first page": lambda: take(api.registries(BENCH_ORG, per_page=PAGE)),
        "api.registries() deep page": lambda: take(
            api.registries(BENCH_ORG, per_page=PAGE, start=deep_registry)
        ),
        "registries().collections() first page": lambda: take(
            api.registries(BENCH_ORG).collections(per_page=PAGE)
        ),
        "registries().collections() deep page": lambda: take(
            api.registries(BENCH_ORG).collections(per_page=PAGE, start=deep_collection)
        ),
        "registry.collections() (one of all)": lambda: take(one.collections(per_page=PAGE)),
    }


def versions_figures(sizes: list[int]) -> dict[str, dict[int, float]]:
    data_dir = Path(tempfile.mkdtemp(prefix="wandb-emulator-scale-")) / "data"
    registries = [f"r{n}" for n in sizes]
    build_data(data_dir, registries, [Portfolio(f"r{n}", "models", n) for n in sizes])
    server = serve_data(data_dir)
    flush = cache_flusher(server)
    try:
        api = bench_api(server)
        cases: dict[str, dict[int, Callable[[], object]]] = {}
        for n in sizes:
            registry = api.registry(f"r{n}", organization=BENCH_ORG)
            deep = deep_cursor(
                data_dir,
                "SELECT m.id FROM artifact_memberships m JOIN artifact_collections c"
                " ON c.id = m.collection_id JOIN projects p ON p.id = c.project_id"
                " WHERE p.name = ? AND c.kind = 'PORTFOLIO' ORDER BY m.id",
                (f"wandb-registry-r{n}",),
            )
            for label, action in version_cases(api, registry, n, deep).items():
                cases.setdefault(label, {})[n] = action
        figures = {
            label: best_ms_by_size(actions, dict.fromkeys(sizes, flush))
            for label, actions in cases.items()
        }
        figures["server RSS (MiB)"] = {sizes[-1]: rss_mib(server.pid)}
    finally:
        server.stop()
    return figures


def registry_figures(counts: list[int]) -> dict[str, dict[int, float]]:
    """One server per count, all running at once so that their runs can take turns."""
    servers: dict[int, EmulatorProcess] = {}
    cases: dict[str, dict[int, Callable[[], object]]] = {}
    try:
        for count in counts:
            data_dir = Path(tempfile.mkdtemp(prefix="wandb-emulator-scale-")) / "data"
            build_data(data_dir, [f"g{i}" for i in range(count)], [], collections_each=10)
            servers[count] = serve_data(data_dir)
            org_entity_projects = (
                "SELECT p.id FROM projects p JOIN entities e ON e.id = p.entity_id"
                " WHERE e.kind = 'ORGANIZATION' ORDER BY p.id"
            )
            deep_registry = deep_cursor(data_dir, org_entity_projects, ())
            deep_collection = deep_cursor(
                data_dir,
                "SELECT id FROM artifact_collections WHERE kind = 'PORTFOLIO' ORDER BY id",
                (),
            )
            api = bench_api(servers[count])
            for label, action in registry_cases(api, deep_registry, deep_collection).items():
                cases.setdefault(label, {})[count] = action
        flushes = {count: cache_flusher(server) for count, server in servers.items()}
        return {label: best_ms_by_size(actions, flushes) for label, actions in cases.items()}
    finally:
        for server in servers.values():
            server.stop()


def report(figures: dict[str, dict[int, float]], unit: str) -> None:
    for label, by_size in figures.items():
        if len(by_size) == 1:
            ((size, value),) = by_size.items()
            print(f"{label} after {size:,} {unit}: {value:.0f}")
            continue
        sizes = sorted(by_size)
        cells = ", ".join(f"{by_size[s]:.1f} ms at {s:,}" for s in sizes)
        print(f"{label}: {cells}; largest/smallest {by_size[sizes[-1]] / by_size[sizes[0]]:.2f}x")


def main() -> int:
    sizes = [100, 10_000] if quick() else [100, 10_000, 100_000]
    counts = [100, 200] if quick() else [100, 1_000]
    report(versions_figures(sizes), "versions")
    report(registry_figures(counts), "registries")
    return 0


if __name__ == "__main__":
    sys.exit(main())
