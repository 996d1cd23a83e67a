"""Proposing the parameters of a sweep's next run, as W&B's sweep controller does for
`grid` and `random` search. `bayes` proposals are drawn at random too (no model of
the metric is fitted). Pure functions: the sweep's config in, one proposal out."""

from __future__ import annotations

import math
import random
from collections.abc import Mapping, Sequence
from typing import Any

from .errors import InvalidInput

METHODS = ("grid", "random", "bayes")

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


def _is_number(value: Any) -> bool:
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
            or not all(_is_number(w) and w >= 0 for w in weights)
            or not sum(weights) > 0
        ):
            raise InvalidInput(
                f"parameter {name!r}: probabilities must be one non-negative number per value"
            )
    numbers = [spec[key] for key in ("min", "max", "mu", "sigma", "q") if key in spec]
    if not all(_is_number(n) for n in numbers):
        raise InvalidInput(f"parameter {name!r}: min, max, mu, sigma and q must be numbers")
    if "min" in spec and spec["min"] > spec["max"]:
        raise InvalidInput(f"parameter {name!r}: min is greater than max")
    if kind == "int_uniform" and not all(isinstance(spec[k], int) for k in ("min", "max")):
        raise InvalidInput(f"parameter {name!r}: int_uniform needs integer min and max")
    if kind.endswith("_values") and spec["min"] <= 0:
        raise InvalidInput(f"parameter {name!r}: {kind} needs a positive min")
    if "q" in spec and spec["q"] <= 0:
        raise InvalidInput(f"parameter {name!r}: q must be positive")


def check_config(config: Any) -> tuple[str, dict[str, dict[str, Any]]]:
    """The search method and the parameters of a sweep config; InvalidInput when the
    config is not one this server can run."""
    if not isinstance(config, dict):
        raise InvalidInput("the sweep config must be a mapping")
    method = config.get("method")
    if method not in METHODS:
        raise InvalidInput(f"sweep method must be one of {', '.join(METHODS)}, got {method!r}")
    parameters = config.get("parameters") or {}
    if not isinstance(parameters, dict) or not all(
        isinstance(spec, dict) for spec in parameters.values()
    ):
        raise InvalidInput("sweep parameters must map names to mappings")
    for name, spec in parameters.items():
        if "parameters" in spec:
            raise InvalidInput(f"parameter {name!r}: nested parameters are not emulated")
        kind = _distribution(name, spec)
        if method == "grid" and kind not in ("constant", "categorical", "int_uniform"):
            raise InvalidInput(f"grid search needs discrete values: parameter {name!r} is {kind}")
    cap = config.get("run_cap")
    if cap is not None and (not isinstance(cap, int) or isinstance(cap, bool) or cap < 1):
        raise InvalidInput("run_cap must be a positive integer")
    return method, parameters


def _grid_values(name: str, spec: Mapping[str, Any]) -> Sequence[Any]:
    """The values a grid takes for a parameter; an int_uniform range stays a range (its
    length and items are computed, not materialized, however wide it is)."""
    kind = _distribution(name, spec)
    if kind == "constant":
        return [spec["value"]]
    if kind == "int_uniform":
        return range(int(spec["min"]), int(spec["max"]) + 1)
    return list(spec["values"])


def grid_size(parameters: Mapping[str, Mapping[str, Any]]) -> int:
    return math.prod(len(_grid_values(name, spec)) for name, spec in parameters.items())


def grid_point(parameters: Mapping[str, Mapping[str, Any]], index: int) -> dict[str, Any] | None:
    """The index-th combination of the grid in `itertools.product` order (parameters in
    config order, the last one varying fastest); None past the end."""
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


def expected_runs(config: Mapping[str, Any]) -> int | None:
    """How many runs the sweep will propose: the grid's size (or run_cap when
    smaller); run_cap or unbounded (None) for random search."""
    method, parameters = check_config(config)
    cap = config.get("run_cap")
    if method == "grid":
        size = grid_size(parameters)
        return min(size, cap) if cap else size
    return cap


def propose(config: Mapping[str, Any], proposed: int, rng: random.Random) -> dict | None:
    """The parameters of the next run after `proposed` earlier ones, None when the
    sweep has nothing left to propose."""
    method, parameters = check_config(config)
    limit = expected_runs(config)
    if limit is not None and proposed >= limit:
        return None
    if method == "grid":
        return grid_point(parameters, proposed)
    return random_point(parameters, rng)
