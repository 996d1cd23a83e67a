"""OTLP over HTTP (`/sdk/otel/v1/{signal}`): the SDK's own metrics are accepted as a
collector accepts them, in protobuf and JSON, and kept where a test author reads them."""

from __future__ import annotations

import gzip
import json
import os
import subprocess
import sys

import httpx
import pytest
from conftest import CONTROL_HEADERS, OrgSetup, journal_mark, journal_since
from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2

from wandb_emulator.testing import RunningEmulator

METRICS = "/sdk/otel/v1/metrics"


def exports(server: RunningEmulator, signal: str = "metrics") -> list[dict]:
    response = httpx.get(
        f"{server.base_url}/_emulator/telemetry",
        params={"signal": signal},
        headers=CONTROL_HEADERS,
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["exports"]


def metric_names(found: list[dict]) -> set[str]:
    return {
        metric["name"]
        for export in found
        for resource in export["body"].get("resourceMetrics", [])
        for scope in resource.get("scopeMetrics", [])
        for metric in scope.get("metrics", [])
    }


def gauge_request(name: str, value: float) -> metrics_service_pb2.ExportMetricsServiceRequest:
    request = metrics_service_pb2.ExportMetricsServiceRequest()
    scope = request.resource_metrics.add().scope_metrics.add()
    metric = scope.metrics.add(name=name, unit="s")
    point = metric.gauge.data_points.add()
    point.as_double = value
    point.time_unix_nano = 1
    return request


RUN = """
import sys, wandb
settings = wandb.Settings(api_key=sys.argv[1], base_url=sys.argv[2], silent=True)
with wandb.init(entity=sys.argv[3], project="otel", settings=settings) as run:
    run.log({"loss": 1.0})
"""


def test_the_sdks_metrics_of_a_run_are_accepted_and_kept(
    org_setup: OrgSetup, server: RunningEmulator
) -> None:
    mark = journal_mark(server)
    before = {e["seq"] for e in exports(server)}
    # wandb-core exports its metrics unless error reporting is off (as this suite's
    # conftest sets it for in-process runs): a process of its own, with it on.
    admin = org_setup.admin
    subprocess.run(
        [sys.executable, "-c", RUN, admin.api_key, admin.base_url, org_setup.team],
        env={**os.environ, "WANDB_ERROR_REPORTING": "true"},
        check=True,
        timeout=180,
    )
    posts = [e for e in journal_since(server, mark) if e["path"].startswith("/sdk/otel/")]
    assert any(e["path"] == METRICS for e in posts), "wandb-core sent no OTLP metrics"
    assert {e["status"] for e in posts} == {200}  # no red 404 row per flush any more
    received = [e for e in exports(server) if e["seq"] not in before]
    assert received and {e["content_type"] for e in received} == {"application/x-protobuf"}
    assert metric_names(received)


def test_protobuf_and_json_exports_are_answered_as_a_collector_answers(
    org_setup: OrgSetup, server: RunningEmulator
) -> None:
    auth = ("api", org_setup.admin.api_key)
    url = server.base_url + METRICS
    body = gauge_request("test.protobuf.gauge", 2.5).SerializeToString()
    response = httpx.post(
        url,
        content=gzip.compress(body),
        headers={"content-type": "application/x-protobuf", "content-encoding": "gzip"},
        auth=auth,
    )
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/x-protobuf"
    answer = metrics_service_pb2.ExportMetricsServiceResponse.FromString(response.content)
    assert not answer.HasField("partial_success")

    as_json = {
        "resourceMetrics": [
            {
                "scopeMetrics": [
                    {
                        "metrics": [
                            {
                                "name": "test.json.sum",
                                "sum": {"dataPoints": [{"asInt": "7", "timeUnixNano": "1"}]},
                            }
                        ]
                    }
                ]
            }
        ]
    }
    response = httpx.post(url, json=as_json, auth=auth)
    assert (response.status_code, response.json()) == (200, {})

    mine = [e for e in exports(server) if e["username"] == org_setup.admin.username]
    assert {"test.protobuf.gauge", "test.json.sum"} <= metric_names(mine)  # named by its key
    [protobuf] = [e for e in mine if "test.protobuf.gauge" in metric_names([e])]
    gauge = protobuf["body"]["resourceMetrics"][0]["scopeMetrics"][0]["metrics"][0]
    assert gauge["gauge"]["dataPoints"][0]["asDouble"] == 2.5
    assert protobuf["content_type"] == "application/x-protobuf"


@pytest.mark.parametrize(
    ("headers", "content", "status"),
    [
        ({"content-type": "text/plain"}, b"hello", 415),
        ({"content-type": "application/x-protobuf"}, b"\xff\xff\xff", 400),
        ({"content-type": "application/json"}, b"[1, 2]", 400),
        ({"content-type": "application/json"}, b"{not json", 400),
    ],
)
def test_malformed_exports_are_refused_and_not_kept(
    org_setup: OrgSetup, server: RunningEmulator, headers: dict, content: bytes, status: int
) -> None:
    before = len(exports(server))
    response = httpx.post(
        server.base_url + METRICS,
        content=content,
        headers=headers,
        auth=("api", org_setup.admin.api_key),
    )
    assert response.status_code == status
    assert len(exports(server)) == before


def test_the_telemetry_log_is_read_in_python_and_cleared(tmp_path) -> None:
    from wandb_emulator.testing import RunningEmulator

    with RunningEmulator(tmp_path / "data") as emulator:
        user = emulator.new_user()
        body = gauge_request("test.python.gauge", 4.0).SerializeToString()
        response = httpx.post(
            emulator.base_url + METRICS,
            content=body,
            headers={"content-type": "application/x-protobuf"},
            auth=("api", user.api_key),
        )
        assert response.status_code == 200
        [point] = emulator.telemetry.metrics()["test.python.gauge"]
        assert (point["asDouble"], point["kind"], point["unit"]) == (4.0, "gauge", "s")
        emulator.reset()
        assert emulator.telemetry.exports() == []
        assert json.loads(json.dumps([e.to_json() for e in emulator.telemetry.exports()])) == []
