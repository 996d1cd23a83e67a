"""Throughput of small SDK operations against the framework floor, in one run.

The floor is `bench/floor_app.py` (a trivial `{ hello }` Strawberry query on the same
Starlette + uvicorn stack, parser and validation caches on). The floor and the emulator
are each driven by the same HTTP load generator (`wrk`, 1 thread, 8 connections) for the
same time, alternating (the machine's load drifts), five rounds; the documents are the
SDK's own (wandb 0.31.0). Prints req/s and the median ratio to the floor. `--quick` (CI)
runs one round of 1 s each and asserts nothing.

`--stock` also serves the same data with `--no-fast-execution` (stock Strawberry) and
takes it into the rounds (floor, fast, stock), printing what the fast path gains per
operation: fast/stock, the median of the rounds' ratios.
"""

from __future__ import annotations

import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
from _setup import (
    BENCH_KEY,
    BENCH_ORG,
    BENCH_ORG_ENTITY,
    Portfolio,
    build_data,
    quick,
    serve_data,
    start_floor,
)

from wandb_emulator.config import Config

CONNECTIONS = 8
VIEWER = "query Viewer { viewer { id username entity } }"
HELLO = "query Hello { hello }"


def sdk_documents() -> dict[str, tuple[str, dict]]:
    from wandb.sdk.artifacts._generated import operations as artifact_ops
    from wandb.sdk.internal._generated import operations as internal_ops

    registry_path = {"entity": BENCH_ORG_ENTITY, "project": "wandb-registry-bench"}
    return {
        "FetchRegistry": (
            artifact_ops.FETCH_REGISTRY_GQL,
            {"name": "wandb-registry-bench", "entity": BENCH_ORG_ENTITY},
        ),
        "Viewer": (VIEWER, {}),
        "ServerFeaturesQuery": (internal_ops.SERVER_FEATURES_QUERY_GQL, {}),
        "ArtifactByName": (
            artifact_ops.ARTIFACT_MEMBERSHIP_BY_NAME_GQL,
            {**registry_path, "name": "models:latest"},
        ),
        "RegistryVersions": (
            artifact_ops.REGISTRY_VERSIONS_GQL,
            {
                "organization": BENCH_ORG,
                "registryFilter": '{"name": "wandb-registry-bench"}',
                "perPage": 100,
            },
        ),
    }


def wrk_script(path: Path, body: dict, key: str | None) -> None:
    headers = {"Content-Type": "application/json"}
    if key:
        import base64

        headers["Authorization"] = "Basic " + base64.b64encode(f"api:{key}".encode()).decode()
    lines = ['wrk.method = "POST"', f"wrk.body = {json.dumps(json.dumps(body))}"]
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in headers.items()]
    path.write_text("\n".join(lines) + "\n")


def requests_per_second(url: str, body: dict, key: str | None, seconds: float) -> float:
    """Check one answer is error-free, then load the endpoint with wrk."""
    auth = ("api", key) if key else None
    answer = httpx.post(url, json=body, auth=auth, timeout=30)
    payload = answer.json()
    if answer.status_code != 200 or payload.get("errors"):
        raise SystemExit(f"{body.get('operationName')}: {answer.status_code} {payload}")
    with tempfile.TemporaryDirectory() as tmp:
        script = Path(tmp) / "post.lua"
        wrk_script(script, body, key)
        out = subprocess.run(
            ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "-s", str(script), url],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"load errors:\n{out}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))


def compare(
    servers: dict[str, str], base: str, seconds: float, rounds: int
) -> dict[str, dict[str, list[float]]]:
    """Per operation, each server's req/s and the floor's, round by round: the floor and
    the servers take turns (the machine's load drifts). Prints a line per operation."""
    hello = {"query": HELLO, "operationName": "Hello"}
    results: dict[str, dict[str, list[float]]] = {}
    for name, (query, variables) in sdk_documents().items():
        body = {"query": query, "variables": variables}
        rates: dict[str, list[float]] = {"floor": [], **{label: [] for label in servers}}
        for _ in range(rounds):
            rates["floor"].append(requests_per_second(base + "/graphql", hello, None, seconds))
            for label, url in servers.items():
                rates[label].append(requests_per_second(url + "/graphql", body, BENCH_KEY, seconds))
        results[name] = rates
        print(f"{name}: " + "; ".join(_figures(rates, label) for label in servers), flush=True)
    return results


def _figures(rates: dict[str, list[float]], label: str) -> str:
    ratios = [rate / floor for rate, floor in zip(rates[label], rates["floor"], strict=True)]
    line = f"{label} {statistics.median(rates[label]):.0f} req/s ({statistics.median(ratios):.2f}x"
    line += f" the floor's {statistics.median(rates['floor']):.0f})"
    if label != "emulator":  # what the emulator (the fast path) does against this one
        gains = [fast / rate for fast, rate in zip(rates["emulator"], rates[label], strict=True)]
        line += f", emulator/{label} {statistics.median(gains):.2f}x"
    return line


def main() -> int:
    if shutil.which("wrk") is None:
        print("ops: wrk not found (apt-get install wrk); skipped")
        return 0
    seconds, rounds = (1, 1) if quick() else (3, 5)
    data_dir = Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-")) / "data"
    build_data(data_dir, ["bench"], [Portfolio("bench", "models", 3)])
    floor, base = start_floor()
    servers = {"emulator": serve_data(data_dir)}
    if "--stock" in sys.argv:
        servers["stock"] = serve_data(data_dir, Config(log_level="warning", fast_execution=False))
    try:
        print(f"median of {rounds} rounds")
        compare({label: s.base_url for label, s in servers.items()}, base, seconds, rounds)
    finally:
        for server in servers.values():
            server.stop()
        floor.terminate()
        floor.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
