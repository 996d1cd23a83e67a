"""How long one SDK `log_artifact` (N small files, default 20) holds the database's
writer when blobs are in a bucket (moto's server on loopback), and how much of that
time waits on the bucket: while a write transaction is open, every other write of the
process waits, so the store's calls belong before it. Not part of `make bench`.

The emulator runs in this process (`RunningEmulator`) so that `Database.write` and the
bucket store's calls can be timed where they happen; the SDK is a real client.
Prints, per round: write transactions that called the bucket, the time they held the
writer and the part of it spent in bucket calls (wall time while any call was in
flight), and the time all write transactions of the round held the writer.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from s3_server import TEST_AWS_ENV, start_s3_server

from wandb_emulator import s3_blobs
from wandb_emulator.config import Config
from wandb_emulator.store import database
from wandb_emulator.testing import RunningEmulator


class Timings:
    """Write transactions (held, of which in bucket calls) and the bucket calls in flight."""

    def __init__(self) -> None:
        self.in_write = False
        self.in_flight = 0
        self.since = 0.0
        self.storage = 0.0
        self.writes: list[tuple[float, float]] = []

    def install(self) -> None:
        timings, write, call = self, database.Database.write, s3_blobs.S3BlobStore._call

        @contextlib.asynccontextmanager
        async def timed_write(db: database.Database) -> AsyncIterator[Any]:
            async with write(db) as conn:
                timings.in_write, timings.storage = True, 0.0
                started = time.perf_counter()
                try:
                    yield conn
                finally:
                    timings.in_write = False
                    timings.writes.append((time.perf_counter() - started, timings.storage))

        async def timed_call(store: Any, fn: Any, *args: Any, **kwargs: Any) -> Any:
            if timings.in_flight == 0:
                timings.since = time.perf_counter()
            timings.in_flight += 1
            try:
                return await call(store, fn, *args, **kwargs)
            finally:
                timings.in_flight -= 1
                if timings.in_flight == 0 and timings.in_write:
                    timings.storage += time.perf_counter() - timings.since

        database.Database.write = timed_write  # type: ignore[method-assign,assignment]
        s3_blobs.S3BlobStore._call = timed_call  # type: ignore[method-assign,assignment]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=20)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-"))
    os.environ.update(
        TEST_AWS_ENV,
        WANDB_DIR=str(work),
        WANDB_CACHE_DIR=str(work / "cache"),
        WANDB_CONFIG_DIR=str(work / "config"),
        WANDB_SILENT="true",
    )
    import wandb

    timings = Timings()
    timings.install()
    s3 = start_s3_server(work / "moto")
    try:
        s3.create_bucket("bench-blobs")
        config = Config(log_level="warning", **s3.blob_store("bench-blobs", "lock"))
        with RunningEmulator(work / "data", config) as emulator:
            user = emulator.new_user()
            settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
            print(f"load average {os.getloadavg()[0]:.1f}; log_artifact of {args.files} files:")
            for index in range(args.rounds):
                folder = work / f"round-{index}"
                folder.mkdir()
                for n in range(args.files):
                    (folder / f"f{n}.bin").write_bytes(os.urandom(1000))
                timings.writes.clear()
                with wandb.init(entity=user.team, project="lock", settings=settings) as run:
                    artifact = wandb.Artifact("files", type="dataset")
                    artifact.add_dir(str(folder))
                    run.log_artifact(artifact).wait()
                calling = [w for w in timings.writes if w[1] > 0]
                print(
                    f"  {len(calling)} write transaction(s) calling the bucket held the writer"
                    f" {sum(h for h, _ in calling) * 1e3:.1f} ms, of which bucket calls"
                    f" {sum(s for _, s in calling) * 1e3:.1f} ms; all write transactions"
                    f" {sum(h for h, _ in timings.writes) * 1e3:.1f} ms"
                )
    finally:
        s3.stop()


if __name__ == "__main__":
    main()
