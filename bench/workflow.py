"""One SDK workflow, `wandb.init -> log_artifact (1 MiB) -> link -> fetch -> download`,
against a fresh emulator: wall time, the server's time (sum of the journal's request
durations) and its share of the wall time, and the server's CPU time as a share of the
wall time (median of 5; `--quick`: 2). Request durations overlap (the SDK uploads in
parallel) and include time spent waiting for a CPU on a loaded machine; CPU time does not.
"""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import httpx
from _setup import BenchSetup, quick, registry_setup, rss_mib
from conftest import CONTROL_HEADERS


def journal_entries(setup: BenchSetup) -> list[dict]:
    return httpx.get(
        setup.server.base_url + "/_emulator/journal", headers=CONTROL_HEADERS, timeout=30
    ).json()["entries"]


def breakdown(entries: list[dict]) -> str:
    """The requests that took the server's time, most first."""
    by_kind: dict[str, list[float]] = {}
    for entry in entries:
        kind = entry["operation"] or f"{entry['method']} {entry['path'].split('/')[1]}"
        by_kind.setdefault(kind, []).append(entry["duration_ms"])
    ranked = sorted(by_kind.items(), key=lambda item: -sum(item[1]))
    return ", ".join(f"{k} {sum(v):.0f} ms/{len(v)}" for k, v in ranked[:8])


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def one_round(setup: BenchSetup, index: int) -> tuple[float, float, float, str]:
    import wandb

    settings = wandb.Settings(
        api_key=setup.admin.api_key, base_url=setup.server.base_url, silent=True
    )
    payload = setup.work / f"round-{index}" / "model.bin"
    payload.parent.mkdir(parents=True)
    payload.write_bytes(os.urandom(1024 * 1024))
    httpx.delete(
        setup.server.base_url + "/_emulator/journal", headers=CONTROL_HEADERS
    ).raise_for_status()
    cpu_before = cpu_seconds(setup.server.process.pid)
    started = time.perf_counter()
    with wandb.init(entity=setup.team, project="bench", settings=settings) as run:
        artifact = wandb.Artifact("bench-model", type="model")
        artifact.add_file(str(payload))
        run.log_artifact(artifact)
        run.link_artifact(artifact, "wandb-registry-bench/models")
    fetched = setup.admin.api().artifact(f"{setup.org}/wandb-registry-bench/models:latest")
    out = Path(fetched.download(root=str(setup.work / f"out-{index}")))
    elapsed = time.perf_counter() - started
    cpu = cpu_seconds(setup.server.process.pid) - cpu_before
    assert (out / "model.bin").read_bytes() == payload.read_bytes()
    entries = journal_entries(setup)
    return elapsed, sum(e["duration_ms"] for e in entries) / 1e3, cpu, breakdown(entries)


def main() -> None:
    runs = 2 if quick() else 5
    with registry_setup("bench") as setup:
        rounds = [one_round(setup, i) for i in range(runs)]
        rss = rss_mib(setup.server.process.pid)
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
    print(f"  server time by request kind (last round): {rounds[-1][3]}")


if __name__ == "__main__":
    main()
