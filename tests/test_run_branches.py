"""Rewinding (`resume_from`) and forking (`fork_from`) runs through the real SDK, with
their histories checked step by step."""

from __future__ import annotations

import pytest
import wandb
from conftest import OrgSetup
from test_runs import settings_for


def log_steps(setup: OrgSetup, project: str, steps: range, **init: object) -> str:
    with wandb.init(
        entity=setup.team, project=project, settings=settings_for(setup), **init
    ) as run:
        for step in steps:
            run.log({"loss": 100 - step, "step_seen": step})
        return run.id


def history(setup: OrgSetup, path: str) -> list[tuple[int, int]]:
    run = setup.admin.api().run(path)
    return [(row["_step"], row["step_seen"]) for row in run.scan_history()]


def test_rewinding_drops_history_after_the_step_and_logging_continues_from_it(
    org_setup: OrgSetup,
) -> None:
    run_id = log_steps(org_setup, "rewind", range(10))
    path = f"{org_setup.team}/rewind/{run_id}"
    with wandb.init(
        entity=org_setup.team,
        project="rewind",
        resume_from=f"{run_id}?_step=4",
        settings=settings_for(org_setup),
    ) as run:
        assert run.id == run_id
        assert run.starting_step == 5
        for seen in (50, 51):
            run.log({"loss": -seen, "step_seen": seen})

    assert history(org_setup, path) == [(0, 0), (1, 1), (2, 2), (3, 3), (4, 4), (5, 50), (6, 51)]
    public = org_setup.admin.api().run(path)
    assert public.state == "finished"
    assert public.lastHistoryStep == 6
    assert public.summary["step_seen"] == 51 and public.summary["loss"] == -51
    assert [r["step_seen"] for r in public.history(pandas=False)] == [0, 1, 2, 3, 4, 50, 51]


def test_rewinding_needs_an_existing_run(org_setup: OrgSetup) -> None:
    with pytest.raises(wandb.Error, match="not found"):
        wandb.init(
            entity=org_setup.team,
            project="rewind-nothing",
            # An id no other test uses: the SDK's service keeps a failed init's id in use.
            resume_from="never-logged?_step=3",
            settings=settings_for(org_setup),
        )


def test_a_fork_starts_with_the_source_history_up_to_the_fork_step(org_setup: OrgSetup) -> None:
    source = log_steps(org_setup, "fork", range(8))
    fork = log_steps(org_setup, "fork", range(100, 103), fork_from=f"{source}?_step=3")
    assert fork != source

    forked = history(org_setup, f"{org_setup.team}/fork/{fork}")
    assert forked == [(0, 0), (1, 1), (2, 2), (3, 3), (4, 100), (5, 101), (6, 102)]
    assert history(org_setup, f"{org_setup.team}/fork/{source}") == [(s, s) for s in range(8)]
    public = org_setup.admin.api().run(f"{org_setup.team}/fork/{fork}")
    assert public.lastHistoryStep == 6
    losses = [row["loss"] for row in public.history(keys=["loss"], pandas=False)]
    assert losses == [100, 99, 98, 97, 0, -1, -2]

    # A fork of the fork goes back through both.
    again = log_steps(org_setup, "fork", range(200, 201), fork_from=f"{fork}?_step=5")
    assert history(org_setup, f"{org_setup.team}/fork/{again}") == [
        (0, 0),
        (1, 1),
        (2, 2),
        (3, 3),
        (4, 100),
        (5, 101),
        (6, 200),
    ]


def test_forking_an_unknown_run_fails_the_init(org_setup: OrgSetup) -> None:
    with pytest.raises(wandb.Error, match="to fork from not found"):
        log_steps(org_setup, "fork-nothing", range(1), fork_from="never-logged?_step=1")
