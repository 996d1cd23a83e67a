"""Where the server spends its time under the ops load: py-spy samples the emulator
while wrk drives one SDK operation (default FetchRegistry); prints the top frames by
own time and by total time. Needs `py-spy` (pip) and `wrk`.

    python bench/profile_ops.py [OPERATION] [SECONDS]
"""

from __future__ import annotations

import collections
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

from _setup import BENCH_KEY, Portfolio, build_data, serve_data
from ops import requests_per_second, sdk_documents

TOP = 15
# The frames every sample passes through (event loop, server, routing): not informative.
FRAMEWORK = {
    "runners.py",
    "base_events.py",
    "<frozen runpy>",
    "__main__.py",
    "cli.py",
    "events.py",
    "routing.py",
    "_exception_handler.py",
    "threading.py",
    "h11_impl.py",
    "httptools_impl.py",
    "proxy_headers.py",
    "middleware.py",
    "applications.py",
    "errors.py",
    "exceptions.py",
    "base.py",
    "recording.py",
    "graphql_endpoint.py",
}


def frame_name(frame: str) -> str:
    """`function (path/to/module.py:line)` -> `function (module.py)`."""
    name, _, where = frame.partition(" (")
    return f"{name} ({Path(where.split(':')[0]).name})"


def summarize(collapsed: Path) -> None:
    own: collections.Counter[str] = collections.Counter()
    total: collections.Counter[str] = collections.Counter()
    samples = 0
    for line in collapsed.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        frames = [frame_name(f) for f in stack.split(";") if f]
        n = int(count)
        samples += n
        if frames:
            own[frames[-1]] += n
        for frame in set(frames):
            if frame.rpartition("(")[2].rstrip(")") not in FRAMEWORK:
                total[frame] += n
    for title, counter in (("own time", own), ("total time", total)):
        print(f"top frames by {title} ({samples} samples):")
        for frame, n in counter.most_common(TOP):
            print(f"  {n / samples:6.1%}  {frame}")


def main() -> int:
    operation = sys.argv[1] if len(sys.argv) > 1 else "FetchRegistry"
    seconds = int(sys.argv[2]) if len(sys.argv) > 2 else 10
    work = Path(tempfile.mkdtemp(prefix="wandb-emulator-profile-"))
    build_data(work / "data", ["bench"], [Portfolio("bench", "models", 3)])
    server = serve_data(work / "data")
    query, variables = sdk_documents()[operation]
    body = {"query": query, "variables": variables}
    out = work / "profile.txt"
    try:
        spy = subprocess.Popen(
            [
                "py-spy",
                "record",
                "--pid",
                str(server.pid),
                "--format",
                "raw",
                "--output",
                str(out),
                "--duration",
                str(seconds),
                "--nonblocking",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        load = threading.Thread(
            target=requests_per_second,
            args=(server.base_url + "/graphql", body, BENCH_KEY, seconds),
        )
        load.start()
        load.join()
        spy.wait()
    finally:
        server.stop()
    summarize(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
