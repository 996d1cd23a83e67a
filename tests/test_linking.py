"""Linking logged artifacts into registry collections, and fetching them back."""

from __future__ import annotations

from pathlib import Path

import pytest
import wandb
from conftest import OrgSetup, log_artifacts
from wandb.errors import CommError

MODEL = {"model.pt": b"weights-0"}


@pytest.fixture
def registry_setup(org_setup: OrgSetup):
    api = org_setup.admin.api()
    api.create_registry("models", "organization", organization=org_setup.org)
    return org_setup


def org_entity(setup: OrgSetup) -> str:
    return setup.admin.api().organization(setup.org).org_entity.name


@pytest.mark.parametrize("prefix", ["", "org", "org-entity"])
def test_link_with_every_target_form(registry_setup: OrgSetup, tmp_path: Path, prefix: str) -> None:
    setup = registry_setup
    source = log_artifacts(setup.admin, setup.team, [("clf", "model", MODEL)], tmp_path)
    start = {"": "", "org": f"{setup.org}/", "org-entity": f"{org_entity(setup)}/"}[prefix]
    linked = source.artifacts[0].link(
        f"{start}wandb-registry-models/classifier", aliases=["staging"]
    )
    assert linked.version == "v0"
    assert set(linked.aliases) == {"latest", "staging"}
    assert linked.is_link
    fetched = setup.admin.api().artifact(f"{start}wandb-registry-models/classifier:staging")
    assert fetched.id == source.artifacts[0].id
    assert fetched.source_name == "clf:v0"
    out = Path(fetched.download(root=str(tmp_path / "out")))
    assert (out / "model.pt").read_bytes() == b"weights-0"


def test_run_link_artifact_without_aliases(registry_setup: OrgSetup, tmp_path: Path) -> None:
    setup = registry_setup
    settings = wandb.Settings(api_key=setup.admin.api_key, base_url=setup.admin.base_url)
    with wandb.init(entity=setup.team, project="training", settings=settings) as run:
        artifact = wandb.Artifact("detector", type="model")
        Path(tmp_path, "d.bin").write_bytes(b"detector")
        artifact.add_file(str(tmp_path / "d.bin"))
        run.log_artifact(artifact)
        run.link_artifact(artifact, "wandb-registry-models/detector")
    fetched = setup.admin.api().artifact("wandb-registry-models/detector:latest")
    assert fetched.version == "v0"
    assert fetched.aliases == ["latest"]


def test_each_link_is_a_new_version_and_latest_follows(
    registry_setup: OrgSetup, tmp_path: Path
) -> None:
    setup = registry_setup
    sources = []
    for i in range(3):
        logged = log_artifacts(
            setup.admin, setup.team, [("iter", "model", {"w": f"{i}".encode()})], tmp_path / str(i)
        )
        sources.append(logged.artifacts[0])
    for source in sources:
        source.link("wandb-registry-models/iterating")
    # Linking an already linked version does not create another one.
    relinked = sources[0].link("wandb-registry-models/iterating", aliases=["first"])
    assert relinked.version == "v0"

    api = setup.admin.api()
    latest = api.artifact("wandb-registry-models/iterating:latest")
    assert latest.version == "v2"
    assert latest.source_version == "v2"
    assert api.artifact("wandb-registry-models/iterating:first").version == "v0"
    versions = api.registry("models", setup.org).versions()
    assert sorted(v.version for v in versions) == ["v0", "v1", "v2"]


def test_unlink_moves_latest_back(registry_setup: OrgSetup, tmp_path: Path) -> None:
    setup = registry_setup
    for i in range(2):
        logged = log_artifacts(
            setup.admin, setup.team, [("u", "model", {"w": f"{i}".encode()})], tmp_path / str(i)
        )
        logged.artifacts[0].link("wandb-registry-models/unlinking")
    api = setup.admin.api()
    api.artifact("wandb-registry-models/unlinking:v1").unlink()
    assert api.artifact("wandb-registry-models/unlinking:latest").version == "v0"
    assert not api.artifact_exists("wandb-registry-models/unlinking:v1")
    # The source version is untouched.
    assert api.artifact(f"{setup.team}/training/u:v1").version == "v1"


