"""POST /sdk/otel/v1/{metrics,logs,traces}: OTLP over HTTP, as an OpenTelemetry collector
answers it. wandb-core exports its own metrics there during every run.

Protobuf (`application/x-protobuf`) and JSON (`application/json`) bodies, gzip or not;
each export is kept in the emulator's `Telemetry` in its OTLP/JSON form
(`GET /_emulator/telemetry`, `RunningEmulator.telemetry`), with the username of its API
key when it carries one. wandb-core sends none (W&B's telemetry proxy takes exports
without credentials), so neither does this endpoint require one: what it takes is
bounded (a body of 16 MiB, and the `Telemetry` budget). The answer is the signal's empty
Export*ServiceResponse in the request's encoding: full success. wandb-core first probes
the endpoint with an empty POST (a 404 or 405 would turn its telemetry off): an empty
body exports nothing, and succeeds.
"""

from __future__ import annotations

import json
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from .. import jsonlimits
from ..telemetry import SIGNALS
from .common import BadRequest, error_response, read_body, request_viewer

MAX_OTLP_BODY = 16 * 1024 * 1024
PROTOBUF = "application/x-protobuf"
JSON = "application/json"


def _messages(signal: str) -> tuple[Any, Any]:
    """The signal's (request, response) protobuf classes."""
    # Deliberately here: the first export pays for protobuf, not the server's start.
    from opentelemetry.proto.collector.logs.v1 import logs_service_pb2
    from opentelemetry.proto.collector.metrics.v1 import metrics_service_pb2
    from opentelemetry.proto.collector.trace.v1 import trace_service_pb2

    classes: dict[str, tuple[Any, Any]] = {
        "metrics": (
            metrics_service_pb2.ExportMetricsServiceRequest,
            metrics_service_pb2.ExportMetricsServiceResponse,
        ),
        "logs": (
            logs_service_pb2.ExportLogsServiceRequest,
            logs_service_pb2.ExportLogsServiceResponse,
        ),
        "traces": (
            trace_service_pb2.ExportTraceServiceRequest,
            trace_service_pb2.ExportTraceServiceResponse,
        ),
    }
    return classes[signal]


def _decoded_protobuf(signal: str, body: bytes) -> dict[str, Any]:
    from google.protobuf import json_format
    from google.protobuf.message import DecodeError

    request_class, _ = _messages(signal)
    try:
        message = request_class.FromString(body)
    except DecodeError as exc:
        raise BadRequest(400, f"malformed OTLP protobuf body: {exc}") from exc
    return json_format.MessageToDict(message)


def _decoded_json(body: bytes) -> dict[str, Any]:
    try:
        decoded = jsonlimits.loads(body)
    except (jsonlimits.TooDeep, json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise BadRequest(400, f"malformed OTLP JSON body: {exc}") from exc
    if not isinstance(decoded, dict):
        raise BadRequest(400, "an OTLP JSON body is an object")
    return decoded


async def export(request: Request) -> Response:
    signal = request.path_params["signal"]
    if signal not in SIGNALS:
        return error_response(404, f"no OTLP signal {signal!r}; there are {', '.join(SIGNALS)}")
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    try:
        body = await read_body(request, MAX_OTLP_BODY)
        if not body and not content_type:
            return Response(status_code=200)  # the exporter's probe
        if content_type not in (PROTOBUF, JSON):
            return error_response(415, f"OTLP bodies are {PROTOBUF} or {JSON}")
        if content_type == PROTOBUF:
            decoded = _decoded_protobuf(signal, body)
        else:
            decoded = _decoded_json(body)
    except BadRequest as exc:
        return error_response(exc.status, exc.message)
    viewer = await request_viewer(request)
    username = viewer.username if viewer else None
    request.app.state.emulator.telemetry.record(signal, username, content_type, decoded)
    if content_type == PROTOBUF:
        _, response_class = _messages(signal)
        return Response(response_class().SerializeToString(), media_type=PROTOBUF)
    return JSONResponse({})
