"""Throughput of small SDK operations against the framework floor, in one run.

The floor is `bench/floor_app.py` (a trivial `{ hello }` Strawberry query on the same
Starlette + uvicorn stack, parser and validation caches on). The floor and the emulator
are each driven by the same HTTP load generator (`wrk`, 1 thread, 8 connections) for the
same time, alternating (the machine's load drifts), five rounds; the documents are the
SDK's own (wandb 0.31.0). Prints req/s and the median ratio to the floor. `--quick` (CI)
runs one round of 1 s each and asserts nothing.
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


def main() -> int:
    if shutil.which("wrk") is None:
        print("ops: wrk not found (apt-get install wrk); skipped")
        return 0
    seconds, rounds = (1, 1) if quick() else (3, 5)
    data_dir = Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-")) / "data"
    build_data(data_dir, ["bench"], [Portfolio("bench", "models", 3)])
    floor, base = start_floor()
    server = serve_data(data_dir)
    hello = {"query": HELLO, "operationName": "Hello"}
    try:
        for name, (query, variables) in sdk_documents().items():
            body = {"query": query, "variables": variables}
            ratios, rates, floors = [], [], []
            for _ in range(rounds):  # alternate with the floor: the machine's load drifts
                floors.append(requests_per_second(base + "/graphql", hello, None, seconds))
                rates.append(
                    requests_per_second(server.base_url + "/graphql", body, BENCH_KEY, seconds)
                )
                ratios.append(rates[-1] / floors[-1])
            print(
                f"{name}: {statistics.median(rates):.0f} req/s,"
                f" {statistics.median(ratios):.2f}x the floor"
                f" ({statistics.median(floors):.0f} req/s; median of {rounds})"
            )
    finally:
        server.stop()
        floor.terminate()
        floor.wait()
    return 0


if __name__ == "__main__":
    sys.exit(main())
