"""Snapshots, against floors measured in the same run:
- export and import of a data directory with 10,000 versions (a file each), against
  `tar cf` and `tar xf` of the same directory (target: at most 2x);
- restoring a small snapshot (the default seed and 10 linked versions) into a running
  server, against a reset of the same server (target: at most 3x);
- how long writes wait while a server exports itself: the longest and the 99th
  percentile of empty write transactions during the export, against without one.

`--quick`: 1,000 versions, fewer rounds; prints the figures and asserts nothing.
"""

from __future__ import annotations

import asyncio
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from _setup import Portfolio, build_data, quick

from wandb_emulator import snapshots
from wandb_emulator.config import Config
from wandb_emulator.testing import RunningEmulator

FILE_BYTES = 1024
EXPORT_TARGET, RESTORE_TARGET = 2.0, 3.0


def build(data_dir: Path, versions: int) -> None:
    """The bench user/org/team, a registry collection of `versions` linked versions with a
    stored file each."""
    from wandb_emulator import storage
    from wandb_emulator.store import bulk

    build_data(data_dir, ["models"], [Portfolio("models", "snap", versions)])

    async def add_files() -> None:
        config = Config(data_dir=data_dir)
        db = storage.database(config)
        await db.open()
        try:
            async with db.write() as conn:
                await bulk.add_a_file_to_each_version(conn, storage.blob_store(config), FILE_BYTES)
        finally:
            await db.close()

    asyncio.run(add_files())


def timed(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def run_tar(mode: str, archive: Path, directory: Path, *members: str) -> None:
    subprocess.run(["tar", mode, str(archive), "-C", str(directory), *members], check=True)


def import_into(config: Config, archive: Path) -> None:
    asyncio.run(snapshots.import_snapshot(config, archive, replace=False))


def export_import(work: Path, versions: int, rounds: int) -> tuple[float, float]:
    data = work / "data"
    build(data, versions)
    files = sum(1 for p in data.rglob("*") if p.is_file())
    source = Config(data_dir=data)
    tar_c, tar_x, export, import_ = [], [], [], []
    for n in range(rounds):
        floor, archive = work / f"floor-{n}.tar", work / f"snapshot-{n}.tar"
        untarred, imported = work / f"x-{n}", Config(data_dir=work / f"imported-{n}")
        untarred.mkdir()
        tar_c.append(timed(lambda: run_tar("cf", floor, data, ".")))  # noqa: B023
        export.append(timed(lambda: asyncio.run(snapshots.export_data_dir(source, archive))))  # noqa: B023
        tar_x.append(timed(lambda: run_tar("xf", floor, untarred)))  # noqa: B023
        import_.append(timed(lambda: import_into(imported, archive)))  # noqa: B023
        shutil.rmtree(untarred)
        shutil.rmtree(imported.data_dir)
        floor.unlink()
    size = (work / "snapshot-0.tar").stat().st_size / 1e6
    print(f"{versions:,} versions, {files:,} files in the data directory, snapshot {size:.1f} MB")
    export_ratio = min(export) / min(tar_c)
    import_ratio = min(import_) / min(tar_x)
    print(f"export {min(export):.3f} s vs tar cf {min(tar_c):.3f} s: {export_ratio:.2f}x")
    print(f"import {min(import_):.3f} s vs tar xf {min(tar_x):.3f} s: {import_ratio:.2f}x")
    return export_ratio, import_ratio


def restore_vs_reset(work: Path, rounds: int) -> float:
    data = work / "small"
    build(data, 10)
    with RunningEmulator(data) as emulator:
        emulator.call(emulator.emulator.seed_defaults())
        emulator.snapshot(work / "small.tar")
        resets, restores = [], []
        for _ in range(rounds):
            restores.append(timed(lambda: emulator.restore(work / "small.tar")))
            resets.append(timed(emulator.reset))
    ratio = statistics.median(restores) / statistics.median(resets)
    print(
        f"restore {statistics.median(restores) * 1e3:.1f} ms (first {restores[0] * 1e3:.1f} ms)"
        f" vs reset {statistics.median(resets) * 1e3:.1f} ms (medians of {rounds}): {ratio:.2f}x"
    )
    return ratio


def export_pause(work: Path, versions: int) -> None:
    """Empty write transactions on the server's loop, one after another, with and without
    an export of the same server running."""
    data = work / "paused"
    build(data, versions)

    async def writes(emulator: RunningEmulator, until: Callable[[], bool]) -> list[float]:
        waits = []
        while not until():
            started = time.perf_counter()
            async with emulator.emulator.db.write():
                pass
            waits.append(time.perf_counter() - started)
            await asyncio.sleep(0.001)
        return waits

    async def during_export(emulator: RunningEmulator) -> tuple[list[float], float]:
        started = time.perf_counter()
        task = asyncio.create_task(emulator.emulator.snapshot(work / "paused.tar"))
        waits = await writes(emulator, task.done)
        await task
        return waits, time.perf_counter() - started

    async def alone(emulator: RunningEmulator, seconds: float) -> list[float]:
        deadline = time.perf_counter() + seconds
        return await writes(emulator, lambda: time.perf_counter() > deadline)

    with RunningEmulator(data) as emulator:
        waits, seconds = emulator.call(during_export(emulator))
        baseline = emulator.call(alone(emulator, seconds))

    def figures(values: list[float]) -> str:
        ordered = sorted(values)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        return f"max {ordered[-1] * 1e3:.1f} ms, p99 {p99 * 1e3:.1f} ms (n={len(values)})"

    print(f"writes during a {seconds:.2f} s export: {figures(waits)}; without: {figures(baseline)}")


def main() -> int:
    short = quick()
    versions, rounds = (1_000, 1) if short else (10_000, 3)
    work = Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-snapshot-"))
    try:
        export_ratio, import_ratio = export_import(work, versions, rounds)
        restore_ratio = restore_vs_reset(work, 10 if short else 30)
        export_pause(work, versions)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    missed = [
        name
        for name, ratio, target in (
            ("export", export_ratio, EXPORT_TARGET),
            ("import", import_ratio, EXPORT_TARGET),
            ("restore", restore_ratio, RESTORE_TARGET),
        )
        if ratio > target
    ]
    if missed and not short:
        print(f"SLOW: {', '.join(missed)} above target")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
