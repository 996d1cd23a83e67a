"""Automation delivery latency: from the commit of an event to the webhook receiver
having read the request, median over 100 deliveries, asynchronous (the default) and
synchronous delivery.

An `OnAddArtifactAlias` automation on a collection sends to a loopback receiver in this
process; each round commits a write that emits `AliasAdded` (through the emulator's
unit of work, on the server's loop) and times until the receiver has the body. The
clock starts just before the transaction's COMMIT, so the figure includes the commit,
the event bus, matching, rendering and the HTTP POST. Target: under 20 ms (median).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import wandb
from wandb.automations import OnAddArtifactAlias, SendWebhook

from wandb_emulator.domain.events import AliasAdded
from wandb_emulator.ids import decode_any
from wandb_emulator.testing import RunningEmulator
from wandb_emulator.testing.webhooks import WebhookReceiver, create_webhook_integration

ROUNDS = 100
TARGET_MS = 20.0
PAYLOAD = {"version": "${artifact_version_string}", "alias": "${alias}", "by": "${event_author}"}


def prepare(emulator: RunningEmulator, receiver: WebhookReceiver, work: Path) -> AliasAdded:
    user = emulator.new_user()
    api = user.api()
    settings = wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)
    with wandb.init(entity=user.team, project="bench", settings=settings) as run:
        artifact = wandb.Artifact("clf", type="model")
        (work / "model.pt").write_bytes(b"weights")
        artifact.add_file(str(work / "model.pt"))
        run.log_artifact(artifact).wait()
    collection = api.artifact_collection("model", f"{user.team}/bench/clf")
    hook = create_webhook_integration(api, user.team, "bench", receiver.url)
    event = OnAddArtifactAlias(scope=collection)
    api.create_automation(event >> SendWebhook.from_integration(hook, payload=PAYLOAD), name="b")
    artifact = api.artifact(f"{user.team}/bench/clf:v0")
    return AliasAdded(
        actor_id=decode_any(api.viewer.id)[1],
        artifact_id=decode_any(artifact.id)[1],
        collection_id=decode_any(collection.id)[1],
        project_id=decode_any(api.project("bench", user.team).id)[1],
        alias="production",
    )


def one_round(emulator: RunningEmulator, receiver: WebhookReceiver, event: AliasAdded) -> float:
    async def commit() -> float:
        async with emulator.emulator.uow.write() as tx:
            tx.emit(event)
            started = time.perf_counter()
        return started

    count = len(receiver.requests)
    started = emulator.call(commit())
    request = receiver.wait_for(count + 1)[-1]
    return (request.received_at - started) * 1e3


def measure(emulator: RunningEmulator, receiver: WebhookReceiver, event: AliasAdded) -> list[float]:
    for _ in range(5):  # warm up: connections, caches
        one_round(emulator, receiver, event)
    return [one_round(emulator, receiver, event) for _ in range(ROUNDS)]


def report(label: str, times: list[float]) -> float:
    median = statistics.median(times)
    p95 = sorted(times)[int(len(times) * 0.95) - 1]
    print(f"{label:<13} median {median:6.2f} ms   p95 {p95:6.2f} ms   max {max(times):6.2f} ms")
    return median


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="wandb-emulator-bench-"))
    os.environ.update(WANDB_DIR=str(work), WANDB_SILENT="true")  # no ./wandb run directory
    with RunningEmulator(work / "data") as emulator, WebhookReceiver() as receiver:
        event = prepare(emulator, receiver, work)
        print(f"event commit -> webhook received, {ROUNDS} deliveries each:")
        medians = []
        for synchronous in (False, True):
            emulator.configure_deliveries(synchronous=synchronous)
            label = "synchronous" if synchronous else "asynchronous"
            medians.append(report(label, measure(emulator, receiver, event)))
        failed = [d for d in emulator.deliveries() if d["outcome"] != "delivered"]
        assert not failed, failed
    ok = max(medians) < TARGET_MS
    print(f"target: median under {TARGET_MS:.0f} ms: {'met' if ok else 'NOT met'}")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
