"""Unit tests of history row selection and sampling (pure logic)."""

from __future__ import annotations

import pytest

from wandb_emulator.history import in_steps, parse_rows, sample, with_keys

pytestmark = pytest.mark.fast

ROWS = parse_rows(
    [
        '{"_step": 0, "a": 1}',
        "not json",
        '{"_step": 1, "b": 2}',
        "[1]",
        '{"_step": 2, "a": 3, "b": 4}',
    ]
)


def test_parse_rows_skips_what_is_not_an_object() -> None:
    assert [r["_step"] for r in ROWS] == [0, 1, 2]


def test_step_ranges_are_half_open() -> None:
    assert [r["_step"] for r in in_steps(ROWS, 1, None)] == [1, 2]
    assert [r["_step"] for r in in_steps(ROWS, None, 2)] == [0, 1]


def test_with_keys_keeps_rows_having_every_key() -> None:
    assert with_keys(ROWS, ["_step", "a"]) == [{"_step": 0, "a": 1}, {"_step": 2, "a": 3}]
    assert with_keys(ROWS, ["b", "a"]) == [{"b": 4, "a": 3}]


def test_sample_spreads_evenly_keeping_the_ends() -> None:
    assert sample(list(range(10)), 4) == [0, 3, 6, 9]
    assert sample(list(range(3)), 10) == [0, 1, 2]
    assert sample(list(range(5)), 1) == [4]
    assert sample(list(range(5)), None) == [0, 1, 2, 3, 4]
