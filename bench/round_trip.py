"""Wall time of one `wandb.init -> log_artifact -> link -> fetch -> download` round
against a fresh emulator (median of 5)."""

from __future__ import annotations

import os
import statistics
import time
from pathlib import Path

from _setup import BenchSetup, registry_setup

RUNS = 5


def one_round(setup: BenchSetup, index: int) -> float:
    import wandb

    settings = wandb.Settings(
        api_key=setup.admin.api_key, base_url=setup.server.base_url, silent=True
    )
    payload = setup.work / f"round-{index}" / "model.bin"
    payload.parent.mkdir(parents=True)
    payload.write_bytes(os.urandom(1024 * 1024))
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
    return elapsed


def main() -> None:
    with registry_setup("bench") as setup:
        times = [one_round(setup, i) for i in range(RUNS)]
    print(
        f"init -> log_artifact -> link -> fetch -> download (1 MiB): median "
        f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, n={RUNS})"
    )


if __name__ == "__main__":
    main()
