"""Bayesian search through W&B's own sweeps engine (the `sweeps` package, MIT): a
Gaussian process fitted to the metric of the sweep's runs, the next point where the
expected improvement is highest. The package is optional (`wandb-emulator[bayes]`: it
brings numpy < 2, scipy and scikit-learn); without it a bayes sweep is proposed at
random and says so when it is created.

The engine draws from numpy's global random state. Each proposal seeds it from the
sweep and the proposal's position (so a sweep's proposals are reproducible) under a
lock, and restores it afterwards: the state belongs to the whole process, not to us."""

from __future__ import annotations

import hashlib
import importlib.util
import threading
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

ENGINE = "sweeps"
MISSING_WARNING = (
    "bayes search needs W&B's sweeps engine (pip install 'wandb-emulator[bayes]'), which"
    " is not installed: this sweep's runs are proposed at random"
)
# W&B's run states the engine knows; the emulator's other states count as crashed.
_ENGINE_STATES = {"running", "finished", "failed", "crashed", "killed", "pending", "preempted"}

_numpy_random_lock = threading.Lock()


def available() -> bool:
    return importlib.util.find_spec(ENGINE) is not None


@dataclass(frozen=True)
class Trial:
    """A run of the sweep as the engine sees it: a proposal not started yet is pending."""

    name: str
    state: str
    config: Mapping[str, Any]  # {name: {"value": ...}}, as a run's config is stored
    summary: Mapping[str, Any]
    history: Sequence[Mapping[str, Any]]  # rows holding the sweep's metric


def seed_of(sweep_name: str, position: int) -> int:
    digest = hashlib.sha256(f"{sweep_name}:{position}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def propose(config: Mapping[str, Any], trials: Sequence[Trial], seed: int) -> dict[str, Any]:
    """The next run's parameters as the agent gets them (`{name: {"value": ...}}`).
    CPU-bound (a fit takes up to a second with tens of runs): call it off the loop."""
    with warnings.catch_warnings():
        # The engine's pydantic models use v1 config keys; pydantic warns on import.
        warnings.simplefilter("ignore")
        import numpy
        from sweeps import RunState, SweepRun, next_run

    runs = [
        SweepRun(
            name=t.name,
            state=RunState(t.state if t.state in _ENGINE_STATES else "crashed"),
            config=dict(t.config),
            summary_metrics=dict(t.summary),
            history=list(t.history),
        )
        for t in trials
    ]
    with _numpy_random_lock:
        saved = numpy.random.get_state()
        numpy.random.seed(seed)
        try:
            suggestion = next_run(dict(config), runs)
        finally:
            numpy.random.set_state(saved)
    assert suggestion is not None, "bayes search always proposes"
    return {name: {"value": _plain(arg["value"])} for name, arg in suggestion.config.items()}


def _plain(value: Any) -> Any:
    """numpy scalars (and mappings of them, for nested parameters) as JSON values."""
    if isinstance(value, dict):
        return {key: _plain(v) for key, v in value.items()}
    return value.item() if hasattr(value, "item") else value
