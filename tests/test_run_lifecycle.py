"""Runs changed from outside their process, through the real SDK: run.alert(), stopping
a live run, its state, console logs, deleting files and deleting runs."""

from __future__ import annotations

import re
import threading
from pathlib import Path

import httpx
import pytest
import wandb
from conftest import OrgSetup, journal_mark, journal_since, log_artifacts
from test_runs import settings_for
from wandb.sdk.lib.service.service_connection import WandbApiFailedError

from wandb_emulator.testing import RunningEmulator
from wandb_emulator.ui import links

CSRF = re.compile(r'name="csrf" value="([^"]+)"')


def signed_in(server: RunningEmulator, api_key: str) -> httpx.Client:
    """A browser-like client signed in to the web UI with an API key."""
    client = httpx.Client(base_url=server.base_url, timeout=10)
    client.post(links.LOGOUT, data={"csrf": _csrf(client)})  # no loopback auto sign-in
    response = client.post(
        links.LOGIN, data={"api_key": api_key, "csrf": _csrf(client), "next": "/"}
    )
    assert response.status_code == 303, response.text
    return client


def _csrf(client: httpx.Client) -> str:
    match = CSRF.search(client.get(links.LOGIN).text)
    assert match is not None
    return match.group(1)


def init(setup: OrgSetup, project: str) -> wandb.Run:
    return wandb.init(entity=setup.team, project=project, settings=settings_for(setup))


def test_alerts_are_recorded_and_shown_on_the_run_page_and_the_panel(
    org_setup: OrgSetup, server: RunningEmulator
) -> None:
    mark = journal_mark(server)
    with wandb.init(
        entity=org_setup.team, project="alerts", settings=settings_for(org_setup)
    ) as run:
        run.alert(title="Loss diverged", text="loss is nan at step 7", level=wandb.AlertLevel.ERROR)
        run.alert(title="Halfway", text="epoch 5 of 10", wait_duration=300)
        run.alert(title="Halfway", text="sent again within 300 s: not sent")
        run_id = run.id
    sent = [e for e in journal_since(server, mark) if e["operation"] == "NotifyScriptableRunAlert"]
    assert [e["variables"]["title"] for e in sent] == ["Loss diverged", "Halfway", "Halfway"]
    assert all(e["status"] == 200 and not e["errors"] for e in sent)

    browser = signed_in(server, org_setup.admin.api_key)
    page = browser.get(links.run(org_setup.team, "alerts", run_id)).text
    browser.close()
    alerts = page[page.index('id="alerts"') : page.index('id="output"')]
    assert alerts.index("Loss diverged") < alerts.index("Halfway")
    assert "ERROR" in alerts and "loss is nan at step 7" in alerts
    assert "INFO" in alerts and "wait 300.0 s" in alerts
    assert "not sent" not in alerts

    panel = httpx.get(server.base_url + links.PANEL, timeout=10).text  # the default admin
    rows = panel[panel.index('id="alerts-h"') :]
    assert rows.index("Halfway") < rows.index("Loss diverged")  # newest first
    assert f"{org_setup.team}/alerts/{run_id}" in rows


def test_stop_reaches_the_running_process_through_its_heartbeat(org_setup: OrgSetup) -> None:
    stopped = threading.Event()
    settings = settings_for(org_setup)
    settings.stop_fn = stopped.set
    run = wandb.init(entity=org_setup.team, project="stoppable", settings=settings)
    try:
        run.log({"loss": 1.0})
        public = org_setup.admin.api().run(f"{org_setup.team}/stoppable/{run.id}")
        assert not stopped.wait(1)
        public.stop()
        # wandb-core checks the flag at each heartbeat; the SDK asks every 15 seconds.
        assert stopped.wait(60), "the run's process was never told to stop"
    finally:
        run.finish(exit_code=255)
    public.load(force=True)
    assert public.state == "killed"


def test_stopping_a_finished_run_changes_nothing(org_setup: OrgSetup) -> None:
    with init(org_setup, "done") as run:
        run.log({"x": 1})
    public = org_setup.admin.api().run(f"{org_setup.team}/done/{run.id}")
    public.stop()
    public.load(force=True)
    assert public.state == "finished"


def test_update_state_follows_the_sdks_transitions(org_setup: OrgSetup) -> None:
    run = wandb.init(entity=org_setup.team, project="states", settings=settings_for(org_setup))
    run.finish(exit_code=1)
    api = org_setup.admin.api()
    public = api.run(f"{org_setup.team}/states/{run.id}")
    assert public.state == "failed"
    assert public.update_state("pending") is True
    assert api.run(f"{org_setup.team}/states/{run.id}").state == "pending"
    assert public.update_state("failed") is True
    with pytest.raises(
        wandb.Error, match=r"cannot change the state of run .* from failed to failed"
    ):
        public.update_state("failed")
    with pytest.raises(wandb.Error, match="can only be set to failed or pending"):
        public.update_state("finished")
    outsider = org_setup.accounts.user().api()
    with pytest.raises(wandb.Error, match="not found"):
        outsider.run(f"{org_setup.team}/states/{run.id}")


def test_console_logs_are_read_back_page_by_page_and_from_the_tail(org_setup: OrgSetup) -> None:
    settings = settings_for(org_setup)
    settings.console = "wrap"
    with wandb.init(entity=org_setup.team, project="console-logs", settings=settings) as run:
        for n in range(25):
            print(f"epoch {n}")
        run_id = run.id
    public = org_setup.admin.api().run(f"{org_setup.team}/console-logs/{run_id}")
    lines = list(public.console_logs(per_page=10))
    epochs = [line.content for line in lines if line.content.startswith("epoch ")]
    assert epochs == [f"epoch {n}" for n in range(25)]
    assert [line.number for line in lines] == list(range(len(lines)))
    assert all(line.timestamp is not None and line.level == "" for line in lines)
    tail = list(public.console_logs(last=3))
    assert [line.number for line in tail] == [len(lines) - 3, len(lines) - 2, len(lines) - 1]
    assert [line.content for line in tail] == [line.content for line in lines[-3:]]


