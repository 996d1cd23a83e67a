"""Proposing the parameters of a sweep's next run as W&B's sweeps engine does for `grid`
and `random` search, and which running runs hyperband early termination stops. `bayes`
is in `sweep_bayes` (W&B's own engine, an optional dependency). Pure functions: the
sweep's config (and what its runs did) in, one proposal or decision out.

Parameters are searched as W&B's engine searches them: nested parameters (a parameter
with `parameters` of its own) are flattened to dotted names, every level sorted by key,
and the grid is `itertools.product` over them in that order. An agent gets each
top-level parameter as `{"value": ...}`, a nested one as a mapping of its values."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from .errors import InvalidInput

METHODS = ("grid", "random", "bayes")
GRID_KINDS = ("constant", "categorical", "int_uniform", "q_uniform")
NESTING = "."

# Distributions a parameter may name, with the keys each one needs.
DISTRIBUTIONS: dict[str, tuple[str, ...]] = {
    "constant": ("value",),
    "categorical": ("values",),
    "categorical_w_probabilities": ("values", "probabilities"),
    "int_uniform": ("min", "max"),
    "uniform": ("min", "max"),
    "q_uniform": ("min", "max"),
    "log_uniform": ("min", "max"),
    "log_uniform_values": ("min", "max"),
    "q_log_uniform": ("min", "max"),
    "q_log_uniform_values": ("min", "max"),
    "inv_log_uniform": ("min", "max"),
    "inv_log_uniform_values": ("min", "max"),
    "normal": (),
    "q_normal": (),
    "log_normal": (),
    "q_log_normal": (),
}


def _distribution(name: str, spec: Mapping[str, Any]) -> str:
    if "distribution" in spec:
        kind = spec["distribution"]
    elif "value" in spec:
        kind = "constant"
    elif "values" in spec:
        kind = "categorical_w_probabilities" if "probabilities" in spec else "categorical"
    elif "min" in spec and "max" in spec:
        kind = "int_uniform" if isinstance(spec["min"], int) else "uniform"
    else:
        raise InvalidInput(f"parameter {name!r} needs value, values, or min and max")
    if kind not in DISTRIBUTIONS:
        raise InvalidInput(f"parameter {name!r}: unknown distribution {kind!r}")
    missing = [key for key in DISTRIBUTIONS[kind] if key not in spec]
    if missing:
        raise InvalidInput(f"parameter {name!r} ({kind}) needs {', '.join(missing)}")
    _check_bounds(name, kind, spec)
    return kind


def is_finite_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _check_bounds(name: str, kind: str, spec: Mapping[str, Any]) -> None:
    """The values a distribution samples from are of the right kind, so proposing a run
    never fails later on a bad config (a clear error at upsertSweep instead)."""
    if "values" in DISTRIBUTIONS[kind] and (
        not isinstance(spec["values"], list) or not spec["values"]
    ):
        raise InvalidInput(f"parameter {name!r}: values must be a non-empty list")
    if kind == "categorical_w_probabilities":
        weights = spec["probabilities"]
        if (
            not isinstance(weights, list)
            or len(weights) != len(spec["values"])
            or not all(is_finite_number(w) and w >= 0 for w in weights)
            or not sum(weights) > 0
        ):
            raise InvalidInput(
                f"parameter {name!r}: probabilities must be one non-negative number per value"
            )
    numbers = [spec[key] for key in ("min", "max", "mu", "sigma", "q") if key in spec]
    if not all(is_finite_number(n) for n in numbers):
        raise InvalidInput(f"parameter {name!r}: min, max, mu, sigma and q must be numbers")
    if "min" in spec and spec["min"] > spec["max"]:
        raise InvalidInput(f"parameter {name!r}: min is greater than max")
    if kind == "int_uniform" and not all(isinstance(spec[k], int) for k in ("min", "max")):
        raise InvalidInput(f"parameter {name!r}: int_uniform needs integer min and max")
    if kind.endswith("_values") and spec["min"] <= 0:
        raise InvalidInput(f"parameter {name!r}: {kind} needs a positive min")
    if "q" in spec and spec["q"] <= 0:
        raise InvalidInput(f"parameter {name!r}: q must be positive")


def leaf_parameters(parameters: Any, prefix: str = "") -> dict[str, dict[str, Any]]:
    """The searched parameters by dotted name, every level sorted by key, nested
    parameters (`{"parameters": {...}}`) flattened into their leaves."""
    if not isinstance(parameters, dict) or not all(
        isinstance(name, str) and isinstance(spec, dict) for name, spec in parameters.items()
    ):
        raise InvalidInput("sweep parameters must map names to mappings")
    leaves: dict[str, dict[str, Any]] = {}
    for name, spec in sorted(parameters.items()):
        if NESTING in name:
            raise InvalidInput(f"parameter {prefix + name!r}: names cannot contain {NESTING!r}")
        if "parameters" in spec and not _is_leaf(spec):
            nested = leaf_parameters(spec["parameters"], f"{prefix}{name}{NESTING}")
            if not nested:
                raise InvalidInput(f"parameter {prefix + name!r}: nested parameters are empty")
            leaves.update(nested)
        else:
            leaves[prefix + name] = spec
    return leaves


def _is_leaf(spec: Mapping[str, Any]) -> bool:
    return any(key in spec for key in ("distribution", "value", "values", "min", "max"))


def check_config(config: Any) -> tuple[str, dict[str, dict[str, Any]]]:
    """The search method and the (leaf) parameters of a sweep config; InvalidInput when
    the config is not one this server can run."""
    if not isinstance(config, dict):
        raise InvalidInput("the sweep config must be a mapping")
    method = config.get("method")
    if method not in METHODS:
        raise InvalidInput(f"sweep method must be one of {', '.join(METHODS)}, got {method!r}")
    parameters = leaf_parameters(config.get("parameters") or {})
    for name, spec in parameters.items():
        kind = _distribution(name, spec)
        if method == "grid" and kind not in GRID_KINDS:
            raise InvalidInput(f"grid search needs discrete values: parameter {name!r} is {kind}")
    cap = config.get("run_cap")
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
        raise InvalidInput("run_cap must be a positive integer")
    if method == "bayes" or "early_terminate" in config:
        metric_goal(config)
    if "early_terminate" in config:
        hyperband_bands(config)
    return method, parameters


def metric_goal(config: Mapping[str, Any]) -> tuple[str, str]:
    """The metric's name and goal (minimize by default); bayes search and early
    termination need one."""
    metric = config.get("metric")
    if not isinstance(metric, dict) or not isinstance(metric.get("name"), str):
        raise InvalidInput("this sweep needs a metric: {name: ..., goal: minimize|maximize}")
    goal = metric.get("goal", "minimize")
    if goal not in ("minimize", "maximize"):
        raise InvalidInput(f"metric goal must be minimize or maximize, got {goal!r}")
    return metric["name"], goal


def _grid_values(name: str, spec: Mapping[str, Any]) -> Sequence[Any]:
    """The values a grid takes for a parameter; an int_uniform range stays a range (its
    length and items are computed, not materialized, however wide it is)."""
    kind = _distribution(name, spec)
    if kind == "constant":
        return [spec["value"]]
    if kind == "int_uniform":
        return range(int(spec["min"]), int(spec["max"]) + 1)
    if kind == "q_uniform":  # numpy.arange(min, max, q), as W&B's engine lists it
        low, q = spec["min"], spec["q"]
        return [low + i * q for i in range(max(0, math.ceil((spec["max"] - low) / q)))]
    return list(spec["values"])


def grid_size(parameters: Mapping[str, Mapping[str, Any]]) -> int:
    return math.prod(len(_grid_values(name, spec)) for name, spec in parameters.items())


def grid_point(parameters: Mapping[str, Mapping[str, Any]], index: int) -> dict[str, Any] | None:
    """The index-th combination of the grid in `itertools.product` order (parameters in
    the order given, `leaf_parameters` sorts them; the last one varying fastest); None
    past the end."""
    if index >= grid_size(parameters):
        return None
    point: dict[str, Any] = {}
    for name, spec in reversed(list(parameters.items())):
        values = _grid_values(name, spec)
        index, position = divmod(index, len(values))
        point[name] = values[position]
    return {name: point[name] for name in parameters}


def _quantize(value: float, spec: Mapping[str, Any]) -> float:
    q = spec.get("q", 1)
    return round(value / q) * q


def _sample(name: str, spec: Mapping[str, Any], rng: random.Random) -> Any:
    kind = _distribution(name, spec)
    low: Any = spec.get("min")
    high: Any = spec.get("max")
    mu, sigma = spec.get("mu", 0.0), spec.get("sigma", 1.0)
    samplers = {
        "constant": lambda: spec["value"],
        "categorical": lambda: rng.choice(list(spec["values"])),
        "categorical_w_probabilities": lambda: rng.choices(
            list(spec["values"]), weights=spec["probabilities"]
        )[0],
        "int_uniform": lambda: rng.randint(int(low), int(high)),
        "uniform": lambda: rng.uniform(low, high),
        "q_uniform": lambda: _quantize(rng.uniform(low, high), spec),
        "log_uniform": lambda: math.exp(rng.uniform(low, high)),
        "log_uniform_values": lambda: math.exp(rng.uniform(math.log(low), math.log(high))),
        "q_log_uniform": lambda: _quantize(math.exp(rng.uniform(low, high)), spec),
        "q_log_uniform_values": lambda: _quantize(
            math.exp(rng.uniform(math.log(low), math.log(high))), spec
        ),
        "inv_log_uniform": lambda: 1 / math.exp(rng.uniform(low, high)),
        "inv_log_uniform_values": lambda: (
            1 / math.exp(rng.uniform(math.log(1 / high), math.log(1 / low)))
        ),
        "normal": lambda: rng.gauss(mu, sigma),
        "q_normal": lambda: _quantize(rng.gauss(mu, sigma), spec),
        "log_normal": lambda: math.exp(rng.gauss(mu, sigma)),
        "q_log_normal": lambda: _quantize(math.exp(rng.gauss(mu, sigma)), spec),
    }
    return samplers[kind]()


def random_point(parameters: Mapping[str, Mapping[str, Any]], rng: random.Random) -> dict:
    return {name: _sample(name, spec, rng) for name, spec in parameters.items()}


def agent_args(point: Mapping[str, Any]) -> dict[str, dict[str, Any]]:
    """A point (dotted names) as the agent gets it: `{name: {"value": ...}}`, nested
    parameters as one mapping under their top-level name."""
    nested: dict[str, Any] = {}
    for name, value in point.items():
        *parents, leaf = name.split(NESTING)
        level = nested
        for parent in parents:
            level = level.setdefault(parent, {})
        level[leaf] = value
    return {name: {"value": value} for name, value in nested.items()}


def config_point(parameters: Mapping[str, Any], run_config: Mapping[str, Any]) -> dict | None:
    """The point a run's config (`{name: {"value": ...}}`) stands at, None when it lacks
    one of the parameters."""
    point = {}
    for name in parameters:
        head, *rest = name.split(NESTING)
        value = run_config.get(head)
        value = value.get("value") if isinstance(value, dict) else None
        for key in rest:
            if not isinstance(value, dict) or key not in value:
                return None
            value = value[key]
        if value is None and not rest:
            return None
        point[name] = value
    return point


def _point_key(point: Mapping[str, Any]) -> str:
    return json.dumps(point, sort_keys=True, default=str)


def expected_runs(config: Mapping[str, Any]) -> int | None:
    """How many runs the sweep will propose: the grid's size (or run_cap when
    smaller); run_cap or unbounded (None) for random search."""
    method, parameters = check_config(config)
    cap = config.get("run_cap")
    if method == "grid":
        size = grid_size(parameters)
        return min(size, cap) if cap else size
    return cap


def propose(
    config: Mapping[str, Any],
    proposed: int,
    rng: random.Random,
    prior_configs: Sequence[Mapping[str, Any]] = (),
) -> dict | None:
    """The point (dotted names) of the next run after `proposed` earlier ones, None when
    the sweep has nothing left to propose. A grid skips the points of `prior_configs`
    (configs of runs that joined the sweep without it proposing them), as W&B's grid
    skips points a run of the sweep already has."""
    method, parameters = check_config(config)
    limit = expected_runs(config)
    if limit is not None and proposed >= limit:
        return None
    if method != "grid":
        return random_point(parameters, rng)
    seen = {_point_key(p) for c in prior_configs if (p := config_point(parameters, c))}
    if not seen:
        return grid_point(parameters, proposed)
    # The points proposed so far are the first `proposed` unseen ones.
    index, unseen = 0, -1
    while (point := grid_point(parameters, index)) is not None:
        if _point_key(point) not in seen:
            unseen += 1
            if unseen == proposed:
                return point
        index += 1
    return None


# ------------------------------------------------------------- early termination


def hyperband_bands(config: Mapping[str, Any]) -> tuple[list[int], float, bool]:
    """The iterations at which hyperband compares runs, the fraction it keeps (1/eta)
    and whether it is strict: from `max_iter` and `s`, or from `min_iter` (W&B's
    engine's defaults: eta 3, strict true)."""
    terminate = config["early_terminate"]
    if not isinstance(terminate, dict) or terminate.get("type") != "hyperband":
        raise InvalidInput("early_terminate must be {type: hyperband, ...}")
    eta = terminate.get("eta", 3)
    if not is_finite_number(eta) or eta <= 1:
        raise InvalidInput("early_terminate eta must be a number greater than 1")
    bands: list[int] = []
    if "max_iter" in terminate and "s" in terminate:
        band = terminate["max_iter"]
        if not is_finite_number(band) or not is_finite_number(terminate["s"]):
            raise InvalidInput("early_terminate max_iter and s must be numbers")
        for _ in range(int(terminate["s"])):
            band /= eta
            if band < 1:
                break
            bands.append(int(band))
        bands.sort()
    elif "min_iter" in terminate:
        band = terminate["min_iter"]
        if not isinstance(band, int) or isinstance(band, bool) or band < 1:
            raise InvalidInput("early_terminate min_iter must be a positive integer")
        for _ in range(100):
            bands.append(int(band))
            band *= eta
    else:
        raise InvalidInput("early_terminate (hyperband) needs max_iter and s, or min_iter")
    if not bands:
        raise InvalidInput("early_terminate has no band: increase s or max_iter, or lower eta")
    return bands, 1.0 / eta, terminate.get("strict", True) is True


@dataclass(frozen=True)
class TrialMetrics:
    """A run of the sweep as early termination sees it: its state and the values of the
    sweep's metric it logged, in order."""

    name: str
    running: bool
    history: list[float]


def hyperband_stops(config: Mapping[str, Any], trials: Sequence[TrialMetrics]) -> list[str]:
    """The running runs hyperband stops: at each band b (iteration), the threshold is
    the value of the best 1/eta of every run's metric at b; a running run whose
    metric at its last band reached (strict) or best so far (not strict) is worse than
    that threshold is stopped. The algorithm of W&B's sweeps engine."""
    bands, keep, strict = hyperband_bands(config)
    _, goal = metric_goal(config)
    sign = -1.0 if goal == "maximize" else 1.0
    histories = {t.name: [sign * v for v in t.history] for t in trials}
    thresholds = []
    for band in bands:
        values = sorted(h[band - 1] for h in histories.values() if len(h) >= band)
        thresholds.append(values[int(keep * len(values))] if values else math.inf)
    stops = []
    for trial in trials:
        history = histories[trial.name]
        reached = [(b, t) for b, t in zip(bands, thresholds, strict=True) if b <= len(history)]
        if not trial.running or not reached:
            continue
        band, threshold = reached[-1]
        value = history[band - 1] if strict else min(history)
        if value > threshold:
            stops.append(trial.name)
    return stops
