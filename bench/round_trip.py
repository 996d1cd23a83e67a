"""Wall time of one `wandb.init -> log_artifact -> link -> fetch -> download` round
against a fresh emulator (median of 5)."""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import FixtureClient, start_server

RUNS = 5


def one_round(setup: dict[str, str], base_url: str, work: Path, index: int) -> float:
    import wandb

    settings = wandb.Settings(api_key=setup["key"], base_url=base_url, silent=True)
    payload = work / f"round-{index}" / "model.bin"
    payload.parent.mkdir(parents=True)
    payload.write_bytes(os.urandom(1024 * 1024))
    started = time.perf_counter()
    with wandb.init(entity=setup["team"], project="bench", settings=settings) as run:
        artifact = wandb.Artifact("bench-model", type="model")
        artifact.add_file(str(payload))
        run.log_artifact(artifact)
        run.link_artifact(artifact, "wandb-registry-bench/models")
    api = wandb.Api(api_key=setup["key"], overrides={"base_url": base_url})
    fetched = api.artifact(f"{setup['org']}/wandb-registry-bench/models:latest")
    out = Path(fetched.download(root=str(work / f"out-{index}")))
    elapsed = time.perf_counter() - started
    assert (out / "model.bin").read_bytes() == payload.read_bytes()
    return elapsed


def main() -> None:
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
        setup = {"key": admin.api_key, "org": org, "team": fixtures.team(org, admin)}
        admin.api().create_registry("bench", "organization", organization=org)
        times = [one_round(setup, server.base_url, work, i) for i in range(RUNS)]
    finally:
        server.stop()
    print(
        f"init -> log_artifact -> link -> fetch -> download (1 MiB): median "
        f"{statistics.median(times):.2f} s (min {min(times):.2f}, max {max(times):.2f}, n={RUNS})"
    )


if __name__ == "__main__":
    main()
