"""Finding every GraphQL document the installed `wandb` package can send.

Python sources: string constants that parse as GraphQL documents with at least one
operation. The `wandb-core` binary: genqlient documents embedded as text, found by
scanning for `query `/`mutation ` and matching braces, fragments appended.
"""

from __future__ import annotations

import ast
import importlib.util
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from graphql import (
    DocumentNode,
    FragmentDefinitionNode,
    GraphQLSyntaxError,
    OperationDefinitionNode,
    parse,
)

_OPERATION_START = re.compile(rb"(?:query|mutation|subscription)[ \t]+[A-Za-z_]\w*[ \t]*[({]")
_FRAGMENT_START = re.compile(rb"\s*fragment[ \t]+\w+[ \t]+on[ \t]+\w+[ \t]*\{")
_MAX_DOCUMENT = 64 * 1024


@dataclass(frozen=True)
class Document:
    name: str
    kind: str  # query | mutation
    source: str  # "wandb-core" or the Python file:line
    text: str


def _operations(node: DocumentNode) -> list[OperationDefinitionNode]:
    return [d for d in node.definitions if isinstance(d, OperationDefinitionNode)]


# Older SDKs fill `_NAME_` (or `_Server_Settings_`) placeholder lines of a template at
# run time, with extra fields when introspection finds them and with nothing otherwise;
# checking the minimal variant keeps the placeholder from reading as an unknown field.
_TEMPLATE_PLACEHOLDER = re.compile(r"(?m)^[ \t]*_[A-Z][A-Za-z_]*_[ \t]*$")


def _as_document(text: str, source: str) -> Document | None:
    text = _TEMPLATE_PLACEHOLDER.sub("", text)
    try:
        node = parse(text)
    except GraphQLSyntaxError:
        return None
    ops = _operations(node)
    if len(ops) != 1:
        return None
    op = ops[0]
    name = op.name.value if op.name else "(anonymous)"
    return Document(name=name, kind=op.operation.value, source=source, text=text)


def _balanced_end(data: bytes, open_brace: int) -> int | None:
    depth = 0
    limit = min(len(data), open_brace + _MAX_DOCUMENT)
    for index in range(open_brace, limit):
        char = data[index]
        if char == 0x7B:  # {
            depth += 1
        elif char == 0x7D:  # }
            depth -= 1
            if depth == 0:
                return index + 1
        elif char < 0x09:  # binary data: not a document
            return None
    return None


def documents_in_binary(path: Path) -> Iterator[Document]:
    data = path.read_bytes()
    seen: set[str] = set()
    for match in _OPERATION_START.finditer(data):
        brace = data.find(b"{", match.start())
        end = _balanced_end(data, brace)
        if end is None:
            continue
        while fragment := _FRAGMENT_START.match(data, end):
            fragment_end = _balanced_end(data, fragment.end() - 1)
            if fragment_end is None:
                break
            end = fragment_end
        text = data[match.start() : end].decode("utf-8", errors="replace")
        if text in seen:
            continue
        seen.add(text)
        if doc := _as_document(text, "wandb-core"):
            yield doc


def _python_strings(package_dir: Path) -> Iterator[tuple[Path, int, str]]:
    """(module, line, text) of every string constant that may hold GraphQL."""
    for path in sorted(package_dir.rglob("*.py")):
        if "vendor" in path.parts or "proto" in path.parts:
            continue
        try:
            source = path.read_text(encoding="utf-8")
            if "query" not in source and "mutation" not in source:
                continue  # no document here; parsing every module costs seconds
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                text = node.value
                if "{" in text and re.search(r"\b(query|mutation|fragment)\b", text):
                    yield path, node.lineno, text


def _fragment_definitions(text: str) -> dict[str, str]:
    """The fragments a string defines, when it holds nothing but fragments."""
    try:
        node = parse(text)
    except GraphQLSyntaxError:
        return {}
    if not node.definitions or not all(
        isinstance(d, FragmentDefinitionNode) for d in node.definitions
    ):
        return {}
    return {
        d.name.value: text[d.loc.start : d.loc.end]
        for d in node.definitions
        if isinstance(d, FragmentDefinitionNode) and d.loc is not None
    }


_SPREAD = re.compile(r"\.\.\.\s*([A-Za-z_]\w*)")


def _with_fragments(text: str, *known: dict[str, str]) -> str:
    """The document with the fragments it spreads but does not define appended, as the
    SDK appends them at run time (`f"...{FILE_FRAGMENT}"`); the module's own first."""
    defined = set(re.findall(r"\bfragment\s+([A-Za-z_]\w*)\s+on\b", text))
    missing = [name for name in _SPREAD.findall(text) if name not in defined and name != "on"]
    while missing:
        name = missing.pop()
        fragment = next((k[name] for k in known if name in k), None)
        if fragment is None or name in defined:
            continue
        defined.add(name)
        text += "\n" + fragment
        missing += [n for n in _SPREAD.findall(fragment) if n not in defined and n != "on"]
    return text


def documents_in_python(package_dir: Path) -> Iterator[Document]:
    strings = list(_python_strings(package_dir))
    by_module: dict[Path, dict[str, str]] = {}
    everywhere: dict[str, str] = {}
    for path, _, text in strings:
        for name, fragment in _fragment_definitions(text).items():
            by_module.setdefault(path, {}).setdefault(name, fragment)
            everywhere.setdefault(name, fragment)
    for path, line, text in strings:
        if not re.search(r"\b(query|mutation)\b", text):
            continue
        text = _with_fragments(text, by_module.get(path, {}), everywhere)
        if doc := _as_document(text, f"{path.relative_to(package_dir.parent)}:{line}"):
            yield doc


def wandb_package_dir(directory: Path) -> Path:
    """The `wandb` package in `directory`: the package itself or a dir holding it (--target)."""
    if (directory / "wandb" / "__init__.py").is_file():
        return directory / "wandb"
    if (directory / "__init__.py").is_file() and directory.name == "wandb":
        return directory
    raise FileNotFoundError(f"no wandb package in {directory}")


def package_version(package_dir: Path) -> str:
    """The version a wandb package declares, read without importing it."""
    text = (package_dir / "__init__.py").read_text(encoding="utf-8")
    match = re.search(r"^__version__\s*=\s*[\"']([^\"']+)", text, re.MULTILINE)
    return match.group(1) if match else "unknown"


def installed_package_dir() -> Path:
    """The installed wandb package, found without importing it (importing wandb is slow)."""
    spec = importlib.util.find_spec("wandb")
    if spec is None or spec.origin is None:
        raise FileNotFoundError("wandb is not installed")
    return Path(spec.origin).resolve().parent


def package_documents(package_dir: Path) -> list[Document]:
    """Every document of the wandb package in `package_dir` (Python first, then wandb-core)."""
    docs = list(documents_in_python(package_dir))
    core = package_dir / "bin" / "wandb-core"
    if core.exists():
        docs.extend(documents_in_binary(core))
    return docs
