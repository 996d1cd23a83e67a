"""One SDK workflow, `wandb.init -> log_artifact (1 MiB) -> link -> fetch -> download`,
against a fresh emulator: wall time, the server's time (sum of the journal's request
durations) and its share of the wall time, and the server's CPU time as a share of the
wall time (median of 5; `--quick`: 2). Request durations overlap (the SDK uploads in
parallel) and include time spent waiting for a CPU on a loaded machine; CPU time does not.

The floor, measured in the same run: `bench/floor_app.py` answering as many trivial
`{ hello }` requests as the workflow sends, at the workflow's pace (one request per
wall / requests, on one keep-alive connection, nothing else running): the sum of their
durations (timed where the journal times the emulator's) and its CPU time, each as a
share of the workflow's wall time.

`--blob-store s3` compares the workflow on an S3-compatible bucket (moto's server on
loopback, every upload and download through presigned bucket URLs) with local disk:
two fresh emulators, one round on each in turn (which goes first alternates), the
median wall time of each and their ratio, with the load average around the rounds.
moto runs on the same machine: its CPU is counted in the S3 figure, where a real bucket
would add network round trips instead.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import NamedTuple

import httpx
from _setup import BenchSetup, quick, registry_setup, rss_mib, start_floor

from wandb_emulator.config import Config

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from s3_server import TEST_AWS_ENV, start_s3_server


def journal_entries(setup: BenchSetup) -> list[dict]:
    return httpx.get(
        setup.server.base_url + "/_emulator/journal",
        headers=setup.server.control_headers,
        timeout=30,
    ).json()["entries"]


Kinds = dict[str, tuple[float, int]]  # request kind -> (server ms, requests) in one round


def by_kind(entries: list[dict]) -> Kinds:
    """The server's time in one round by request kind (GraphQL operation, or method and
    first path segment)."""
    kinds: dict[str, list[float]] = {}
    for entry in entries:
        kind = entry["operation"] or f"{entry['method']} {entry['path'].split('/')[1]}"
        kinds.setdefault(kind, []).append(entry["duration_ms"])
    return {kind: (sum(ms), len(ms)) for kind, ms in kinds.items()}


def breakdown(rounds: list[Kinds]) -> str:
    """Each kind's median time over the rounds, most first."""
    names = {kind for kinds in rounds for kind in kinds}
    medians = {
        kind: statistics.median(kinds.get(kind, (0.0, 0))[0] for kinds in rounds) for kind in names
    }
    counts = {kind: max(kinds.get(kind, (0.0, 0))[1] for kinds in rounds) for kind in names}
    ranked = sorted(medians.items(), key=lambda item: -item[1])
    return ", ".join(f"{kind} {ms:.1f} ms/{counts[kind]}" for kind, ms in ranked)


def cpu_seconds(pid: int) -> float:
    """CPU time of a process's threads so far, from the scheduler's nanosecond counts
    (`/proc/<pid>/stat` counts in 10 ms ticks, too coarse for a 0.1 s workflow)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            total += int((task / "schedstat").read_text().split()[0])
        except (FileNotFoundError, ProcessLookupError):
            continue  # a thread that ended meanwhile
    return total / 1e9


def one_round(setup: BenchSetup, index: int) -> tuple[float, float, float, Kinds]:
    import wandb

    settings = wandb.Settings(
        api_key=setup.admin.api_key, base_url=setup.server.base_url, silent=True
    )
    payload = setup.work / f"round-{index}" / "model.bin"
    payload.parent.mkdir(parents=True)
    payload.write_bytes(os.urandom(1024 * 1024))
    httpx.delete(
        setup.server.base_url + "/_emulator/journal", headers=setup.server.control_headers
    ).raise_for_status()
    cpu_before = cpu_seconds(setup.server.pid)
    started = time.perf_counter()
    with wandb.init(entity=setup.team, project="bench", settings=settings) as run:
        artifact = wandb.Artifact("bench-model", type="model")
        artifact.add_file(str(payload))
        run.log_artifact(artifact)
        run.link_artifact(artifact, "wandb-registry-bench/models")
    fetched = setup.admin.api().artifact(f"{setup.org}/wandb-registry-bench/models:latest")
    out = Path(fetched.download(root=str(setup.work / f"out-{index}")))
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(setup.server.pid) - cpu_before
    assert (out / "model.bin").read_bytes() == payload.read_bytes()
    entries = journal_entries(setup)
    return elapsed, sum(e["duration_ms"] for e in entries) / 1e3, cpu, by_kind(entries)


class FloorCost(NamedTuple):
    """What the floor app spends on one workflow's worth of trivial requests."""

    request_seconds: float  # sum of request durations, measured as the journal does
    cpu_seconds: float


