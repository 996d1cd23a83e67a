"""The package's import graph keeps its layers: no import cycle, no import hidden in a
function in graphql/, graphql/ and ui/ read only through the domain (never `store`), the
domain imports no adapter, and only the permission gate raises PermissionDenied
(`python tests/import_graph.py` prints the figures)."""

from __future__ import annotations

import ast
from pathlib import Path

import import_graph
import pytest

pytestmark = pytest.mark.fast

PACKAGE = import_graph.PACKAGE
GRAPHQL = PACKAGE + ".graphql"
UI = PACKAGE + ".ui"
STORE = PACKAGE + ".store"
DOMAIN = PACKAGE + ".domain"
ADAPTERS = (GRAPHQL, UI, PACKAGE + ".http")
GATE = PACKAGE + ".auth"

# Function-local imports allowed inside graphql/, each with the reason it cannot move up.
ALLOWED_LOCAL_IMPORTS: set[tuple[str, str]] = {
    # The fast path is imported only when Config.fast_execution is on and the installed
    # Strawberry and graphql-core are releases it was tested with.
    (GRAPHQL + ".schema", GRAPHQL + ".fastpath"),
}


def _under(module: str, packages: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in packages)


def imports_between(
    graph: import_graph.ImportGraph, sources: tuple[str, ...], targets: tuple[str, ...]
) -> list[tuple[str, str, str]]:
    """(source, target, kind) of every import from `sources` into `targets`, whatever its
    kind: under TYPE_CHECKING too (a name of `store` in an annotation is a dependency)."""
    return sorted(
        {
            (e.source, e.target, e.kind)
            for e in graph.edges
            if _under(e.source, sources) and _under(e.target, targets)
        }
    )


def test_the_package_has_no_import_cycle() -> None:
    graph = import_graph.build()
    assert graph.cyclic_groups() == []


def test_graphql_has_no_function_local_import() -> None:
    local = {(e.source, e.target) for e in import_graph.build().local_imports(GRAPHQL)}
    assert local <= ALLOWED_LOCAL_IMPORTS, sorted(local - ALLOWED_LOCAL_IMPORTS)


def test_graphql_and_ui_read_only_through_the_domain() -> None:
    assert imports_between(import_graph.build(), (GRAPHQL, UI), (STORE,)) == []


def test_the_domain_imports_no_adapter() -> None:
    assert imports_between(import_graph.build(), (DOMAIN,), ADAPTERS) == []


def permission_denied_raises(root: Path = import_graph.SOURCE) -> list[tuple[str, int]]:
    """(module, line) of every `raise` naming PermissionDenied, and of every class made
    from it outside domain/errors.py (a subclass raised elsewhere would dodge the gate)."""
    found = []
    for path in sorted(root.rglob("*.py")):
        module = import_graph.module_name(path, root)
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Raise) and node.exc is not None:
                named = node.exc
            elif isinstance(node, ast.ClassDef) and module != f"{DOMAIN}.errors":
                named = ast.Tuple(elts=list(node.bases))
            else:
                continue
            names = {n.id for n in ast.walk(named) if isinstance(n, ast.Name)}
            names |= {n.attr for n in ast.walk(named) if isinstance(n, ast.Attribute)}
            if "PermissionDenied" in names:
                found.append((module, node.lineno))
    return found


def test_only_the_gate_raises_permission_denied() -> None:
    raises = permission_denied_raises()
    assert {module for module, _ in raises} == {GATE}
    assert len(raises) == 1, raises


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


def test_a_store_import_is_found_under_type_checking_too(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "store/__init__.py": "",
            "store/records.py": "",
            "graphql/__init__.py": "",
            "graphql/types.py": "from typing import TYPE_CHECKING\n"
            "if TYPE_CHECKING:\n    from ..store.records import X\n",
            "ui/__init__.py": "",
            "ui/pages.py": "from .. import store\n",
            "ui/view.py": "from ..graphql import types\n",
        },
    )
    assert imports_between(import_graph.build(package), (GRAPHQL, UI), (STORE,)) == [
        (f"{GRAPHQL}.types", f"{STORE}.records", "type_checking"),
        (f"{UI}.pages", STORE, "module"),
    ]


def test_a_raise_or_a_subclass_of_permission_denied_is_found(tmp_path: Path) -> None:
    package = _package(
        tmp_path,
        {
            "auth.py": "def check():\n    raise PermissionDenied('no')\n",
            "domain/__init__.py": "",
            "domain/errors.py": "class PermissionDenied(Exception):\n    pass\n",
            "domain/links.py": "from . import errors\n\n\n"
            "def unlink():\n    raise errors.PermissionDenied\n",
            "ui/__init__.py": "",
            "ui/view.py": "class Refused(PermissionDenied):\n    pass\n",
        },
    )
    assert permission_denied_raises(package) == [
        (GATE, 2),
        (f"{DOMAIN}.links", 5),
        (f"{UI}.view", 1),
    ]


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
