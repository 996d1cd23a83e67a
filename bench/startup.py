"""Time from `wandb-emulator serve` to a 200 from /ready, fresh and restarted, against
the floor app's start on the same stack (`bench/floor_app.py`), alternating (median of 7;
`--quick`: 3). The emulator's modules are compiled first, as an installed package's are
(`--source` skips that, so each start compiles them).

A second floor, the schema-shaped one (`bench/schema_floor.py`), is the floor app with
the emulator's schema (schema.graphql) in place of its `{ hello }`, written out as trivial
Strawberry types and compiled: what the schema's size alone costs to start. It is timed in
the same rounds, as a ratio to the floor app, and the emulator's starts against it."""

from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import httpx
from _setup import quick
from schema_floor import MODULE, write_app

from wandb_emulator.config import Config
from wandb_emulator.testing import EmulatorProcess, free_port

FLOOR_APP = Path(__file__).resolve().parent / "floor_app.py"
Start = Callable[[], tuple[str, Callable[[], object]]]


def seconds_to_ready(start: Start) -> float:
    started = time.perf_counter()
    base_url, stop = start()
    try:
        while True:
            try:
                if httpx.get(base_url + "/ready", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.005)
    finally:
        stop()


def emulator(data_dir: Path) -> Start:
    def start() -> tuple[str, Callable[[], object]]:
        server = EmulatorProcess(data_dir, Config(log_level="error")).launch()
        return server.base_url, server.stop

    return start


def app(command: list[str], cwd: Path | None = None) -> Start:
    """Start an app that serves on the port given as its last argument."""

    def start() -> tuple[str, Callable[[], object]]:
        port = free_port()
        process = subprocess.Popen([*command, str(port)], cwd=cwd)

        def stop() -> None:
            process.terminate()
            process.wait()

        return f"http://127.0.0.1:{port}", stop

    return start


floor = app([sys.executable, str(FLOOR_APP)])


def schema_floor() -> Start:
    """The schema-shaped floor, written to and run from a temporary directory."""
    directory = Path(tempfile.mkdtemp(prefix="schema-floor-"))
    write_app(directory)
    return app([sys.executable, "-m", MODULE], cwd=directory)


def restart(data_dir: Path) -> Start:
    seconds_to_ready(emulator(data_dir))  # the first start, not timed
    return emulator(data_dir)


def ratio(times: list[float], floors: list[float]) -> float:
    """The median of the per-round ratios (each round's starts ran side by side)."""
    return statistics.median(t / f for t, f in zip(times, floors, strict=True))


def describe(label: str, times: list[float], floors: list[float]) -> None:
    median = statistics.median(times)
    print(
        f"{label}: median {median * 1e3:.0f} ms (min {min(times) * 1e3:.0f},"
        f" max {max(times) * 1e3:.0f}, n={len(times)}),"
        f" {ratio(times, floors):.2f}x the floor app's start"
    )


def compile_package() -> None:
    """Compile the emulator's modules, as installing a wheel does: the floor's packages
    were compiled when pip installed them, while an editable checkout under
    PYTHONDONTWRITEBYTECODE=1 would compile ~17,000 lines at every start."""
    import wandb_emulator

    package = Path(wandb_emulator.__file__).parent
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(package)], check=True)


def main() -> None:
    runs = 3 if quick() else 7
    if "--source" not in sys.argv:  # --source: measure compiling from source too
        compile_package()
    shaped_floor = schema_floor()
    floors, shaped_floors, fresh, restarted = [], [], [], []
    for _ in range(runs):  # alternate: the machine's load drifts
        floors.append(seconds_to_ready(floor))
        shaped_floors.append(seconds_to_ready(shaped_floor))
        fresh.append(seconds_to_ready(emulator(Path(tempfile.mkdtemp()) / "data")))
        restarted.append(seconds_to_ready(restart(Path(tempfile.mkdtemp()) / "data")))
    median = statistics.median(floors) * 1e3
    print(f"floor app start: median {median:.0f} ms (n={runs})")
    describe(
        "schema-shaped floor start (schema.graphql as trivial Strawberry types)",
        shaped_floors,
        floors,
    )
    describe("first start (migrate + seed)", fresh, floors)
    describe("restart (existing data)", restarted, floors)
    for label, times in (("first start", fresh), ("restart", restarted)):
        print(f"{label}: {ratio(times, shaped_floors):.2f}x the schema-shaped floor's start")


if __name__ == "__main__":
    main()
