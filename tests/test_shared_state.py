"""Two `serve` processes on one database behave as one server for the state that used to
be each process's own: the request journal holds both processes' requests, a one-shot
fault fires once in all, a webhook is delivered once whichever process committed its
event, and a reset through one clears what the other shows. `make test-postgres` runs
these on PostgreSQL."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
import wandb
from conftest import EmulatorProcess
from wandb.automations import OnAddArtifactAlias, SendWebhook

from wandb_emulator.testing.webhooks import WebhookReceiver, create_webhook_integration

Pair = tuple[EmulatorProcess, EmulatorProcess]
SETTLE_S = 10.0  # another process writes its journal entry just after its answer


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Pair]:
    data_dir = tmp_path_factory.mktemp("shared-state") / "data"
    with EmulatorProcess(data_dir) as first, EmulatorProcess(data_dir) as second:
        yield first, second


def control(server: EmulatorProcess, method: str, path: str, **kwargs: Any) -> Any:
    response = server.client.request(
        method, "/_emulator" + path, headers=server.control_headers, **kwargs
    )
    assert response.status_code < 300, response.text
    return response.json()


def eventually(check: Callable[[], bool]) -> None:
    deadline = time.monotonic() + SETTLE_S
    while not check():
        assert time.monotonic() < deadline, "not within the settling time"
        time.sleep(0.05)


def journal_operations(server: EmulatorProcess) -> list[str]:
    return [entry["operation"] for entry in control(server, "GET", "/journal")["entries"]]


def ask(server: EmulatorProcess, operation: str) -> None:
    """A GraphQL request the journal records under `operation`."""
    key = server.accounts.org_admin().api_key
    assert server.graphql(key, f"query {operation} {{ viewer {{ id }} }}").status_code == 200


def test_the_journal_holds_both_processes_requests(pair: Pair) -> None:
    first, second = pair
    control(first, "DELETE", "/journal")
    ask(first, "ToFirst")
    ask(second, "ToSecond")
    for server in pair:
        eventually(lambda s=server: {"ToFirst", "ToSecond"} <= set(journal_operations(s)))
    # The answering process's own entry is there as soon as its client has the answer.
    ask(second, "Again")
    assert "Again" in journal_operations(second)


def test_a_one_shot_fault_fires_once_across_processes(pair: Pair) -> None:
    first, second = pair
    control(first, "DELETE", "/faults")
    rule = control(second, "POST", "/faults", json={"path": "/ready", "status": 503, "times": 1})

    def probe(server: EmulatorProcess) -> int:
        return httpx.get(server.base_url + "/ready", timeout=30).status_code

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(probe, [first, second] * 10))
    assert sorted(statuses) == [200] * 19 + [503]
    [shown] = control(first, "GET", "/faults")["faults"]
    assert (shown["id"], shown["hits"], shown["exhausted"]) == (rule["fault"]["id"], 1, True)


def test_a_webhook_is_delivered_once_whichever_process_commits(pair: Pair, tmp_path: Path) -> None:
    first = pair[0]
    user = first.accounts.org_admin()
    apis = [wandb.Api(api_key=user.api_key, overrides={"base_url": s.base_url}) for s in pair]
    settings = wandb.Settings(api_key=user.api_key, base_url=first.base_url, silent=True)
    with wandb.init(entity=user.team, project="train", settings=settings) as run:
        artifact = wandb.Artifact("clf", type="model")
        (tmp_path / "model.pt").write_bytes(b"weights")
        artifact.add_file(str(tmp_path / "model.pt"))
        run.log_artifact(artifact).wait()
    collection = apis[0].artifact_collection("model", f"{user.team}/train/clf")
    with WebhookReceiver() as receiver:
        hook = create_webhook_integration(apis[0], user.team, "ci", receiver.url)
        event = OnAddArtifactAlias(scope=collection, filter={})
        apis[0].create_automation(event >> SendWebhook.from_integration(hook), name="shared")
        for api, alias in zip(apis, ("through-first", "through-second"), strict=True):
            version = api.artifact(f"{user.team}/train/clf:v0")
            version.aliases.append(alias)
            version.save()
        for server in pair:  # waits for deliveries under way in either process
            deliveries = control(server, "GET", "/deliveries?wait=true")["deliveries"]
            mine = [d for d in deliveries if d["automation"]["name"] == "shared"]
            assert sorted(d["event"]["alias"] for d in mine) == ["through-first", "through-second"]
            assert {d["outcome"] for d in mine} == {"delivered"}
        assert len(receiver.requests) == 2


def test_a_reset_through_one_clears_what_the_other_shows(pair: Pair) -> None:
    first, second = pair
    control(first, "POST", "/faults", json={"operation": "Nope", "error": "x"})
    ask(second, "BeforeReset")
    eventually(lambda: "BeforeReset" in journal_operations(first))
    control(first, "POST", "/automations", json={"retries": 1})
    control(second, "POST", "/reset")
    assert control(first, "GET", "/faults")["faults"] == []
    assert control(first, "GET", "/journal")["entries"] == []
    assert control(first, "GET", "/deliveries")["deliveries"] == []
    assert control(first, "GET", "/automations")["retries"] == 1  # settings outlive a reset
    control(first, "POST", "/automations", json={"retries": 3})
