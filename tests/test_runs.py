"""Runs through the real SDK: wandb.init, logging, file_stream, resume, finish."""

from __future__ import annotations

import gzip
import json

import httpx
import pytest
import wandb
from conftest import OrgSetup

from wandb_emulator.testing import RunningEmulator


def settings_for(setup: OrgSetup) -> wandb.Settings:
    return wandb.Settings(api_key=setup.admin.api_key, base_url=setup.admin.base_url, silent=True)


def test_init_log_finish_shows_config_summary_and_state(org_setup: OrgSetup) -> None:
    with wandb.init(
        entity=org_setup.team,
        project="fresh-project",
        config={"lr": 0.01, "bs": 32},
        settings=settings_for(org_setup),
    ) as run:
        for step in range(5):
            run.log({"loss": 1.0 / (step + 1), "step": step})
        run.summary["best"] = 0.2
        run_id = run.id

    public = org_setup.admin.api().run(f"{org_setup.team}/fresh-project/{run_id}")
    assert public.state == "finished"
    assert public.config["lr"] == 0.01 and public.config["bs"] == 32
    assert public.summary["loss"] == pytest.approx(0.2)
    assert public.summary["best"] == 0.2
    assert public.summary["_step"] == 4
    assert public.lastHistoryStep == 4


def test_console_output_reaches_the_run(org_setup: OrgSetup, server: RunningEmulator) -> None:
    settings = wandb.Settings(
        api_key=org_setup.admin.api_key,
        base_url=org_setup.admin.base_url,
        silent=True,
        console="wrap",
    )
    with wandb.init(entity=org_setup.team, project="console", settings=settings) as run:
        for n in range(3):
            print(f"epoch {n} done")
        run_id = run.id
    query = """query ($e: String!, $r: String!) { project(name: "console", entityName: $e) {
      run(name: $r) { logLineCount historyLineCount } } }"""
    counts = server.graphql(org_setup.admin.api_key, query, {"e": org_setup.team, "r": run_id})
    assert counts.json()["data"]["project"]["run"]["logLineCount"] >= 3


def test_failed_run_is_marked_failed(org_setup: OrgSetup) -> None:
    run = wandb.init(entity=org_setup.team, project="failing", settings=settings_for(org_setup))
    run.finish(exit_code=3)
    public = org_setup.admin.api().run(f"{org_setup.team}/failing/{run.id}")
    assert public.state == "failed"


def test_runs_in_a_personal_entity(org_setup: OrgSetup) -> None:
    user = org_setup.admin
    with wandb.init(entity=user.username, project="mine", settings=settings_for(org_setup)) as run:
        run.log({"x": 1})
    assert org_setup.admin.api().run(f"{user.username}/mine/{run.id}").state == "finished"


def test_resume_continues_the_same_run(org_setup: OrgSetup) -> None:
    settings = settings_for(org_setup)
    with wandb.init(
        entity=org_setup.team, project="resumable", id="resume-me", settings=settings
    ) as run:
        run.log({"epoch": 0})
        run.log({"epoch": 1})
    with wandb.init(
        entity=org_setup.team, project="resumable", id="resume-me", resume="must", settings=settings
    ) as run:
        assert run.resumed
        assert run.starting_step == 2
        run.log({"epoch": 2})
    public = org_setup.admin.api().run(f"{org_setup.team}/resumable/resume-me")
    assert public.summary["epoch"] == 2
    assert public.lastHistoryStep == 2
    assert len(list(org_setup.admin.api().runs(f"{org_setup.team}/resumable"))) == 1


def test_resume_must_fails_for_an_unknown_run(org_setup: OrgSetup) -> None:
    with pytest.raises(wandb.errors.UsageError):
        wandb.init(
            entity=org_setup.team,
            project="nothing-here",
            id="never-ran",
            resume="must",
            settings=settings_for(org_setup),
        )


def test_runs_listing_with_filters(org_setup: OrgSetup) -> None:
    for lr in (0.1, 0.2, 0.3):
        with wandb.init(
            entity=org_setup.team,
            project="sweepish",
            config={"lr": lr},
            settings=settings_for(org_setup),
        ) as run:
            run.log({"acc": lr * 2})
    api = org_setup.admin.api()
    assert len(api.runs(f"{org_setup.team}/sweepish")) == 3
    high = api.runs(f"{org_setup.team}/sweepish", filters={"config.lr": {"$gte": 0.2}})
    assert sorted(r.config["lr"] for r in high) == [0.2, 0.3]


def test_viewers_outside_the_team_cannot_log(org_setup: OrgSetup) -> None:
    outsider = org_setup.member()
    settings = wandb.Settings(api_key=outsider.api_key, base_url=outsider.base_url, silent=True)
    with pytest.raises(wandb.errors.Error, match="permission denied"):
        wandb.init(entity=org_setup.team, project="guarded", settings=settings)


def test_file_stream_accepts_gzip_and_rejects_bad_input(
    org_setup: OrgSetup, server: RunningEmulator
) -> None:
    with wandb.init(entity=org_setup.team, project="raw", settings=settings_for(org_setup)) as run:
        run_id = run.id
    url = f"{server.base_url}/files/{org_setup.team}/raw/{run_id}/file_stream"
    body = {"files": {"wandb-summary.json": {"offset": 0, "content": ['{"late": 7}']}}}
    response = httpx.post(
        url,
        content=gzip.compress(json.dumps(body).encode()),
        headers={"content-encoding": "gzip"},
        auth=("api", org_setup.admin.api_key),
    )
    assert response.status_code == 200
    assert org_setup.admin.api().run(f"{org_setup.team}/raw/{run_id}").summary["late"] == 7

    bad = httpx.post(
        url,
        json={"files": {"output.log": {"offset": -1, "content": ["x"]}}},
        auth=("api", org_setup.admin.api_key),
    )
    assert bad.status_code == 400
    missing = httpx.post(
        f"{server.base_url}/files/{org_setup.team}/raw/nope/file_stream",
        json={},
        auth=("api", org_setup.admin.api_key),
    )
    assert missing.status_code == 404
    anonymous = httpx.post(url, json={})
    assert anonymous.status_code == 401


