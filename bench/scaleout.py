"""Scale-out: the small operations of `bench/ops.py` and the SDK workflow of
`bench/workflow.py` on SQLite with 1 worker, PostgreSQL with 1 worker and PostgreSQL
with 2 workers (`serve --workers 2`), and the wall time of 8 concurrent SDK workflow
processes on each; everything as ratios against the floor app measured in the same run.

First the floor's own 2-against-1 worker scaling (`floor_app.py --workers 2` against one
worker, `{ hello }` under the same wrk load): the load generator and PostgreSQL share
the machine's cores, so that is the most 2 workers can gain here. Then, per operation,
each setup's req/s against the 1-worker floor (ops.compare: floor and setups take
turns), and FetchRegistry's 2-against-1 worker scaling on PostgreSQL as a share of the
floor's. PostgreSQL is a throwaway cluster of the machine's (`local_postgres`).
`--quick`: one round of 1 s, 2 workflows.
"""

from __future__ import annotations

import shutil
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from dataclasses import replace
from pathlib import Path

from _setup import (
    BenchSetup,
    Portfolio,
    build_data,
    quick,
    registry_setup,
    serve_data,
    start_floor,
)
from ops import HELLO, compare, requests_per_second
from workflow import one_round

from wandb_emulator.config import Config
from wandb_emulator.local_postgres import LocalPostgres

CONCURRENT = 8  # SDK workflow processes at once
BENCH_DIR = Path(__file__).resolve().parent
CONCURRENT_WORKFLOW = textwrap.dedent(
    """
    import pathlib, os, sys, wandb
    sys.path.insert(0, sys.argv[1])
    from workflow import workflow
    base_url, key, team, org, work, index = sys.argv[2:8]
    payload = pathlib.Path(work) / f"concurrent-{index}" / "model.bin"
    payload.parent.mkdir(parents=True)
    payload.write_bytes(os.urandom(1024 * 1024))
    settings = wandb.Settings(api_key=key, base_url=base_url, silent=True)
    workflow(settings, team, org, payload, payload.parent / "out", collection=f"models-{index}")
    """
)


def floor_scaling(seconds: float, rounds: int) -> float:
    """The floor's req/s with 2 workers over 1 (median of alternating rounds); printed."""
    hello = {"query": HELLO, "operationName": "Hello"}
    floors = {workers: start_floor("--workers", str(workers)) for workers in (1, 2)}
    try:
        rates: dict[int, list[float]] = {1: [], 2: []}
        for _ in range(rounds):
            for workers, (_, base) in floors.items():
                rates[workers].append(requests_per_second(base + "/graphql", hello, None, seconds))
    finally:
        for process, _ in floors.values():
            process.terminate()
            process.wait()
    scaling = statistics.median(two / one for one, two in zip(rates[1], rates[2], strict=True))
    print(
        f"floor: 1 worker {statistics.median(rates[1]):.0f} req/s, 2 workers"
        f" {statistics.median(rates[2]):.0f} req/s: 2-against-1 {scaling:.2f}x",
        flush=True,
    )
    return scaling


def setups(cluster: LocalPostgres) -> dict[str, Config]:
    """The three configurations, each on a fresh database of its own."""
    return {
        "sqlite-1w": Config(log_level="warning"),
        "pg-1w": Config(log_level="warning", database_url=cluster.create_database()),
        "pg-2w": Config(log_level="warning", database_url=cluster.create_database(), workers=2),
    }


def operations(configs: dict[str, Config], floor_2v1: float, seconds: float, rounds: int) -> None:
    """ops.py's operations on each setup against the 1-worker floor."""
    servers = {}
    floor_process, floor = start_floor()
    try:
        for label, config in configs.items():
            data_dir = Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-")) / "data"
            build_data(
                data_dir, ["bench"], [Portfolio("bench", "models", 3)], 0, config.database_url
            )
            servers[label] = serve_data(data_dir, config)
        # ops.compare's reference label is "emulator": SQLite with one worker here.
        urls = {
            "emulator" if label == "sqlite-1w" else label: s.base_url
            for label, s in servers.items()
        }
        results = compare(urls, floor, seconds, rounds)
    finally:
        for server in servers.values():
            server.stop()
        floor_process.terminate()
        floor_process.wait()
    fetch = results["FetchRegistry"]
    scaling = statistics.median(
        two / one for one, two in zip(fetch["pg-1w"], fetch["pg-2w"], strict=True)
    )
    print(
        f"FetchRegistry on PostgreSQL, 2 workers against 1: {scaling:.2f}x,"
        f" {scaling / floor_2v1:.2f}x the floor's own 2-against-1 ({floor_2v1:.2f}x)",
        flush=True,
    )


def workflows(configs: dict[str, Config], cluster: LocalPostgres, runs: int) -> None:
    """bench/workflow.py's workflow, alone (median wall of `runs`) and CONCURRENT at once
    (wall of the slowest), on each setup; ratios to SQLite with one worker."""
    walls: dict[str, tuple[float, float]] = {}
    for label, config in configs.items():
        if config.database_url is not None:  # not the operations' data
            config = replace(config, database_url=cluster.create_database())
        with registry_setup("bench", config) as setup:
            alone = statistics.median(one_round(setup, i)[0] for i in range(runs))
            walls[label] = (alone, _concurrent_wall(setup))
    base_alone, base_concurrent = walls["sqlite-1w"]
    for label, (alone, concurrent) in walls.items():
        print(
            f"workflow {label}: alone {alone:.2f} s ({alone / base_alone:.2f}x sqlite-1w),"
            f" {CONCURRENT} at once {concurrent:.2f} s"
            f" ({concurrent / base_concurrent:.2f}x sqlite-1w, {concurrent / alone:.2f}x alone)",
            flush=True,
        )


def _concurrent_wall(setup: BenchSetup) -> float:
    admin = setup.admin
    started = time.perf_counter()
    processes = [
        subprocess.Popen(
            [
                *(sys.executable, "-c", CONCURRENT_WORKFLOW, str(BENCH_DIR)),
                *(setup.server.base_url, admin.api_key, setup.team, setup.org),
                *(str(setup.work), str(n)),
            ]
        )
        for n in range(CONCURRENT)
    ]
    if any(process.wait(timeout=600) != 0 for process in processes):
        raise SystemExit("a concurrent workflow failed")
    return time.perf_counter() - started


def main() -> int:
    if shutil.which("wrk") is None:
        print("scaleout: wrk not found (apt-get install wrk); skipped")
        return 0
    seconds, rounds, runs = (1, 1, 2) if quick() else (3, 5, 5)
    floor_2v1 = floor_scaling(seconds, rounds)
    cluster = LocalPostgres().start()
    try:
        configs = setups(cluster)
        print(f"median of {rounds} rounds; the floor is 1 worker's; emulator = sqlite-1w")
        operations(configs, floor_2v1, seconds, rounds)
        workflows(configs, cluster, runs)
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