def test_linked_and_source_artifacts(registry_setup: OrgSetup, tmp_path: Path) -> None:
    setup = registry_setup
    source = log_artifacts(setup.admin, setup.team, [("lin", "model", MODEL)], tmp_path)
    source.artifacts[0].link("wandb-registry-models/lineage")
    api = setup.admin.api()
    origin = api.artifact(f"{setup.team}/training/lin:v0")
    assert [a.name for a in origin.linked_artifacts] == ["lineage:v0"]
    linked = api.artifact("wandb-registry-models/lineage:v0")
    assert linked.source_artifact.name == "lin:v0"
    assert linked.source_artifact.id == origin.id


def test_type_restrictions_are_enforced(org_setup: OrgSetup, tmp_path: Path) -> None:
    api = org_setup.admin.api()
    api.create_registry(
        "strict", "organization", organization=org_setup.org, artifact_types=["model"]
    )
    logged = log_artifacts(
        org_setup.admin,
        org_setup.team,
        [("ok", "model", MODEL), ("bad", "dataset", MODEL)],
        tmp_path,
    )
    logged.artifacts[0].link("wandb-registry-strict/models")
    with pytest.raises(CommError, match="artifact type 'dataset' is not allowed"):
        logged.artifacts[1].link("wandb-registry-strict/datasets")
    assert [c.name for c in api.registry("strict", org_setup.org).collections()] == ["models"]


def test_collection_type_is_fixed_by_the_first_link(
    registry_setup: OrgSetup, tmp_path: Path
) -> None:
    logged = log_artifacts(
        registry_setup.admin,
        registry_setup.team,
        [("m", "model", MODEL), ("d", "dataset", MODEL)],
        tmp_path,
    )
    logged.artifacts[0].link("wandb-registry-models/mixed")
    with pytest.raises(CommError, match="holds artifacts of type 'model'"):
        logged.artifacts[1].link("wandb-registry-models/mixed")


def test_sources_in_personal_entities_cannot_be_linked(
    registry_setup: OrgSetup, tmp_path: Path
) -> None:
    setup = registry_setup
    logged = log_artifacts(setup.admin, setup.admin.username, [("mine", "model", MODEL)], tmp_path)
    with pytest.raises(CommError, match="logged by a team of the registry's organization"):
        logged.artifacts[0].link(f"{setup.org}/wandb-registry-models/personal")


def test_registry_viewers_cannot_link_but_members_can(
    registry_setup: OrgSetup, tmp_path: Path
) -> None:
    setup = registry_setup
    colleague = setup.member()
    api = setup.admin.api()
    api.team(setup.team).invite(colleague.username)
    logged = log_artifacts(colleague, setup.team, [("theirs", "model", MODEL)], tmp_path)
    with pytest.raises(CommError, match="permission denied"):
        logged.artifacts[0].link("wandb-registry-models/by-colleague")

    registry = api.registry("models", setup.org)
    registry.add_members(api.user(colleague.username))
    linked = logged.artifacts[0].link("wandb-registry-models/by-colleague")
    assert linked.version == "v0"


def test_restricted_viewers_cannot_download(registry_setup: OrgSetup, tmp_path: Path) -> None:
    setup = registry_setup
    logged = log_artifacts(setup.admin, setup.team, [("secret", "model", MODEL)], tmp_path)
    logged.artifacts[0].link("wandb-registry-models/guarded")
    reader = setup.member()
    api = setup.admin.api()
    registry = api.registry("models", setup.org)
    registry.add_members(api.user(reader.username))
    registry.update_member(api.user(reader.username), "restricted_viewer")
    seen = reader.api().artifact(f"{setup.org}/wandb-registry-models/guarded:latest")
    assert seen.version == "v0"
    with pytest.raises(Exception, match="restricted viewers cannot download"):
        seen.download(root=str(tmp_path / "nope"))
