"""Test-author tooling for automations: a loopback webhook receiver, and helpers that
send the SDK's own documents for what `wandb.Api` has no method for (creating a generic
webhook integration, team secrets).

    receiver = WebhookReceiver().start()
    hook = create_webhook_integration(api, "my-team", "deploy", receiver.url)
    ...  # an automation sending to `hook`, then the event
    [request] = receiver.wait_for(1, timeout=10)
    assert request.json["alias"] == "production"
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

INSERT_SECRET_GQL = """
mutation InsertSecret($entityName: String!, $secretName: String!, $secretValue: String!) {
  insertSecret(
    input: {entityName: $entityName, secretName: $secretName, secretValue: $secretValue}
  ) {
    success
  }
}
"""
DELETE_SECRET_GQL = """
mutation DeleteSecret($entityName: String!, $secretName: String!) {
  deleteSecret(input: {entityName: $entityName, secretName: $secretName}) { success }
}
"""
SECRETS_GQL = """
query EntitySecrets($entityName: String!) {
  entity(name: $entityName) { secrets { name createdAt } }
}
"""


@dataclass(frozen=True)
class ReceivedRequest:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    received_at: float  # time.perf_counter() when the body had been read

    @property
    def json(self) -> Any:
        return json.loads(self.body)


class WebhookReceiver:
    """An HTTP server on a free loopback port that records every request it receives and
    answers with the queued statuses (then 200)."""

    def __init__(self) -> None:
        self.requests: list[ReceivedRequest] = []
        self._statuses: deque[int] = deque()
        self._delay_s = 0.0
        self._released = threading.Event()
        self._released.set()
        self._cond = threading.Condition()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                receiver._receive(self)

            do_PUT = do_POST

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        port = self._server.server_address[1]
        return f"http://127.0.0.1:{port}/hook"

    def start(self) -> WebhookReceiver:
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="webhook-receiver", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._released.set()
        if self._thread is not None:
            self._server.shutdown()
            self._thread = None
        self._server.server_close()

    def __enter__(self) -> WebhookReceiver:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def respond_with(self, statuses: Iterable[int], *, delay_s: float = 0.0) -> None:
        """Answer the next requests with these statuses (then 200), each after `delay_s`."""
        with self._cond:
            self._statuses.extend(statuses)
            self._delay_s = delay_s

    def hold(self) -> None:
        """Keep incoming requests waiting (unanswered) until `release()`."""
        self._released.clear()

    def release(self) -> None:
        self._released.set()

    def clear(self) -> None:
        with self._cond:
            self.requests.clear()
            self._statuses.clear()
            self._delay_s = 0.0

    def wait_for(self, count: int, timeout: float = 10.0) -> list[ReceivedRequest]:
        """The first `count` requests, once they have arrived; AssertionError on timeout."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while len(self.requests) < count:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise AssertionError(
                        f"expected {count} webhook request(s) within {timeout}s,"
                        f" got {len(self.requests)}"
                    )
                self._cond.wait(remaining)
            return list(self.requests[:count])

    def _receive(self, handler: BaseHTTPRequestHandler) -> None:
        length = int(handler.headers.get("Content-Length") or 0)
        body = handler.rfile.read(length)
        received_at = time.perf_counter()
        with self._cond:
            status = self._statuses.popleft() if self._statuses else 200
            delay = self._delay_s
        if delay:
            time.sleep(delay)
        self._released.wait()
        request = ReceivedRequest(
            handler.command,
            handler.path,
            {k: v for k, v in handler.headers.items()},
            body,
            received_at,
        )
        handler.send_response(status)
        handler.send_header("Content-Length", "0")
        handler.end_headers()
        with self._cond:
            self.requests.append(request)
            self._cond.notify_all()


def create_webhook_integration(
    api: Any,
    entity: str,
    name: str,
    url: str,
    *,
    access_token_ref: str | None = None,
    secret_ref: str | None = None,
) -> Any:
    """Create a generic webhook integration with the SDK's own mutation; returns the
    SDK's `WebhookIntegration`."""
    from wandb.automations import WebhookIntegration
    from wandb.automations._generated import (
        CREATE_GENERIC_WEBHOOK_INTEGRATION_GQL,
        CreateGenericWebhookIntegration,
        CreateGenericWebhookIntegrationInput,
    )

    variables = CreateGenericWebhookIntegrationInput.model_validate(
        {
            "entityName": entity,
            "name": name,
            "urlEndpoint": url,
            "accessTokenRef": access_token_ref,
            "secretRef": secret_ref,
        }
    ).model_dump()
    data = api._service_api.execute_graphql(
        CREATE_GENERIC_WEBHOOK_INTEGRATION_GQL,
        variables={"input": variables},
        parse=CreateGenericWebhookIntegration.model_validate_json,
    )
    return WebhookIntegration.model_validate(data.result.integration)


def insert_secret(api: Any, entity: str, name: str, value: str) -> None:
    """Create or replace a team secret (its value is write-only)."""
    variables = {"entityName": entity, "secretName": name, "secretValue": value}
    api._service_api.execute_graphql(INSERT_SECRET_GQL, variables=variables)


def delete_secret(api: Any, entity: str, name: str) -> None:
    variables = {"entityName": entity, "secretName": name}
    api._service_api.execute_graphql(DELETE_SECRET_GQL, variables=variables)


def secret_names(api: Any, entity: str) -> list[str]:
    data = api._service_api.execute_graphql(SECRETS_GQL, variables={"entityName": entity})
    return [secret["name"] for secret in data["entity"]["secrets"]]
