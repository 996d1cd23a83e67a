"""Unit tests of the MongoDB-style filter evaluation (pure logic)."""

from __future__ import annotations

import pytest

from wandb_emulator.filters import FilterError, matches, parse_filter, sort_key_for

pytestmark = pytest.mark.fast

DOC = {
    "name": "wandb-registry-models",
    "tags": ["prod", "v2"],
    "size": 10,
    "metadata": {"lr": 0.1, "arch": "resnet"},
    "description": None,
}


@pytest.mark.parametrize(
    ("flt", "expected"),
    [
        ({}, True),
        ({"name": "wandb-registry-models"}, True),
        ({"name": "other"}, False),
        ({"name": {"$regex": "model"}}, True),
        ({"name": {"$regex": "^model"}}, False),
        ({"tags": "prod"}, True),
        ({"tags": {"$in": ["x", "v2"]}}, True),
        ({"tags": {"$nin": ["prod"]}}, False),
        ({"tags": {"$all": ["prod", "v2"]}}, True),
        ({"tags": {"$size": 2}}, True),
        ({"size": {"$gt": 5, "$lte": 10}}, True),
        ({"size": {"$lt": 10}}, False),
        ({"metadata.lr": {"$gte": 0.1}}, True),
        ({"metadata.arch": {"$ne": "resnet"}}, False),
        ({"metadata.missing": {"$exists": False}}, True),
        ({"description": None}, True),
        ({"name": {"$not": {"$regex": "x"}}}, True),
        ({"$or": [{"name": "x"}, {"size": 10}]}, True),
        ({"$and": [{"name": {"$contains": "registry"}}, {"size": {"$eq": 11}}]}, False),
        ({"$nor": [{"name": "x"}]}, True),
    ],
)
def test_matches(flt: dict, expected: bool) -> None:
    assert matches(flt, DOC) is expected


@pytest.mark.parametrize("raw", ["{", "[1]", '"text"'])
def test_parse_filter_rejects_non_objects(raw: str) -> None:
    with pytest.raises(FilterError):
        parse_filter(raw)


def test_unknown_operator_is_an_error() -> None:
    with pytest.raises(FilterError, match=r"\$near"):
        matches({"size": {"$near": 1}}, DOC)


def test_invalid_regex_is_an_error() -> None:
    with pytest.raises(FilterError, match="regex"):
        matches({"name": {"$regex": "("}}, DOC)


def test_sort_key_for() -> None:
    fields = {"name": "name", "created_at": "created_at"}
    assert sort_key_for("-name", fields, "created_at") == ("name", True)
    assert sort_key_for("+created_at", fields, "name") == ("created_at", False)
    assert sort_key_for(None, fields, "name") == ("name", False)
    with pytest.raises(FilterError):
        sort_key_for("size", fields, "name")