def floor_per_workflow(requests: int, pace: float, repeats: int) -> FloorCost:
    """The floor app's cost of `requests` trivial requests sent one per `pace` seconds
    (the mean over `repeats` such sequences)."""
    process, base = start_floor("--durations")
    try:
        with httpx.Client(base_url=base) as client:
            client.post("/graphql", json={"query": "{ hello }"}).raise_for_status()
            cpu_before = cpu_seconds(process.pid)
            ms_before = client.get("/durations").json()["ms"]
            for _ in range(requests * repeats):
                sent = time.perf_counter()
                client.post("/graphql", json={"query": "{ hello }"}).raise_for_status()
                time.sleep(max(0.0, pace - (time.perf_counter() - sent)))
            cpu = cpu_seconds(process.pid) - cpu_before
            ms = client.get("/durations").json()["ms"] - ms_before
            return FloorCost(ms / 1e3 / repeats, cpu / repeats)
    finally:
        process.terminate()
        process.wait()


def compare_blob_stores() -> None:
    """The workflow on a moto bucket against local disk, alternating rounds."""
    rounds = 3 if quick() else 10
    os.environ.update(TEST_AWS_ENV)  # boto3 in the emulator process talks to moto only
    s3 = start_s3_server(Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-moto-")))
    try:
        s3.create_bucket("bench-blobs")
        bucket_config = Config(log_level="warning", **s3.blob_store("bench-blobs", "workflow"))
        with (
            registry_setup("bench") as disk,
            registry_setup("bench", bucket_config) as bucket,
        ):
            stores = {"disk": disk, "s3": bucket}
            for setup in stores.values():
                one_round(setup, -1)  # warm up
            load = os.getloadavg()[0]
            results: dict[str, list[tuple[float, float, float, Kinds]]] = {"disk": [], "s3": []}
            for index in range(rounds):
                for name in sorted(stores, reverse=index % 2 == 1):
                    results[name].append(one_round(stores[name], index))
            load_after = os.getloadavg()[0]
    finally:
        s3.stop()
    walls = {name: [r[0] for r in rounds_of] for name, rounds_of in results.items()}
    disk_wall, s3_wall = statistics.median(walls["disk"]), statistics.median(walls["s3"])
    pairs = statistics.median(b / d for d, b in zip(walls["disk"], walls["s3"], strict=True))
    print(
        f"workflow wall, median of {rounds} alternating rounds: local disk {disk_wall:.2f} s,"
        f" S3 (moto) {s3_wall:.2f} s: S3/disk {s3_wall / disk_wall:.2f}x"
        f" (median of the round pairs' ratios {pairs:.2f}x);"
        f" load average {load:.1f} before, {load_after:.1f} after"
    )
    for name, rounds_of in results.items():
        kinds = rounds_of[-1][3]
        puts = sum(n for kind, (_, n) in kinds.items() if kind.startswith("PUT"))
        print(
            f"  {name}: {sum(n for _, n in kinds.values())} requests to the emulator per round"
            f" ({puts} uploads); server time by kind (median):"
            f" {breakdown([r[3] for r in rounds_of])}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (CI)")
    parser.add_argument("--blob-store", choices=["disk", "s3"], default="disk")
    if parser.parse_args().blob_store == "s3":
        compare_blob_stores()
        return
    runs = 2 if quick() else 5
    with registry_setup("bench") as setup:
        rounds = [one_round(setup, i) for i in range(runs)]
        rss = rss_mib(setup.server.pid)
    wall = statistics.median(r[0] for r in rounds)
    server = statistics.median(r[1] for r in rounds)
    share = statistics.median(r[1] / r[0] for r in rounds)
    cpu_share = statistics.median(r[2] / r[0] for r in rounds)
    print(
        f"init -> log_artifact -> link -> fetch -> download (1 MiB): wall {wall:.2f} s,"
        f" server {server * 1e3:.0f} ms, server share {share:.1%} (sum of request durations"
        f" / wall), server CPU share {cpu_share:.1%} (median of {runs});"
        f" server RSS {rss:.0f} MiB"
    )
    print(f"  server time by request kind (median): {breakdown([r[3] for r in rounds])}")
    requests = round(statistics.median(sum(n for _, n in r[3].values()) for r in rounds))
    floor = floor_per_workflow(requests, wall / requests, 5 if quick() else 20)
    floor_share, floor_cpu_share = floor.request_seconds / wall, floor.cpu_seconds / wall
    print(
        f"  floor: {requests} trivial requests at the workflow's pace: request durations"
        f" {floor_share:.1%} of the wall, CPU {floor_cpu_share:.1%}; the server's shares"
        f" are {share / floor_share:.2f}x and {cpu_share / floor_cpu_share:.2f}x those"
    )


if __name__ == "__main__":
    main()
