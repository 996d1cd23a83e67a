"""Time from `wandb-emulator serve` to a 200 from /ready (median of 5), fresh and
restarted, against the floor app's start on the same stack (`bench/floor_app.py`)."""

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


def one_start(fresh: bool) -> float:
    data_dir = Path(tempfile.mkdtemp()) / "data"
    if not fresh:
        seconds_to_ready(emulator(data_dir))
    return seconds_to_ready(emulator(data_dir))


def describe(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    print(
        f"{label}: median {median * 1e3:.0f} ms"
        f" (min {min(times) * 1e3:.0f}, max {max(times) * 1e3:.0f}, n={len(times)})"
    )
    return median


def main() -> None:
    runs = 3 if quick() else 5
    floor_start = describe("floor app start", [seconds_to_ready(floor) for _ in range(runs)])
    for fresh in (True, False):
        label = "first start (migrate + seed)" if fresh else "restart (existing data)"
        median = describe(label, [one_start(fresh) for _ in range(runs)])
        print(f"  {median / floor_start:.2f}x the floor app's start")


if __name__ == "__main__":
    main()
