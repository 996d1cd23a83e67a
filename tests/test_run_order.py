"""`api.runs(path, order=...)` by summary and config keys, as `Sweep.best_run()` sends it
(`-summary_metrics.loss`): numbers by value, then strings, then other values; a run
without the key comes last whichever the direction; ties keep a stable order, and keyset
pages (per_page smaller than the runs) neither repeat nor skip a run."""

from __future__ import annotations

import pytest

from wandb_emulator.testing import Accounts, EmulatorUser

PROJECT = "ordering"

# run name -> (summary loss, config lr); None: the key is not set at all.
RUNS = {
    "r-a": (0.5, 0.1),
    "r-b": (2, 0.01),
    "r-c": (0.5, 0.1),  # ties r-a on both keys
    "r-d": ("diverged", 0.3),
    "r-e": (None, None),
    "r-f": (-3.25, 1),
    "r-g": (True, "high"),
}


@pytest.fixture(scope="module")
def owner(accounts: Accounts) -> EmulatorUser:
    user = accounts.user()
    api = user.api()
    for name, (loss, lr) in RUNS.items():
        api.create_run(run_id=name, project=PROJECT, entity=user.username)
        run = api.run(f"{user.username}/{PROJECT}/{name}")
        if lr is not None:
            run.config["lr"] = lr
            run.update()
        if loss is not None:
            run.summary.update({"loss": loss})
    return user


def _names(user: EmulatorUser, order: str, per_page: int = 2) -> list[str]:
    api = user.api()
    return [r.id for r in api.runs(f"{user.username}/{PROJECT}", order=order, per_page=per_page)]


def test_ascending_summary_key_puts_numbers_first_and_missing_last(owner: EmulatorUser) -> None:
    assert _names(owner, "+summary_metrics.loss") == [
        "r-f",  # -3.25
        "r-a",  # 0.5, then its tie r-c by creation
        "r-c",
        "r-b",  # 2
        "r-d",  # a string
        "r-g",  # a boolean
        "r-e",  # no loss
    ]


def test_descending_summary_key_as_best_run_sends_it(owner: EmulatorUser) -> None:
    assert _names(owner, "-summary_metrics.loss") == [
        "r-g",
        "r-d",
        "r-b",
        "r-c",  # ties in reverse creation order, as the whole key is reversed
        "r-a",
        "r-f",
        "r-e",  # still last
    ]


@pytest.mark.parametrize("per_page", [1, 3, 50])
def test_pages_of_any_size_read_the_same_order(owner: EmulatorUser, per_page: int) -> None:
    assert _names(owner, "+config.lr", per_page) == _names(owner, "+config.lr", 50)


def test_config_keys_order_by_the_value_set(owner: EmulatorUser) -> None:
    assert _names(owner, "+config.lr") == ["r-b", "r-a", "r-c", "r-d", "r-f", "r-g", "r-e"]
    assert _names(owner, "-config.lr")[:2] == ["r-g", "r-f"]


def test_an_unknown_order_is_refused_with_the_key(owner: EmulatorUser) -> None:
    with pytest.raises(Exception, match="cannot order by 'nonsense'"):
        _names(owner, "-nonsense")