def test_run_files_are_uploaded_and_downloadable(org_setup: OrgSetup, tmp_path) -> None:
    with wandb.init(
        entity=org_setup.team, project="files", settings=settings_for(org_setup)
    ) as run:
        notes = tmp_path / "notes.txt"
        notes.write_text("remember this")
        run.save(str(notes), base_path=str(tmp_path), policy="now")
        run_id = run.id
    public = org_setup.admin.api().run(f"{org_setup.team}/files/{run_id}")
    names = {f.name for f in public.files()}
    assert {"notes.txt", "wandb-metadata.json", "config.yaml"} <= names
    saved = public.file("notes.txt")
    assert saved.size == len("remember this")
    with saved.download(root=str(tmp_path / "out")) as downloaded:
        assert downloaded.read() == "remember this"


def test_projects_of_an_entity(org_setup: OrgSetup) -> None:
    for name in ("alpha", "beta"):
        with wandb.init(entity=org_setup.team, project=name, settings=settings_for(org_setup)):
            pass
    api = org_setup.admin.api()
    assert sorted(p.name for p in api.projects(org_setup.team)) == ["alpha", "beta"]
    assert api.project("alpha", org_setup.team).name == "alpha"
    outsider = org_setup.accounts.user().api()
    assert list(outsider.projects(org_setup.team)) == []


def test_history_reads(org_setup: OrgSetup) -> None:
    with wandb.init(
        entity=org_setup.team, project="history", settings=settings_for(org_setup)
    ) as run:
        for step in range(10):
            row = {"loss": 10 - step}
            if step % 2 == 0:
                row["acc"] = step / 10
            run.log(row)
        run_id = run.id
    public = org_setup.admin.api().run(f"{org_setup.team}/history/{run_id}")
    full = public.history(pandas=False)
    assert [r["loss"] for r in full] == list(range(10, 0, -1))
    sampled = public.history(keys=["acc"], pandas=False)
    assert [r["acc"] for r in sampled] == [0.0, 0.2, 0.4, 0.6, 0.8]
    assert set(sampled[0]) == {"_step", "acc"}
    assert len(public.history(samples=3, pandas=False)) == 3
    scanned = list(public.scan_history(keys=["loss"]))
    assert [r["loss"] for r in scanned] == list(range(10, 0, -1))
    assert [r["_step"] for r in public.scan_history(min_step=7)] == [7, 8, 9]


# Documents that SDK 0.22.3 and 0.28.2 send from Python (`wandb/sdk/internal/internal_api.py`).
LEGACY_RUN_INFO = """query RunInfo($project: String!, $entity: String!, $name: String!) {
  project(name: $project, entityName: $entity) { run(name: $name) { runInfo {
    program args os python colab executable codeSaved cpuCount gpuCount gpu
    git { remote commit } } } } }"""
LEGACY_PROJECT_RUNS = """query ProjectRuns($model: String!, $entity: String) {
  model(name: $model, entityName: $entity) { buckets(first: 10) {
    edges { node { id name displayName description } } } } }"""
LEGACY_UPLOAD_URLS = """query RunUploadUrls($name: String!, $files: [String]!, $entity: String,
    $run: String!, $description: String) {
  model(name: $name, entityName: $entity) { bucket(name: $run, desc: $description) {
    id files(names: $files) { uploadHeaders edges { node { name url(upload: true) updatedAt } } }
  } } }"""


# On a bucket a run file is recorded when the client says it is uploaded, not at the PUT.
@pytest.mark.local_blobs
def test_legacy_run_documents_are_answered(org_setup: OrgSetup, server: RunningEmulator) -> None:
    with wandb.init(
        entity=org_setup.team, project="legacy", settings=settings_for(org_setup)
    ) as run:
        run_id = run.id
    key, team = org_setup.admin.api_key, org_setup.team
    variables = {"project": "legacy", "entity": team, "name": run_id}
    info = server.graphql(key, LEGACY_RUN_INFO, variables).json()["data"]["project"]["run"]
    assert info["runInfo"]["python"] and info["runInfo"]["os"]
    runs = server.graphql(key, LEGACY_PROJECT_RUNS, {"model": "legacy", "entity": team}).json()
    assert [e["node"]["name"] for e in runs["data"]["model"]["buckets"]["edges"]] == [run_id]

    variables = {"name": "legacy", "entity": team, "run": run_id, "files": ["config.yaml"]}
    bucket = server.graphql(key, LEGACY_UPLOAD_URLS, variables).json()["data"]["model"]["bucket"]
    [edge] = bucket["files"]["edges"]
    assert bucket["files"]["uploadHeaders"] == []
    put = httpx.put(edge["node"]["url"], content=b"lr: 0.5\n")
    assert put.status_code == 200, put.text
    config = org_setup.admin.api().run(f"{team}/legacy/{run_id}").file("config.yaml")
    assert config.size == len(b"lr: 0.5\n")
