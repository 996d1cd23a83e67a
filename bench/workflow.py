"""One SDK workflow, `wandb.init -> log_artifact (1 MiB) -> link -> fetch -> download`,
against a fresh emulator: wall time, the server's time (sum of the journal's request
durations) and its share of the wall time (median of 5; `--quick`: 2)."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

import httpx
from _setup import BenchSetup, quick, registry_setup, rss_mib


def server_ms(setup: BenchSetup) -> float:
    journal = httpx.get(setup.server.base_url + "/_emulator/journal", timeout=30).json()
    return sum(entry["duration_ms"] for entry in journal["entries"])


def one_round(setup: BenchSetup, index: int) -> tuple[float, float]:
    import wandb

    settings = wandb.Settings(
        api_key=setup.admin.api_key, base_url=setup.server.base_url, silent=True
    )
    payload = setup.work / f"round-{index}" / "model.bin"
    payload.parent.mkdir(parents=True)
    payload.write_bytes(os.urandom(1024 * 1024))
    httpx.delete(setup.server.base_url + "/_emulator/journal").raise_for_status()
    started = time.perf_counter()
    with wandb.init(entity=setup.team, project="bench", settings=settings) as run:
        artifact = wandb.Artifact("bench-model", type="model")
        artifact.add_file(str(payload))
        run.log_artifact(artifact)
        run.link_artifact(artifact, "wandb-registry-bench/models")
    fetched = setup.admin.api().artifact(f"{setup.org}/wandb-registry-bench/models:latest")
    out = Path(fetched.download(root=str(setup.work / f"out-{index}")))
    elapsed = time.perf_counter() - started
    assert (out / "model.bin").read_bytes() == payload.read_bytes()
    return elapsed, server_ms(setup) / 1e3


def main() -> None:
    runs = 2 if quick() else 5
    with registry_setup("bench") as setup:
        rounds = [one_round(setup, i) for i in range(runs)]
        rss = rss_mib(setup.server.process.pid)
    wall = statistics.median(w for w, _ in rounds)
    server = statistics.median(s for _, s in rounds)
    share = statistics.median(s / w for w, s in rounds)
    print(
        f"init -> log_artifact -> link -> fetch -> download (1 MiB): wall {wall:.2f} s,"
        f" server {server * 1e3:.0f} ms, server share {share:.1%} (median of {runs});"
        f" server RSS {rss:.0f} MiB"
    )


if __name__ == "__main__":
    main()