def test_a_deleted_file_is_gone_from_the_run(org_setup: OrgSetup, tmp_path: Path) -> None:
    with wandb.init(
        entity=org_setup.team, project="files", settings=settings_for(org_setup)
    ) as run:
        for name in ("keep.txt", "drop.txt"):
            (tmp_path / name).write_text(name)
            run.save(str(tmp_path / name), base_path=str(tmp_path), policy="now")
        run_id = run.id
    public = org_setup.admin.api().run(f"{org_setup.team}/files/{run_id}")
    public.file("drop.txt").delete()
    names = {f.name for f in org_setup.admin.api().run(f"{org_setup.team}/files/{run_id}").files()}
    assert "keep.txt" in names and "drop.txt" not in names


def test_a_deleted_run_is_gone_and_its_artifacts_stay(org_setup: OrgSetup, tmp_path: Path) -> None:
    logged = log_artifacts(
        org_setup.admin,
        org_setup.team,
        [("weights", "model", {"w.bin": b"weights"})],
        tmp_path,
        project="deleting",
    )
    api = org_setup.admin.api()
    path = f"{org_setup.team}/deleting/{logged.run_id}"
    api.run(path).delete()
    with pytest.raises(wandb.errors.CommError, match="Could not find run"):
        org_setup.admin.api().run(path)
    assert list(org_setup.admin.api().runs(f"{org_setup.team}/deleting")) == []
    artifact = org_setup.admin.api().artifact(f"{org_setup.team}/deleting/weights:v0")
    assert artifact.logged_by() is None
    downloaded = Path(artifact.download(str(tmp_path / "out")))
    assert (downloaded / "w.bin").read_bytes() == b"weights"


def test_deleting_a_run_with_its_artifacts_deletes_them_and_their_links(
    org_setup: OrgSetup, tmp_path: Path
) -> None:
    api = org_setup.admin.api()
    api.create_registry("deletions", visibility="organization")
    settings = settings_for(org_setup)
    with wandb.init(entity=org_setup.team, project="deleting", settings=settings) as run:
        (tmp_path / "w.bin").write_bytes(b"weights")
        artifact = wandb.Artifact("weights", type="model")
        artifact.add_file(str(tmp_path / "w.bin"))
        run.log_artifact(artifact, aliases=["best"])
        run.link_artifact(artifact, "wandb-registry-deletions/weights")
        run_id = run.id
    with wandb.init(entity=org_setup.team, project="deleting", settings=settings) as other:
        other.use_artifact(f"{org_setup.team}/deleting/weights:v0")
        other_id = other.id
    assert len(list(api.registry("deletions").versions())) == 1

    api.run(f"{org_setup.team}/deleting/{run_id}").delete(delete_artifacts=True)

    fresh = org_setup.admin.api()
    assert not fresh.artifact_exists(f"{org_setup.team}/deleting/weights:v0")
    assert list(fresh.registry("deletions").versions()) == []
    assert list(fresh.run(f"{org_setup.team}/deleting/{other_id}").used_artifacts()) == []
    assert [r.id for r in fresh.runs(f"{org_setup.team}/deleting")] == [other_id]


def test_only_project_members_delete_runs(org_setup: OrgSetup) -> None:
    with wandb.init(
        entity=org_setup.team, project="guarded", settings=settings_for(org_setup)
    ) as run:
        run.log({"x": 1})
    viewer = org_setup.member("viewer")
    public = org_setup.admin.api().run(f"{org_setup.team}/guarded/{run.id}")
    public._service_api = viewer.api()._service_api  # the same run, asked by an org viewer
    with pytest.raises(wandb.Error, match=r"not found|permission denied"):
        public.delete()
    assert org_setup.admin.api().run(f"{org_setup.team}/guarded/{run.id}").state == "finished"


def test_custom_charts_are_saved_per_entity(org_setup: OrgSetup) -> None:
    api = org_setup.admin.api()
    spec = {"$schema": "https://vega.github.io/schema/vega-lite/v5.json", "mark": "bar"}
    chart_id = api.create_custom_chart(
        entity=org_setup.team,
        name="bars",
        display_name="Bars",
        spec_type="vega2",
        access="private",
        spec=spec,
    )
    assert chart_id == f"{org_setup.team}/bars"
    with pytest.raises(WandbApiFailedError, match="already exists"):
        api.create_custom_chart(org_setup.team, "bars", "Bars", "vega2", "private", spec)
    outsider = org_setup.accounts.user().api()
    with pytest.raises(WandbApiFailedError, match=r"permission denied|not found"):
        outsider.create_custom_chart(org_setup.team, "mine", "Mine", "vega2", "public", spec)


ORG_FEATURE_FLAGS = """query OrgFeatureFlags($org: String!) {
  organization(name: $org) { featureFlags(rampIDType: OrgName) { rampKey isEnabled } } }"""


def test_reports_are_listed_empty_and_no_feature_flag_is_ramped(
    org_setup: OrgSetup, server: RunningEmulator
) -> None:
    with init(org_setup, "reported") as run:
        run.log({"x": 1})
    api = org_setup.admin.api()
    assert list(api.reports(f"{org_setup.team}/reported")) == []
    flags = server.graphql(org_setup.admin.api_key, ORG_FEATURE_FLAGS, {"org": org_setup.org})
    assert flags.json() == {"data": {"organization": {"featureFlags": []}}}
