"""The import graph of the `wandb_emulator` package, read from the source with `ast`.

Every `import` and `from ... import` statement becomes an edge from the importing module to
the package module it names, classified by where the statement sits:
- `module`: at module level (runs on import);
- `type_checking`: under `if TYPE_CHECKING:` (never runs);
- `local`: inside a function or method (runs when called: the usual way to hide a cycle).

Cycles are counted over the edges that run (`module` and `local`), as strongly connected
components of more than one module and as the simple cycles among them.

    python tests/import_graph.py [package-dir]   # prints the figures
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

PACKAGE = "wandb_emulator"
SOURCE = Path(__file__).resolve().parent.parent / "server" / PACKAGE
RUNTIME = ("module", "local")


@dataclass(frozen=True)
class Edge:
    source: str
    target: str
    kind: str  # "module", "type_checking" or "local"
    line: int


@dataclass
class ImportGraph:
    modules: set[str] = field(default_factory=set)
    edges: list[Edge] = field(default_factory=list)

    def runtime(self) -> dict[str, set[str]]:
        """Module -> the modules it imports when it or its functions run."""
        graph: dict[str, set[str]] = {m: set() for m in self.modules}
        for edge in self.edges:
            if edge.kind in RUNTIME and edge.source != edge.target:
                graph[edge.source].add(edge.target)
        return graph

    def local_imports(self, under: str = PACKAGE) -> list[Edge]:
        return [e for e in self.edges if e.kind == "local" and e.source.startswith(under)]

    def cyclic_groups(self) -> list[list[str]]:
        """Strongly connected components of more than one module, each sorted."""
        return sorted(sorted(c) for c in _components(self.runtime()) if len(c) > 1)

    def cycles(self, limit: int = 100_000) -> list[list[str]]:
        """Simple cycles of the runtime graph (stops counting at `limit`)."""
        return list(_simple_cycles(self.runtime(), limit))


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def build(root: Path = SOURCE) -> ImportGraph:
    graph = ImportGraph()
    files = sorted(root.rglob("*.py"))
    graph.modules = {module_name(p, root) for p in files}
    for path in files:
        name = module_name(path, root)
        package = name if path.name == "__init__.py" else name.rpartition(".")[0]
        tree = ast.parse(path.read_text(), filename=str(path))
        for node, kind in _imports(tree):
            for target in _targets(node, package, graph.modules):
                graph.edges.append(Edge(name, target, kind, node.lineno))
    return graph


def _imports(tree: ast.Module) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
    def visit(node: ast.AST, kind: str) -> Iterator[tuple[ast.Import | ast.ImportFrom, str]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.Import | ast.ImportFrom):
                yield child, kind
            elif isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.Lambda):
                yield from visit(child, "local")
            elif isinstance(child, ast.If) and kind == "module" and _is_type_checking(child):
                for stmt in child.body:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), "type_checking")
                for stmt in child.orelse:
                    yield from visit(ast.Module(body=[stmt], type_ignores=[]), kind)
            else:
                yield from visit(child, kind)

    return visit(tree, "module")


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _targets(node: ast.Import | ast.ImportFrom, package: str, modules: set[str]) -> list[str]:
    """The package modules a statement imports (`from pkg import mod` names `pkg.mod`)."""
    if isinstance(node, ast.Import):
        return [_owning(a.name, modules) for a in node.names if _inside(a.name)]
    if node.level:
        base = package.split(".")
        base = base[: len(base) - node.level + 1]
        absolute = ".".join(base + ([node.module] if node.module else []))
    else:
        absolute = node.module or ""
    if not _inside(absolute):
        return []
    found = []
    for alias in node.names:
        candidate = f"{absolute}.{alias.name}"
        found.append(candidate if candidate in modules else _owning(absolute, modules))
    return sorted(set(found))


def _inside(name: str) -> bool:
    return name == PACKAGE or name.startswith(PACKAGE + ".")


def _owning(name: str, modules: set[str]) -> str:
    while name not in modules and "." in name:
        name = name.rpartition(".")[0]
    return name


def _components(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's strongly connected components."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[set[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = set()
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.add(member)
                if member == node:
                    break
            found.append(component)

    sys.setrecursionlimit(max(sys.getrecursionlimit(), 10 * len(graph) + 100))
    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def _simple_cycles(graph: dict[str, set[str]], limit: int) -> Iterable[list[str]]:
    """Each simple cycle once, starting from its smallest module (bounded DFS)."""
    count = 0
    for component in _components(graph):
        if len(component) < 2:
            continue
        for start in sorted(component):
            allowed = {m for m in component if m >= start}
            path = [start]
            iterators = [iter(sorted(graph[start] & allowed))]
            while iterators:
                nxt = next(iterators[-1], None)
                if nxt is None:
                    iterators.pop()
                    path.pop()
                elif nxt == start:
                    yield [*path, start]
                    count += 1
                    if count >= limit:
                        return
                elif nxt not in path:
                    path.append(nxt)
                    iterators.append(iter(sorted(graph[nxt] & allowed)))


def report(graph: ImportGraph) -> str:
    kinds = {k: sum(1 for e in graph.edges if e.kind == k) for k in ("module", "local")}
    kinds["type_checking"] = sum(1 for e in graph.edges if e.kind == "type_checking")
    groups = graph.cyclic_groups()
    cycles = graph.cycles()
    lines = [
        f"modules: {len(graph.modules)}",
        f"import edges: {kinds['module']} module-level, {kinds['local']} function-local, "
        f"{kinds['type_checking']} under TYPE_CHECKING",
        f"function-local imports: {len(graph.local_imports())} in the package, "
        f"{len(graph.local_imports(PACKAGE + '.graphql'))} in graphql/",
        f"cyclic groups (strongly connected, >1 module): {len(groups)}, "
        f"{sum(len(g) for g in groups)} modules",
        f"simple cycles: {len(cycles)}",
    ]
    lines += [f"  group: {', '.join(g)}" for g in groups]
    lines += [
        f"  local: {e.source}:{e.line} -> {e.target}" for e in graph.edges if e.kind == "local"
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    print(report(build(Path(sys.argv[1]) if len(sys.argv) > 1 else SOURCE)))
