"""The declared dependencies say what the code needs and what CI proves: every package the
server imports is declared; the lock (what CI installs) pins each declared package
within its range; requirements/lowest.txt pins each runtime dependency at its declared
lower bound (what `make test-lowest` runs on); packages whose internals the code uses
stop below their next minor release; the fast path's tested ranges hold the lock's
releases."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet
from packaging.version import Version

from wandb_emulator.graphql.schema import FAST_PATH_TESTED

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parent.parent
SERVER = ROOT / "server" / "wandb_emulator"
PROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
RUNTIME = {Requirement(text).name: Requirement(text) for text in PROJECT["dependencies"]}
TEST = {Requirement(t).name: Requirement(t) for t in PROJECT["optional-dependencies"]["test"]}
# What the extras other than `test` bring: imported only where a feature asks for them.
OPTIONAL = {
    Requirement(text).name
    for extra, requirements in PROJECT["optional-dependencies"].items()
    if extra != "test"
    for text in requirements
}

# Import names that differ from the distribution's.
DISTRIBUTIONS = {
    "strawberry": "strawberry-graphql",
    "graphql": "graphql-core",
    "yaml": "pyyaml",
    "re2": "google-re2",
    "typing_extensions": "typing-extensions",
    "opentelemetry": "opentelemetry-proto",  # opentelemetry.proto.collector.*
    "google": "protobuf",  # google.protobuf (re2 is google-re2's top-level name)
    "prometheus_client": "prometheus-client",
}
# Declared, never imported by the server: Starlette imports it to parse the panel's
# snapshot upload (`request.form()` refuses multipart bodies without it).
IMPORTED_BY_DEPENDENCIES = {"python-multipart"}
# Imported only by the test tooling a user runs inside their own suite (the pytest plugin,
# `testing.py`, `webhooks.py`), where pytest and the SDK are theirs.
USERS_OWN = {"pytest", "wandb"}
# Packages whose internals the code uses: the fast path (graphql/fastpath/) and the
# statements run on the loop's thread (store/database.py).
INTERNALS_USED = ("strawberry-graphql", "graphql-core", "aiosqlite")


def pins(path: Path) -> dict[str, Version]:
    found = {}
    for line in path.read_text().splitlines():
        line = line.split("#")[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            found[name.strip().lower()] = Version(version.split(";")[0].strip())
    return found


def imported_top_level_names() -> set[str]:
    names = set()
    for path in SERVER.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.partition(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.partition(".")[0])
    return names - set(sys.stdlib_module_names) - {"wandb_emulator", "__future__"}


def test_every_imported_package_is_declared() -> None:
    imported = {DISTRIBUTIONS.get(name, name) for name in imported_top_level_names()}
    assert imported - USERS_OWN == (set(RUNTIME) | OPTIONAL) - IMPORTED_BY_DEPENDENCIES


@pytest.mark.parametrize("lock", ["test.lock", "lowest.lock"])
def test_the_locks_pin_every_declared_package_within_its_range(lock: str) -> None:
    pinned = pins(ROOT / "requirements" / lock)
    for name, requirement in {**TEST, **RUNTIME}.items():
        assert name in pinned, f"{name} is not in {lock}: run `make lock`"
        assert pinned[name] in requirement.specifier, (lock, name, pinned[name])


def test_the_lowest_set_pins_each_runtime_dependency_at_its_lower_bound() -> None:
    lowest = pins(ROOT / "requirements" / "lowest.txt")
    assert set(lowest) == set(RUNTIME)
    for name, requirement in RUNTIME.items():
        [floor] = [spec.version for spec in requirement.specifier if spec.operator == ">="]
        assert lowest[name] == Version(floor), name
    assert pins(ROOT / "requirements" / "lowest.lock").items() >= lowest.items()


@pytest.mark.parametrize("name", INTERNALS_USED)
def test_packages_whose_internals_are_used_stop_below_the_next_minor(name: str) -> None:
    locked = pins(ROOT / "requirements" / "test.lock")[name]
    [ceiling] = [spec.version for spec in RUNTIME[name].specifier if spec.operator == "<"]
    assert Version(ceiling) == Version(f"{locked.major}.{locked.minor + 1}"), (name, ceiling)


def test_the_fast_path_was_tested_with_the_locked_releases() -> None:
    locked = pins(ROOT / "requirements" / "test.lock")
    for name, (low, high) in FAST_PATH_TESTED.items():
        assert locked[name] in SpecifierSet(f">={low},<{high}"), name
        assert Version(low) == locked[name], f"{name}: tested from the locked release"
        assert SpecifierSet(f"<{high}") == SpecifierSet(
            ",".join(str(s) for s in RUNTIME[name].specifier if s.operator == "<")
        ), name
