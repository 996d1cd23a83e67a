"""How long a reset takes: Emulator.reset() in process and POST /_emulator/reset over HTTP.

The state before each reset is "small": the default seed plus ten users, each with an
organization, a team and a registry. Target: under 20 ms (median).
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

from wandb_emulator.testing import RunningEmulator

RUNS = 30
USERS = 10
TARGET_MS = 20.0


def small_state(emulator: RunningEmulator) -> None:
    for index in range(USERS):
        user = emulator.new_user()
        emulator.seed(
            {"registries": [{"name": f"models-{index}", "organization": user.organization}]}
        )


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1e3


def report(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    p95 = sorted(times)[int(len(times) * 0.95) - 1]
    print(f"{label}: median {median:.1f} ms, p95 {p95:.1f} ms, max {max(times):.1f} ms (n={RUNS})")
    return median


def main() -> int:
    with RunningEmulator(Path(tempfile.mkdtemp()) / "data") as emulator:
        in_process, over_http = [], []
        with httpx.Client(base_url=emulator.base_url, headers=emulator.control_headers) as client:
            for _ in range(RUNS):
                small_state(emulator)
                in_process.append(timed(emulator.reset))
                small_state(emulator)
                over_http.append(timed(lambda: client.post("/_emulator/reset").raise_for_status()))
    worst = max(report("reset in process", in_process), report("reset over HTTP", over_http))
    if worst > TARGET_MS:
        print(f"SLOW: median reset above the {TARGET_MS:.0f} ms target")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
