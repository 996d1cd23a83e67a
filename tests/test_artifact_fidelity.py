"""Artifact behaviours of the real W&B backend beyond the happy path (issue 8)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
import wandb
from conftest import (
    CONTROL_HEADERS,
    OrgSetup,
    instance_admin_api,
    journal_mark,
    journal_since,
    log_artifacts,
)

from wandb_emulator.testing import Accounts, EmulatorUser, RunningEmulator

# Downloads run in a fresh process: `download(skip_cache=True)` leaves the SDK's shared
# file cache pointing at its destination (ArtifactFileCache._override_cache_path), and
# later downloads in the same process then read the wrong files.
DOWNLOAD = """
import sys, wandb
api = wandb.Api(api_key=sys.argv[1], overrides={"base_url": sys.argv[2]})
print(api.artifact(sys.argv[3]).download(root=sys.argv[4]))
"""


def download_elsewhere(user: EmulatorUser, path: str, tmp_path: Path) -> Path:
    """Download an artifact from a new process with an empty cache; return its root."""
    root, cache = tmp_path / "downloaded", tmp_path / "fresh-cache"
    environ = {**os.environ, "WANDB_CACHE_DIR": str(cache), "WANDB_SILENT": "true"}
    result = subprocess.run(
        [sys.executable, "-c", DOWNLOAD, user.api_key, user.base_url, path, str(root)],
        env=environ,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return root


MANIFEST_QUERY = """query ($id: ID!) { artifact(id: $id) {
    currentManifest { file { directUrl } }
    files { edges { node { name storagePath directUrl } } } } }"""


def test_versions_order_by_version_index(org_setup: OrgSetup, tmp_path: Path) -> None:
    for content in (b"one", b"two", b"three"):
        spec = [("ds", "dataset", {"f": content})]
        log_artifacts(org_setup.admin, org_setup.team, spec, tmp_path)
    api = org_setup.admin.api()
    for order, expected in [
        ("version_index", ["v0", "v1", "v2"]),
        ("+version_index", ["v0", "v1", "v2"]),
        ("-version_index", ["v2", "v1", "v0"]),
    ]:
        versions = api.artifacts("dataset", f"{org_setup.team}/training/ds", order=order)
        assert [a.version for a in versions] == expected, order


@pytest.mark.local_blobs  # its URLs or files are the local store's
def test_file_storage_paths_and_urls_follow_the_wandb_layout(
    server: RunningEmulator, org_setup: OrgSetup, tmp_path: Path
) -> None:
    log_artifacts(org_setup.admin, org_setup.team, [("laid", "model", {"w.bin": b"xyz"})], tmp_path)
    artifact = org_setup.admin.api().artifact(f"{org_setup.team}/training/laid:v0")
    found = server.graphql(org_setup.admin.api_key, MANIFEST_QUERY, {"id": artifact.id}).json()
    node = found["data"]["artifact"]["files"]["edges"][0]["node"]
    md5_hex = "d16fb36f0911f878998c136191af705e"  # md5(b"xyz")
    assert node["storagePath"].startswith("wandb_artifacts/")
    assert node["storagePath"].endswith(f"/{md5_hex}")
    assert len(node["storagePath"].split("/")) == 4
    assert "/wandb_artifacts/" in httpx.URL(node["directUrl"]).path
    manifest_url = found["data"]["artifact"]["currentManifest"]["file"]["directUrl"]
    assert "wandb_artifacts/" not in manifest_url
    assert httpx.get(node["directUrl"], timeout=10).content == b"xyz"


@pytest.mark.local_blobs  # its URLs or files are the local store's
def test_a_403_on_a_file_url_is_followed_by_a_fresh_url_that_works(
    server: RunningEmulator, org_setup: OrgSetup, tmp_path: Path
) -> None:
    log_artifacts(org_setup.admin, org_setup.team, [("denied", "model", {"a.txt": b"A"})], tmp_path)
    artifact = org_setup.admin.api().artifact(f"{org_setup.team}/training/denied:v0")
    faults = server.base_url + "/_emulator/faults"
    # Artifact file URLs only: the manifest is fetched by a client that does not retry.
    file_urls = "/storage/blob/*/wandb_artifacts/*"
    rule = httpx.post(
        faults,
        json={"path": file_urls, "status": 403, "times": 1},
        headers=CONTROL_HEADERS,
        timeout=10,
    ).json()["fault"]
    mark = journal_mark(server)
    try:
        path = f"{org_setup.team}/training/denied:v0"
        root = download_elsewhere(org_setup.admin, path, tmp_path)
    finally:
        httpx.delete(f"{faults}/{rule['id']}", headers=CONTROL_HEADERS, timeout=10)
    assert (root / "a.txt").read_bytes() == b"A"
    seen = journal_since(server, mark)
    file_gets = [e["status"] for e in seen if e["method"] == "GET" and "/graphql" not in e["path"]]
    # The manifest, the denied file URL, then the SDK's retry (0.31.0 falls back to the
    # W&B-routed /artifactsV2 URL) succeeds.
    assert file_gets == [200, 403, 200]
    # What older SDKs do instead: ask for a fresh directUrl by name; it works.
    [fresh] = list(artifact.files(names=["a.txt"]))
    assert httpx.get(fresh.direct_url, timeout=10).content == b"A"


def test_commit_hash_is_stable_and_lets_another_run_use_the_logged_object(
    org_setup: OrgSetup, tmp_path: Path
) -> None:
    spec = [("ch", "model", {"m": b"m"})]
    logged = log_artifacts(org_setup.admin, org_setup.team, spec, tmp_path)
    [artifact] = logged.artifacts
    api = org_setup.admin.api()
    fetched = api.artifact(f"{org_setup.team}/training/ch:v0")
    assert isinstance(fetched.commit_hash, str) and fetched.commit_hash
    assert api.artifact(f"{org_setup.team}/training/ch:latest").commit_hash == fetched.commit_hash

    settings = wandb.Settings(
        api_key=org_setup.admin.api_key, base_url=org_setup.admin.base_url, silent=True
    )
    with wandb.init(entity=org_setup.team, project="training", settings=settings) as run:
        used = run.use_artifact(artifact)
        assert used.commit_hash == fetched.commit_hash
        run_id = run.id
    consumer = api.run(f"{org_setup.team}/training/{run_id}")
    assert [a.name for a in consumer.used_artifacts()] == ["ch:v0"]


def _settings(user) -> wandb.Settings:
    return wandb.Settings(api_key=user.api_key, base_url=user.base_url, silent=True)


def test_distributed_artifact_merges_every_runs_patch_into_one_version(
    server: RunningEmulator, org_setup: OrgSetup, tmp_path: Path
) -> None:
    admin, team = org_setup.admin, org_setup.team
    distributed_id = f"shards-{tmp_path.name}"
    mark = journal_mark(server)
    writers = []
    init = {"entity": team, "project": "training", "group": "g", "settings": _settings(admin)}
    for shard in range(2):
        with wandb.init(**init) as run:
            (tmp_path / f"shard{shard}.txt").write_text(f"shard {shard}")
            part = wandb.Artifact("sharded", type="dataset")
            part.add_file(str(tmp_path / f"shard{shard}.txt"))
            run.upsert_artifact(part, distributed_id=distributed_id)
            writers.append(run.id)
    with wandb.init(**init) as run:
        finished = wandb.Artifact("sharded", type="dataset")
        run.finish_artifact(finished, distributed_id=distributed_id)
        writers.append(run.id)

    seen = journal_since(server, mark)
    creates = [e for e in seen if e["operation"] == "CreateArtifact"]
    assert [e["variables"]["input"]["distributedID"] for e in creates] == [distributed_id] * 3
    patches = [e["variables"] for e in seen if e["operation"] == "CreateArtifactManifest"]
    assert {(v["manifestType"], v["name"]) for v in patches} == {
        ("PATCH", "wandb_manifest.patch.json")
    }
    api = admin.api()
    [version] = list(api.artifacts("dataset", f"{team}/training/sharded"))
    assert version.version == "v0"
    root = download_elsewhere(admin, f"{team}/training/sharded:v0", tmp_path)
    assert {p.name: p.read_text() for p in root.iterdir()} == {
        "shard0.txt": "shard 0",
        "shard1.txt": "shard 1",
    }
    for run_id in writers:
        logged = api.run(f"{team}/training/{run_id}").logged_artifacts()
        assert [a.name for a in logged] == ["sharded:v0"], run_id


def test_latest_can_be_removed_by_the_client(org_setup: OrgSetup, tmp_path: Path) -> None:
    spec = [("aliased", "model", {"m": b"1"})]
    log_artifacts(org_setup.admin, org_setup.team, spec, tmp_path)
    api = org_setup.admin.api()
    artifact = api.artifact(f"{org_setup.team}/training/aliased:v0")
    artifact.aliases = ["best"]
    artifact.save()
    assert org_setup.admin.api().artifact(f"{org_setup.team}/training/aliased:v0").aliases == [
        "best"
    ]
    artifact.aliases = ["best", "v7"]
    with pytest.raises(Exception, match="the alias 'v7' is assigned by the server"):
        artifact.save()
    # The next version gets `latest` again.
    log_artifacts(org_setup.admin, org_setup.team, [("aliased", "model", {"m": b"2"})], tmp_path)
    assert api.artifact(f"{org_setup.team}/training/aliased:latest").version == "v1"


def test_a_deduplicated_log_is_an_output_of_the_logging_run(
    org_setup: OrgSetup, tmp_path: Path
) -> None:
    admin, team = org_setup.admin, org_setup.team
    first = log_artifacts(admin, team, [("same", "dataset", {"d": b"data"})], tmp_path)
    again = log_artifacts(admin, team, [("same", "dataset", {"d": b"data"})], tmp_path)
    api = admin.api()
    assert again.artifacts[0].version == "v0"
    for run_id in (first.run_id, again.run_id):
        logged = api.run(f"{team}/training/{run_id}").logged_artifacts()
        assert [a.name for a in logged] == ["same:v0"], run_id

    with wandb.init(entity=team, project="training", settings=_settings(admin)) as run:
        public_run_id = run.id
    public_run = api.run(f"{team}/training/{public_run_id}")
    returned = public_run.log_artifact(api.artifact(f"{team}/training/same:v0"))
    assert returned.version == "v0"
    logged = admin.api().run(f"{team}/training/{public_run_id}").logged_artifacts()
    assert [a.name for a in logged] == ["same:v0"]
    assert [a.version for a in api.artifacts("dataset", f"{team}/training/same")] == ["v0"]


@pytest.mark.parametrize("region", [None, "minio-local"])
def test_offered_storage_regions_work(org_setup: OrgSetup, tmp_path: Path, region) -> None:
    with wandb.init(
        entity=org_setup.team, project="training", settings=_settings(org_setup.admin)
    ) as run:
        artifact = wandb.Artifact("regional", type="dataset", storage_region=region)
        (tmp_path / "r.txt").write_text(str(region))
        artifact.add_file(str(tmp_path / "r.txt"))
        run.log_artifact(artifact).wait()
    assert org_setup.admin.api().artifact(f"{org_setup.team}/training/regional:latest").version


def test_a_storage_region_the_server_does_not_offer_fails_by_name(
    org_setup: OrgSetup, tmp_path: Path
) -> None:
    with wandb.init(
        entity=org_setup.team, project="training", settings=_settings(org_setup.admin)
    ) as run:
        artifact = wandb.Artifact("far", type="dataset", storage_region="mars-north-1")
        (tmp_path / "f.txt").write_text("far")
        artifact.add_file(str(tmp_path / "f.txt"))
        with pytest.raises(ValueError, match="CreateArtifact invalid storageRegion: mars-north-1"):
            run.log_artifact(artifact).wait()


def test_a_source_project_the_viewer_cannot_see_stays_hidden(
    org_setup: OrgSetup, tmp_path: Path
) -> None:
    admin_api = org_setup.admin.api()
    registry = admin_api.create_registry("hidden", "restricted", organization=org_setup.org)
    member = org_setup.member("member")
    registry.add_members(admin_api.user(member.username))
    spec = [("src", "model", {"m": b"m"})]
    source = log_artifacts(org_setup.admin, org_setup.team, spec, tmp_path)
    source.artifacts[0].link("wandb-registry-hidden/coll")

    linked = member.api().artifact(f"{org_setup.org}/wandb-registry-hidden/coll:v0")
    assert not linked.source_entity and not linked.source_project  # the SDK says ""
    linked.aliases.append("reviewed")
    linked.save()
    fetched = admin_api.artifact(f"{org_setup.org}/wandb-registry-hidden/coll:v0")
    assert set(fetched.aliases) == {"latest", "reviewed"}
    # The admin, a member of the source team, still sees where it came from.
    assert (fetched.source_entity, fetched.source_project) == (org_setup.team, "training")


def test_an_org_viewer_who_is_a_registry_member_links_and_edits(
    org_setup: OrgSetup, tmp_path: Path
) -> None:
    admin_api = org_setup.admin.api()
    registry = admin_api.create_registry("open", "organization", organization=org_setup.org)
    viewer = org_setup.member("viewer")
    admin_api.team(org_setup.team).invite(viewer.username)
    registry.add_members(admin_api.user(viewer.username))
    roles = {m.user.username: m.role for m in registry.user_members()}
    assert roles[viewer.username] == "member"
    spec = [("seen", "model", {"m": b"v"})]
    logged = log_artifacts(viewer, org_setup.team, spec, tmp_path)
    linked = logged.artifacts[0].link("wandb-registry-open/picked", aliases=["candidate"])
    assert linked.version == "v0"
    fetched = viewer.api().artifact(f"{org_setup.org}/wandb-registry-open/picked:v0")
    fetched.aliases.append("approved")
    fetched.save()
    assert set(admin_api.artifact(f"{org_setup.org}/wandb-registry-open/picked:v0").aliases) == {
        "latest",
        "candidate",
        "approved",
    }


def test_registry_members_from_outside_the_organization(
    org_setup: OrgSetup, accounts: Accounts
) -> None:
    admin_api = org_setup.admin.api()
    registry = admin_api.create_registry("guests", "restricted", organization=org_setup.org)
    loner = accounts.user()  # in no organization
    loner_team = loner.api().create_team(f"solo-{loner.username[-8:]}")
    # Only instance admins search users, and an org admin may look up only people of
    # their organizations: the loner's User object comes from the instance admin.
    guest = instance_admin_api(org_setup.admin.base_url).user(loner.username)
    guest_team = admin_api.team(loner_team.name)
    registry.add_members(guest, guest_team)

    assert {m.user.username: m.role for m in registry.user_members()}[loner.username] == "member"
    assert {m.team.name: m.role for m in registry.team_members()} == {loner_team.name: "member"}
    registry.update_member(guest, "viewer")
    registry.update_member(guest_team, "admin")
    assert {m.user.username: m.role for m in registry.user_members()}[loner.username] == "viewer"
    assert {m.team.name: m.role for m in registry.team_members()} == {loner_team.name: "admin"}
    registry.remove_members(guest, guest_team)
    assert loner.username not in {m.user.username for m in registry.user_members()}
    assert registry.team_members() == []


def test_a_team_of_a_user_in_several_organizations_naming_none_is_in_no_organization(
    server: RunningEmulator, org_setup: OrgSetup, accounts: Accounts
) -> None:
    other_org = accounts.org(org_setup.admin)
    user = org_setup.member("member")
    accounts.add_org_member(other_org, user, "member")
    name = f"t-{user.username[-8:]}"
    team = user.api().create_team(name, admin_username=user.username)  # as W&B: created
    assert team.name == name
    assert [(m.username, m.admin) for m in team.members] == [(user.username, True)]
    query = "query ($name: String!) { entity(name: $name) { isTeam organization { name } } }"
    entity = server.graphql(user.api_key, query, {"name": name}).json()["data"]["entity"]
    assert entity == {"isTeam": True, "organization": None}  # not put in either org

    # Registries of either organization take it as a member like any team.
    admin_api = org_setup.admin.api()
    registry = admin_api.create_registry("crew", "restricted", organization=org_setup.org)
    registry.add_members(admin_api.team(name))
    assert {m.team.name: m.role for m in registry.team_members()} == {name: "member"}
    registry.update_member(admin_api.team(name), "viewer")
    assert {m.team.name: m.role for m in registry.team_members()} == {name: "viewer"}
    crews = user.api().registries(organization=org_setup.org)
    assert [r.name for r in crews] == ["crew"]  # a member through the team
