"""Schema-generated fuzzing: valid-by-schema queries and mutations (hypothesis-graphql)
and schema-invalid ones, sent by authenticated users to a real server process. No
request may get a 5xx or an "internal server error", and the server must not grow.

The short subset runs with the suite; the full run is opt-in:

    pytest -m fuzz --run-fuzz -p no:randomly -s tests/test_fuzz.py   (FUZZ_EXAMPLES=4000)
"""

from __future__ import annotations

import base64
import json
import os
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import graphql
import httpx
import pytest
from conftest import EmulatorProcess
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis_graphql import Mode, mutations, nodes, queries

from wandb_emulator.graphql.schema import build_schema

SUBSET_EXAMPLES = 120
FULL_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "4000"))

SCHEMA: graphql.GraphQLSchema = build_schema()._schema
_ids = st.one_of(
    st.builds(
        lambda kind, pk: base64.b64encode(f"{kind}:{pk}".encode()).decode(),
        st.sampled_from(["Artifact", "ArtifactCollection", "Project", "Run", "User", "Entity"]),
        st.integers(min_value=-5, max_value=2**70),
    ),
    st.text(max_size=30),
)
_json = st.one_of(
    st.sampled_from(
        [
            "{}",
            '{"name": {"$regex": "(a+)+$"}}',
            '{"$and": [{"name": "x"}, {"$or": [{"tags": "a"}]}]}',
            '{"name": {"$in": [1, "a", null]}}',
            "[]",
            "not json",
            '{"$where": 1}',
        ]
    ),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=10),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner),
        max_leaves=8,
    ).map(json.dumps),
)
CUSTOM_SCALARS = {
    "ID": _ids.map(nodes.String),
    "JSONString": _json.map(nodes.String),
    "DateTime": st.one_of(st.just("2026-01-01T00:00:00"), st.text(max_size=20)).map(nodes.String),
    "Int64": st.integers(min_value=-(2**63), max_value=2**63 - 1).map(nodes.Int),
}


@dataclass
class FuzzStats:
    statuses: Counter[int] = field(default_factory=Counter)
    server_errors: list[str] = field(default_factory=list)

    @property
    def sent(self) -> int:
        return sum(self.statuses.values())


@dataclass
class Target:
    server: EmulatorProcess
    client: httpx.Client
    keys: list[str]

    def rss_kib(self) -> int:
        status = Path(f"/proc/{self.server.pid}/status").read_text()
        return int(
            next(line for line in status.splitlines() if line.startswith("VmRSS")).split()[1]
        )


@pytest.fixture(scope="module")
def target(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Target]:
    server = EmulatorProcess(tmp_path_factory.mktemp("fuzz") / "data").start()
    keys = [server.new_user().api_key for _ in range(2)]
    client = httpx.Client(base_url=server.base_url, timeout=60)
    try:
        yield Target(server, client, keys)
    finally:
        client.close()
        server.stop()
        log = server.log()
        assert "Traceback" not in log and "unexpected error" not in log, log[-5000:]


def send(target: Target, stats: FuzzStats, document: str, key_index: int) -> None:
    response = target.client.post(
        "/graphql", json={"query": document}, auth=("api", target.keys[key_index])
    )
    stats.statuses[response.status_code] += 1
    if response.status_code >= 500 or "internal server error" in response.text:
        stats.server_errors.append(
            f"{response.status_code} {document[:500]!r}: {response.text[:500]}"
        )


def documents() -> st.SearchStrategy[str]:
    kwargs = {"custom_scalars": CUSTOM_SCALARS, "allow_x00": True}
    return st.one_of(
        queries(SCHEMA, **kwargs),
        mutations(SCHEMA, **kwargs),
        queries(SCHEMA, mode=Mode.NEGATIVE, **kwargs),
        mutations(SCHEMA, mode=Mode.NEGATIVE, **kwargs),
    )


def fuzz(target: Target, examples: int) -> FuzzStats:
    stats = FuzzStats()

    @settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=examples == SUBSET_EXAMPLES,
        suppress_health_check=list(HealthCheck),
    )
    @given(document=documents(), key_index=st.integers(min_value=0, max_value=1))
    def run(document: str, key_index: int) -> None:
        send(target, stats, document, key_index)

    run()
    return stats


def report(target: Target, stats: FuzzStats, rss_before: int, label: str) -> str:
    rss_after = target.rss_kib()
    counts = ", ".join(f"{status}: {n}" for status, n in sorted(stats.statuses.items()))
    return (
        f"{label}: {stats.sent} requests; status counts {{{counts}}}; "
        f"{len(stats.server_errors)} server errors; RSS {rss_before // 1024} MiB before, "
        f"{rss_after // 1024} MiB after"
    )


def test_fuzz_subset(target: Target, capsys: pytest.CaptureFixture[str]) -> None:
    rss_before = target.rss_kib()
    stats = fuzz(target, SUBSET_EXAMPLES)
    assert stats.server_errors == []
    assert stats.sent >= SUBSET_EXAMPLES // 2
    with capsys.disabled():
        print("\n" + report(target, stats, rss_before, "fuzz subset"))


@pytest.mark.fuzz
def test_fuzz_full(target: Target, capsys: pytest.CaptureFixture[str]) -> None:
    rss_before = target.rss_kib()
    stats = fuzz(target, FULL_EXAMPLES)
    summary = report(target, stats, rss_before, "full fuzz run")
    with capsys.disabled():
        print("\n" + summary)
    Path(os.environ.get("FUZZ_REPORT", "/tmp/wandb-emulator-fuzz.txt")).write_text(
        summary + "\n" + "\n".join(stats.server_errors)
    )
    assert stats.server_errors == []
