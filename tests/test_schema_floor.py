"""bench/schema_floor.py writes the emulator's schema as a trivial Strawberry app (the
schema-shaped floor of bench/startup.py); here its schema is checked against
schema.graphql, without starting it."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest
from graphql import build_schema, lexicographic_sort_schema, print_schema

pytestmark = pytest.mark.fast

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema.graphql"


def load(path: Path, name: str) -> ModuleType:
    """Import `path` as module `name` (registered: Strawberry looks its types up there)."""
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


generator = load(ROOT / "bench" / "schema_floor.py", "schema_floor")


def normalized(sdl: str) -> str:
    return print_schema(lexicographic_sort_schema(build_schema(sdl)))


def generated_sdl(sdl: str, directory: Path) -> str:
    """The SDL of the app generated from `sdl`, as Strawberry prints it."""
    path = directory / "app.py"
    path.write_text(generator.module_source(sdl, generator.FLOOR_APP.read_text()))
    return load(path, f"schema_floor_app_{directory.name}").schema.as_str()


def test_the_schema_shaped_floor_defines_the_emulators_schema(tmp_path: Path) -> None:
    """All that graphql-core prints is compared: every type with its kind, description,
    fields, arguments, defaults, nullability, lists, deprecations, union members,
    interfaces and a scalar's specifiedBy URL, both sides sorted by graphql-core.

    The generated side is read from Strawberry's printed SDL (which is how schema.graphql
    is exported too), not from its GraphQLSchema: Strawberry keeps an enum default as the
    Python enum member, which graphql-core's printer cannot print, for the emulator's
    schema as much as for this one."""
    committed = SCHEMA_FILE.read_text()

    assert normalized(generated_sdl(committed, tmp_path)) == normalized(committed)


EDGE_CASES = '''
"""A scalar with a URL."""
scalar Stamp @specifiedBy(url: "https://example.com/stamp")

enum Size {
  SMALL
  """The big one."""
  LARGE @deprecated(reason: "too big")
}

interface Node {
  id: ID!
}

interface Named implements Node {
  id: ID!
  name(upper: Boolean = false): String
}

type Item implements Node & Named {
  id: ID!
  name(upper: Boolean = false): String
  from: Stamp
  owner: Owner
  sizes(in: [Size!] = [SMALL, LARGE], info: String, root: Int!): [Size]!
  graphql: Int
  list: [String!]
}

type Owner {
  items("""Page size.""" first: Int = 10, after: String = null): [Thing!]!
  legacy: Int @deprecated(reason: "gone")
}

union Thing = Item | Owner

input Filter {
  from: String!
  size: Size! = SMALL
  names: [String!] = ["a"]
  note: String
  def: Float = 1.5
}

type Query {
  item(filter: Filter = null, self: String): Item
  thing: Thing
}
'''


def test_names_python_cannot_take_and_forward_references(tmp_path: Path) -> None:
    """Keywords and names Strawberry or annotations claim are renamed in Python and keep
    their GraphQL names; cycles, unions, interfaces of interfaces and list and enum
    defaults come out the same."""
    assert normalized(generated_sdl(EDGE_CASES, tmp_path)) == normalized(EDGE_CASES)
