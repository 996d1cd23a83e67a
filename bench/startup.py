"""Time from `wandb-emulator serve` to a 200 from /ready (median of 5), fresh and restarted."""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from conftest import launch_server

RUNS = 5


def seconds_to_ready(data_dir: Path) -> float:
    started = time.perf_counter()
    server = launch_server(data_dir, log_level="error")
    try:
        while True:
            try:
                if httpx.get(server.base_url + "/ready", timeout=1).status_code == 200:
                    return time.perf_counter() - started
            except httpx.TransportError:
                time.sleep(0.005)
    finally:
        server.stop()


def one_start(fresh: bool) -> float:
    data_dir = Path(tempfile.mkdtemp()) / "data"
    if not fresh:
        seconds_to_ready(data_dir)
    return seconds_to_ready(data_dir)


def main() -> None:
    for fresh in (True, False):
        times = [one_start(fresh) for _ in range(RUNS)]
        label = "first start (migrate + seed)" if fresh else "restart (existing data)"
        median, low, high = (statistics.median(times) * 1e3, min(times) * 1e3, max(times) * 1e3)
        print(f"{label}: median {median:.0f} ms (min {low:.0f}, max {high:.0f}, n={RUNS})")


if __name__ == "__main__":
    main()
