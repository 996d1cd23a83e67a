"""The package's import graph stays acyclic, and graphql/ hides no import inside a function
(`python tests/import_graph.py` prints the figures)."""

from __future__ import annotations

from pathlib import Path

import import_graph
import pytest

pytestmark = pytest.mark.fast

GRAPHQL = import_graph.PACKAGE + ".graphql"

# Function-local imports allowed inside graphql/, each with the reason it cannot move up.
ALLOWED_LOCAL_IMPORTS: set[tuple[str, str]] = {
    # The fast path is imported only when Config.fast_execution is on and the installed
    # Strawberry and graphql-core are releases it was tested with.
    (GRAPHQL + ".schema", GRAPHQL + ".fastpath"),
}

# The graphql modules that compute records for the types; they never import a GraphQL type.
RECORD_MODULES = ("resolvers", "lookups", "search", "files", "lineage", "documents")


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph.build()
    assert graph.cyclic_groups() == []


def test_graphql_has_no_function_local_import() -> None:
    local = {(e.source, e.target) for e in import_graph.build().local_imports(GRAPHQL)}
    assert local <= ALLOWED_LOCAL_IMPORTS, sorted(local - ALLOWED_LOCAL_IMPORTS)


def test_resolvers_import_no_graphql_type() -> None:
    graph = import_graph.build()
    offending = [
        (e.source, e.target)
        for e in graph.edges
        if e.source.startswith(GRAPHQL + ".")
        and e.source.rpartition(".")[2] in RECORD_MODULES
        and e.target.endswith(".types")
    ]
    assert offending == []


def _package(root: Path, files: dict[str, str]) -> Path:
    package = root / import_graph.PACKAGE
    for name, text in {"__init__.py": "", **files}.items():
        path = package / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return package


def test_a_cycle_through_a_function_local_import_is_found(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "graphql/__init__.py": "",
            "graphql/types.py": "def f():\n    from .resolvers import g\n",
            "graphql/resolvers.py": "from . import types\n",
            "graphql/other.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from .types import f\n",
        },
    )
    graph = import_graph.build(package)
    assert graph.cyclic_groups() == [[f"{GRAPHQL}.resolvers", f"{GRAPHQL}.types"]]
    assert [(e.source, e.target) for e in graph.local_imports(GRAPHQL)] == [
        (f"{GRAPHQL}.types", f"{GRAPHQL}.resolvers")
    ]
    assert len(graph.cycles()) == 1


def test_type_checking_imports_make_no_cycle(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "a.py": "from . import b\n",
            "b.py": "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from . import a\n",
        },
    )
    graph = import_graph.build(package)
    assert graph.cyclic_groups() == []
    assert {e.kind for e in graph.edges} == {"module", "type_checking"}
