"""Registry.collections()/versions() and Api.registries() chains over linked artifacts."""

from __future__ import annotations

from itertools import islice
from pathlib import Path

import pytest
from conftest import OrgSetup, log_artifacts

from wandb_emulator.testing import Accounts


@pytest.fixture(scope="module")
def stocked(accounts: Accounts, tmp_path_factory) -> OrgSetup:
    """Registries `models` and `data`; collections with tags; several linked versions."""
    setup = OrgSetup(accounts.org_admin(default_entity="user"), accounts)
    admin, org = setup.admin, setup.org
    api = admin.api()
    api.create_registry("models", "organization", organization=org)
    api.create_registry("data", "organization", organization=org)
    tmp = tmp_path_factory.mktemp("stock")
    specs = [
        ("vision", "model", "models", "resnet", 3),
        ("speech", "model", "models", "whisper", 1),
        ("tables", "dataset", "data", "census", 2),
    ]
    for source, type_, registry, collection, count in specs:
        for i in range(count):
            logged = log_artifacts(
                admin,
                setup.team,
                [(source, type_, {"f": f"{source}{i}".encode() * (i + 1)})],
                Path(tmp, f"{source}{i}"),
            )
            aliases = ["best"] if i == 0 else []
            logged.artifacts[0].link(f"wandb-registry-{registry}/{collection}", aliases=aliases)
    resnet = api.artifact("wandb-registry-models/resnet:latest").collection
    resnet.tags = ["vision", "prod"]
    resnet.save()
    return setup


def names(items) -> list[str]:
    return [item.name for item in items]


def test_collections_of_one_registry(stocked: OrgSetup) -> None:
    registry = stocked.admin.api().registry("models", stocked.org)
    collections = registry.collections()
    assert sorted(names(collections)) == ["resnet", "whisper"]
    assert len(collections) == 2
    assert {c.type for c in registry.collections()} == {"model"}


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"name": "resnet"}, ["resnet"]),
        ({"name": {"$regex": "^w"}}, ["whisper"]),
        ({"tag": "prod"}, ["resnet"]),
        ({"$or": [{"name": "whisper"}, {"tag": "vision"}]}, ["resnet", "whisper"]),
    ],
)
def test_collection_filters(stocked: OrgSetup, flt: dict, expected: list[str]) -> None:
    registry = stocked.admin.api().registry("models", stocked.org)
    assert sorted(names(registry.collections(filter=flt))) == expected


def test_collection_order_and_paging(stocked: OrgSetup) -> None:
    api = stocked.admin.api()
    everything = api.registries(organization=stocked.org).collections(order="-name", per_page=1)
    assert names(everything) == ["whisper", "resnet", "census"]
    first = api.registries(organization=stocked.org).collections(order="name", per_page=2)
    assert names(islice(first, 2)) == ["census", "resnet"]


def test_versions_of_a_registry(stocked: OrgSetup) -> None:
    versions = list(stocked.admin.api().registry("models", stocked.org).versions())
    assert sorted(v.name for v in versions) == ["resnet:v0", "resnet:v1", "resnet:v2", "whisper:v0"]


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({"alias": "best"}, ["resnet:v0", "whisper:v0"]),
        ({"alias": "latest"}, ["resnet:v2", "whisper:v0"]),
    ],
)
def test_version_filters(stocked: OrgSetup, flt: dict, expected: list[str]) -> None:
    versions = stocked.admin.api().registry("models", stocked.org).versions(filter=flt)
    assert sorted(v.name for v in versions) == expected


def test_version_order_by_size(stocked: OrgSetup) -> None:
    versions = stocked.admin.api().registry("models", stocked.org).versions(order="-artifact_size")
    sizes = [v.size for v in versions]
    assert sizes == sorted(sizes, reverse=True)


def test_chained_registries_collections_versions(stocked: OrgSetup) -> None:
    api = stocked.admin.api()
    chained = api.registries(organization=stocked.org, filter={"name": "data"}).collections()
    assert names(chained) == ["census"]
    versions = (
        api.registries(organization=stocked.org)
        .collections(filter={"name": {"$regex": "res"}})
        .versions(filter={"alias": "best"})
    )
    assert [v.name for v in versions] == ["resnet:v0"]
    all_versions = api.registries(organization=stocked.org).versions()
    assert len(list(all_versions)) == 6


@pytest.mark.parametrize("version", ["v1", "latest", "best"])
def test_fetch_by_version_alias_and_org_prefixes(stocked: OrgSetup, version: str) -> None:
    api = stocked.admin.api()
    expected = {"v1": "v1", "latest": "v2", "best": "v0"}[version]
    org_entity = api.organization(stocked.org).org_entity.name
    for prefix in ("", f"{stocked.org}/", f"{org_entity}/"):
        assert api.artifact(f"{prefix}wandb-registry-models/resnet:{version}").version == expected
