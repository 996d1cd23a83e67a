"""Api.registries() filters, order and paging; empty collections and versions pages."""

from __future__ import annotations

from itertools import islice

import pytest
from conftest import OrgSetup


@pytest.fixture
def catalog(org_setup: OrgSetup) -> OrgSetup:
    api = org_setup.admin.api()
    for name, description in [
        ("model-zoo", "vision"),
        ("datasets", "raw data"),
        ("models-nlp", "language"),
        ("scratch", None),
    ]:
        api.create_registry(
            name, "organization", organization=org_setup.org, description=description
        )
    return org_setup


def names(registries) -> list[str]:
    return [r.name for r in registries]


def test_all_registries_in_creation_order(catalog: OrgSetup) -> None:
    api = catalog.admin.api()
    assert names(api.registries(organization=catalog.org)) == [
        "model-zoo",
        "datasets",
        "models-nlp",
        "scratch",
    ]


def test_filter_by_exact_name(catalog: OrgSetup) -> None:
    api = catalog.admin.api()
    assert names(api.registries(organization=catalog.org, filter={"name": "datasets"})) == [
        "datasets"
    ]


def test_filter_by_regex(catalog: OrgSetup) -> None:
    api = catalog.admin.api()
    found = api.registries(organization=catalog.org, filter={"name": {"$regex": "model"}})
    assert names(found) == ["model-zoo", "models-nlp"]


def test_filter_with_logical_operators(catalog: OrgSetup) -> None:
    api = catalog.admin.api()
    found = api.registries(
        organization=catalog.org,
        filter={"$or": [{"description": "vision"}, {"name": {"$in": ["scratch"]}}]},
    )
    assert names(found) == ["model-zoo", "scratch"]
    none = api.registries(organization=catalog.org, filter={"name": {"$regex": "^nothing$"}})
    assert names(none) == []


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("name", ["datasets", "model-zoo", "models-nlp", "scratch"]),
        ("-name", ["scratch", "models-nlp", "model-zoo", "datasets"]),
        ("-created_at", ["scratch", "models-nlp", "datasets", "model-zoo"]),
    ],
)
def test_order(catalog: OrgSetup, order: str, expected: list[str]) -> None:
    api = catalog.admin.api()
    assert names(api.registries(organization=catalog.org, order=order)) == expected


def test_paging_with_cursor_resume(catalog: OrgSetup) -> None:
    api = catalog.admin.api()
    registries = api.registries(organization=catalog.org, per_page=2)
    first_page = names(islice(registries, 2))
    assert first_page == ["model-zoo", "datasets"]
    resumed = api.registries(organization=catalog.org, per_page=2, start=registries.cursor)
    assert names(resumed) == ["models-nlp", "scratch"]


def test_collections_and_versions_are_empty_pages(catalog: OrgSetup) -> None:
    api = catalog.admin.api()
    registry = api.registry("model-zoo", catalog.org)
    assert list(registry.collections()) == []
    assert list(registry.versions()) == []
    assert list(registry.collections(filter={"name": {"$regex": "x"}})) == []
    assert list(api.registries(organization=catalog.org).collections()) == []
    assert list(api.registries(organization=catalog.org).versions(filter={"alias": "x"})) == []
    chained = api.registries(organization=catalog.org).collections(filter={"name": "c"})
    assert list(chained.versions()) == []
