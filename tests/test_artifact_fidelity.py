"""Artifact behaviours of the real W&B backend beyond the happy path (issue 8)."""

from __future__ import annotations

from pathlib import Path

import httpx
import wandb
from conftest import OrgSetup, ServerProcess, graphql, journal_mark, journal_since, log_artifacts

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


def test_file_storage_paths_and_urls_follow_the_wandb_layout(
    server: ServerProcess, org_setup: OrgSetup, tmp_path: Path
) -> None:
    log_artifacts(org_setup.admin, org_setup.team, [("laid", "model", {"w.bin": b"xyz"})], tmp_path)
    artifact = org_setup.admin.api().artifact(f"{org_setup.team}/training/laid:v0")
    found = graphql(server, org_setup.admin.api_key, MANIFEST_QUERY, {"id": artifact.id}).json()
    node = found["data"]["artifact"]["files"]["edges"][0]["node"]
    md5_hex = "d16fb36f0911f878998c136191af705e"  # md5(b"xyz")
    assert node["storagePath"].startswith("wandb_artifacts/")
    assert node["storagePath"].endswith(f"/{md5_hex}")
    assert len(node["storagePath"].split("/")) == 4
    assert "/wandb_artifacts/" in httpx.URL(node["directUrl"]).path
    manifest_url = found["data"]["artifact"]["currentManifest"]["file"]["directUrl"]
    assert "wandb_artifacts/" not in manifest_url
    assert httpx.get(node["directUrl"], timeout=10).content == b"xyz"


def test_a_403_on_a_file_url_is_followed_by_a_fresh_url_that_works(
    server: ServerProcess, org_setup: OrgSetup, tmp_path: Path
) -> None:
    log_artifacts(org_setup.admin, org_setup.team, [("denied", "model", {"a.txt": b"A"})], tmp_path)
    artifact = org_setup.admin.api().artifact(f"{org_setup.team}/training/denied:v0")
    faults = server.base_url + "/_emulator/faults"
    # Artifact file URLs only: the manifest is fetched by a client that does not retry.
    file_urls = "/storage/blob/*/wandb_artifacts/*"
    rule = httpx.post(
        faults, json={"path": file_urls, "status": 403, "times": 1}, timeout=10
    ).json()["fault"]
    mark = journal_mark(server)
    try:
        root = Path(artifact.download(root=str(tmp_path / "out"), skip_cache=True))
    finally:
        httpx.delete(f"{faults}/{rule['id']}", timeout=10)
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
