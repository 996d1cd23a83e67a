"""Which automations an event fires: event types per domain event, the facts filters
see, and the run-metric conditions (threshold, change, z-score) over streamed history."""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from ..domain import events as ev
from ..filters import FilterError, matches

# Domain event -> the automation event type it fires.
ARTIFACT_EVENT_TYPES: dict[type[ev.Event], str] = {
    ev.ArtifactLinked: "LINK_MODEL",
    ev.ArtifactUnlinked: "UNLINK_ARTIFACT",
    ev.AliasAdded: "ADD_ARTIFACT_ALIAS",
    ev.ArtifactTagAdded: "ADD_ARTIFACT_TAG",
    ev.ArtifactTagRemoved: "REMOVE_ARTIFACT_TAG",
    ev.CollectionTagAdded: "ADD_COLLECTION_TAG",
    ev.CollectionTagRemoved: "REMOVE_COLLECTION_TAG",
    ev.ArtifactCommitted: "CREATE_ARTIFACT",
}
RUN_METRIC_TYPES = ("RUN_METRIC", "RUN_METRIC_CHANGE", "RUN_METRIC_ZSCORE")
# Run states as automations name them; a crash counts as a failure.
REPORTED_STATES = {"running": "RUNNING", "finished": "FINISHED", "failed": "FAILED"}
REPORTED_STATES["crashed"] = "FAILED"


def event_types_of(event: ev.Event) -> tuple[str, ...]:
    if isinstance(event, ev.RunHistoryLogged):
        return RUN_METRIC_TYPES
    if isinstance(event, ev.RunStateChanged):
        return ("RUN_STATE",)
    event_type = ARTIFACT_EVENT_TYPES.get(type(event))
    return (event_type,) if event_type else ()


def artifact_facts(event: ev.Event) -> dict[str, Any]:
    """What an artifact event's filter is matched against (`alias`, `tag`)."""
    facts: dict[str, Any] = {}
    if isinstance(event, ev.ArtifactLinked):
        facts["alias"] = list(event.aliases)
    if isinstance(event, (ev.AliasAdded, ev.AliasRemoved)):
        facts["alias"] = event.alias
    if isinstance(event, (ev.ArtifactTagAdded, ev.ArtifactTagRemoved)):
        facts["tag"] = event.tag
    if isinstance(event, (ev.CollectionTagAdded, ev.CollectionTagRemoved)):
        facts["tag"] = event.tag
    return facts


def filter_matches(filter_doc: dict[str, Any], facts: dict[str, Any]) -> bool:
    try:
        return matches(filter_doc, facts)
    except FilterError:
        return False


def run_state_matches(filter_doc: dict[str, Any], state: str) -> bool:
    wanted = {str(s).upper() for s in (filter_doc.get("run_state_filter") or {}).get("states", [])}
    reported = REPORTED_STATES.get(state)
    return reported is not None and (reported in wanted or state.upper() in wanted)


# ------------------------------------------------------------------ run metrics


def _aggregate(values: Sequence[float], agg: str | None) -> float:
    if agg == "MAX":
        return max(values)
    if agg == "MIN":
        return min(values)
    if agg in ("AVERAGE", "AVG"):
        return sum(values) / len(values)
    return values[-1]


_CMP = {
    "$gt": lambda a, b: a > b,
    "$gte": lambda a, b: a >= b,
    "$lt": lambda a, b: a < b,
    "$lte": lambda a, b: a <= b,
}


def _threshold(spec: dict[str, Any], values: Sequence[float]) -> bool | None:
    window = int(spec.get("window_size") or 1)
    if len(values) < window:
        return None
    agg = spec.get("agg_op") if window > 1 or spec.get("agg_op") else None
    value = _aggregate(values[-window:], agg)
    compare = _CMP.get(spec.get("cmp_op") or "")
    return compare is not None and compare(value, float(spec["threshold"]))


def _directed(delta: float, amount: float, direction: str) -> bool:
    if direction == "INCREASE":
        return delta >= amount
    if direction == "DECREASE":
        return -delta >= amount
    return abs(delta) >= amount


def _change(spec: dict[str, Any], values: Sequence[float]) -> bool | None:
    current = int(spec.get("current_window_size") or 1)
    prior = int(spec.get("prior_window_size") or current)
    if len(values) < current + prior:
        return None
    agg = spec.get("agg_op") or "AVERAGE"
    now = _aggregate(values[-current:], agg)
    before = _aggregate(values[-current - prior : -current], agg)
    delta = now - before
    if spec.get("change_type") == "RELATIVE":
        if before == 0:
            return None
        delta = delta / abs(before)
    return _directed(delta, float(spec["change_amount"]), spec.get("change_dir") or "ANY")


def _zscore(spec: dict[str, Any], values: Sequence[float]) -> bool | None:
    window = int(spec.get("window_size") or 30)
    history = values[-window - 1 : -1]
    if len(history) < 2:
        return None
    mean = sum(history) / len(history)
    std = math.sqrt(sum((v - mean) ** 2 for v in history) / len(history))
    if std == 0:
        return None
    z = (values[-1] - mean) / std
    return _directed(z, float(spec.get("threshold") or 3.0), spec.get("change_dir") or "ANY")


METRIC_CONDITIONS = {
    "RUN_METRIC": ("threshold_filter", _threshold),
    "RUN_METRIC_CHANGE": ("change_filter", _change),
    "RUN_METRIC_ZSCORE": ("zscore_filter", _zscore),
}


def metric_spec(event_type: str, filter_doc: dict[str, Any]) -> dict[str, Any]:
    key, _ = METRIC_CONDITIONS[event_type]
    return (filter_doc.get("run_metric_filter") or {}).get(key) or {}


def _window_needed(spec: dict[str, Any]) -> int:
    sizes = [spec.get(k) or 1 for k in ("window_size", "current_window_size", "prior_window_size")]
    return sum(int(s) for s in sizes) + 1


@dataclass
class MetricWatch:
    """The values of one metric of one run for one automation, and whether its condition
    held at the last value: automations fire when the condition becomes true."""

    values: deque[float] = field(default_factory=lambda: deque(maxlen=64))
    holding: bool = False

    def observe(self, event_type: str, spec: dict[str, Any], value: float) -> bool:
        """Add a value; True when the condition has just become true."""
        needed = _window_needed(spec)
        if self.values.maxlen is None or self.values.maxlen < needed:
            self.values = deque(self.values, maxlen=needed)
        self.values.append(value)
        _, condition = METRIC_CONDITIONS[event_type]
        holds = bool(condition(spec, list(self.values)))
        fired = holds and not self.holding
        self.holding = holds
        return fired


def metric_value(row: dict[str, Any], name: str) -> float | None:
    value = row.get(name)
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return float(value) if math.isfinite(value) else None
