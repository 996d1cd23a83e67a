"""Time from `wandb-emulator serve` to a 200 from /ready, fresh and restarted, against
the floor app's start on the same stack (`bench/floor_app.py`), alternating (median of 7;
`--quick`: 3). The emulator's modules are compiled first, as an installed package's are
(`--source` skips that, so each start compiles them)."""

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
from conftest import free_port, launch_server

FLOOR_APP = Path(__file__).resolve().parent / "floor_app.py"


def seconds_to_ready(start: Callable[[], tuple[str, Callable[[], object]]]) -> float:
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


def emulator(data_dir: Path) -> Callable[[], tuple[str, Callable[[], object]]]:
    def start() -> tuple[str, Callable[[], object]]:
        server = launch_server(data_dir, log_level="error")
        return server.base_url, server.stop

    return start


def floor() -> tuple[str, Callable[[], object]]:
    port = free_port()
    process = subprocess.Popen([sys.executable, str(FLOOR_APP), str(port)])

    def stop() -> None:
        process.terminate()
        process.wait()

    return f"http://127.0.0.1:{port}", stop


def restart(data_dir: Path) -> Callable[[], tuple[str, Callable[[], object]]]:
    seconds_to_ready(emulator(data_dir))  # the first start, not timed
    return emulator(data_dir)


def describe(label: str, times: list[float], floors: list[float]) -> None:
    median = statistics.median(times)
    ratio = statistics.median(t / f for t, f in zip(times, floors, strict=True))
    print(
        f"{label}: median {median * 1e3:.0f} ms (min {min(times) * 1e3:.0f},"
        f" max {max(times) * 1e3:.0f}, n={len(times)}), {ratio:.2f}x the floor app's start"
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
    floors, fresh, restarted = [], [], []
    for _ in range(runs):  # alternate: the machine's load drifts
        floors.append(seconds_to_ready(floor))
        fresh.append(seconds_to_ready(emulator(Path(tempfile.mkdtemp()) / "data")))
        restarted.append(seconds_to_ready(restart(Path(tempfile.mkdtemp()) / "data")))
    median = statistics.median(floors) * 1e3
    print(f"floor app start: median {median:.0f} ms (n={runs})")
    describe("first start (migrate + seed)", fresh, floors)
    describe("restart (existing data)", restarted, floors)


if __name__ == "__main__":
    main()
