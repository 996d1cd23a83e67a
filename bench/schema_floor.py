"""The schema-shaped floor: the emulator's schema (`schema.graphql`) written out as a
trivial Strawberry app, served like `bench/floor_app.py`.

Every object type, interface, input, enum, union and custom scalar of the SDL becomes
one Strawberry definition with the same GraphQL names, fields, arguments (with their
defaults), descriptions, deprecations, nullability and lists. Fields without arguments
are plain annotated attributes; fields with arguments are resolvers returning None. The
app around them is floor_app.py's own source (its `Query` replaced), so the two differ
only in the schema. What this app takes to start is what a schema of that shape costs on
the stack, before any of the emulator's own work.

    python bench/schema_floor.py DIRECTORY    # writes and compiles DIRECTORY/<module>.py

Annotations are evaluated, as in the emulator's graphql modules (no `from __future__
import annotations`): the classes come in dependency order and only a reference to a
class defined further down is quoted. Python names are the GraphQL names
(`auto_camel_case=False`) unless that is not a legal or free identifier; then a trailing
underscore and an explicit `name=`.
"""

from __future__ import annotations

import ast
import keyword
import subprocess
import sys
from pathlib import Path

from graphql import (
    GraphQLArgument,
    GraphQLEnumType,
    GraphQLField,
    GraphQLInputField,
    GraphQLInputObjectType,
    GraphQLInterfaceType,
    GraphQLList,
    GraphQLNamedType,
    GraphQLNonNull,
    GraphQLObjectType,
    GraphQLScalarType,
    GraphQLSchema,
    GraphQLUnionType,
    build_schema,
    get_named_type,
)
from graphql.language import (
    BooleanValueNode,
    EnumValueNode,
    FloatValueNode,
    IntValueNode,
    ListValueNode,
    NullValueNode,
    StringValueNode,
    ValueNode,
)
from graphql.type import GraphQLInputType, GraphQLOutputType, is_specified_scalar_type

ROOT = Path(__file__).resolve().parent.parent
SCHEMA_FILE = ROOT / "schema.graphql"
FLOOR_APP = Path(__file__).resolve().parent / "floor_app.py"
MODULE = "schema_floor_app"

BUILTIN_SCALARS = {
    "String": "str",
    "Int": "int",
    "Float": "float",
    "Boolean": "bool",
    "ID": "strawberry.ID",
}
EXTRA_IMPORTS = [
    "import enum",
    "from typing import Annotated, NewType, Union",
    "",
    "from strawberry.schema.config import StrawberryConfig",
]
SCALAR_MAP = "_SCALAR_MAP"
# Names the annotations use resolve in the class body first, so no field may bind them
# (nor a class's name).
ANNOTATION_NAMES = {"list", "str", "int", "float", "bool", "None", "strawberry", "Annotated"}
# Strawberry gives a resolver parameter with one of these names its own meaning.
RESOLVER_PARAMETERS = {"self", "info", "root"}


def identifier(name: str, taken: set[str]) -> str:
    """`name` as a Python identifier that is no keyword and none of `taken`."""
    if name.isidentifier() and not keyword.iskeyword(name) and name not in taken:
        return name
    return identifier(name + "_", taken)


def keywords(**values: str | None) -> str:
    """`name=repr(value)` for each value given, comma separated."""
    return ", ".join(f"{key}={value!r}" for key, value in values.items() if value is not None)


class FloorWriter:
    """Writes one Strawberry module defining the schema's types, in dependency order."""

    def __init__(self, schema: GraphQLSchema, module_names: set[str]) -> None:
        self.schema = schema
        self.types = [
            t
            for name, t in sorted(schema.type_map.items())
            if not name.startswith("__") and not is_specified_scalar_type(t)
        ]
        taken = module_names | ANNOTATION_NAMES | {SCALAR_MAP}
        self.python_names = {t.name: identifier(t.name, taken) for t in self.types}
        self.member_taken = ANNOTATION_NAMES | set(self.python_names.values())
        self.defined: set[str] = set(BUILTIN_SCALARS)

    # ---------------------------------------------------------------- the module

    def definitions(self) -> list[str]:
        scalars = [t for t in self.types if isinstance(t, GraphQLScalarType)]
        enums = [t for t in self.types if isinstance(t, GraphQLEnumType)]
        unions = [t for t in self.types if isinstance(t, GraphQLUnionType)]
        lines = self.scalars(scalars)
        for enum_type in enums:
            lines += self.enum(enum_type)
        for class_type in self.classes_in_dependency_order():
            lines += self.strawberry_class(class_type)
        for union in unions:
            lines += self.union(union)
        return lines

    def schema_arguments(self) -> str:
        roots = {
            "query": self.schema.query_type,
            "mutation": self.schema.mutation_type,
            "subscription": self.schema.subscription_type,
        }
        arguments = [f"{key}={self.python_names[t.name]}" for key, t in roots.items() if t]
        implementers = [
            self.python_names[t.name]
            for t in self.types
            if isinstance(t, GraphQLObjectType) and t.interfaces
        ]
        arguments.append(f"types=[{', '.join(implementers)}]")
        arguments.append(f"config=StrawberryConfig(auto_camel_case=False, scalar_map={SCALAR_MAP})")
        return ", ".join(arguments) + ","

    def classes_in_dependency_order(self) -> list[GraphQLNamedType]:
        """Objects, interfaces and inputs, each after what its fields refer to where a
        cycle allows; an interface always before the types that implement it."""
        ordered: list[GraphQLNamedType] = []
        active: set[str] = set()
        done: set[str] = set()

        def visit(t: GraphQLNamedType) -> None:
            if t.name in done or t.name in active:
                return
            interfaces = getattr(t, "interfaces", ())
            if any(i.name in active for i in interfaces):
                return  # reached from its own interface: comes later, named in quotes
            active.add(t.name)
            for dependency in [*interfaces, *self.referenced_classes(t)]:
                visit(dependency)
            active.discard(t.name)
            done.add(t.name)
            ordered.append(t)

        kinds = (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)
        for t in self.types:
            if isinstance(t, kinds):
                visit(t)
        return ordered

    def referenced_classes(self, t: GraphQLNamedType) -> list[GraphQLNamedType]:
        kinds = (GraphQLObjectType, GraphQLInterfaceType, GraphQLInputObjectType)
        fields = getattr(t, "fields", {}).values()
        types = [f.type for f in fields]
        types += [a.type for f in fields for a in getattr(f, "args", {}).values()]
        named = [get_named_type(ref) for ref in types]
        return [n for n in named if isinstance(n, kinds)]

    # ---------------------------------------------------------------- definitions

    def scalars(self, scalars: list[GraphQLScalarType]) -> list[str]:
        lines = []
        for scalar in scalars:
            lines.append(f"{self.python_names[scalar.name]} = NewType({scalar.name!r}, object)")
            self.defined.add(scalar.name)
        lines += ["", f"{SCALAR_MAP} = {{"]
        for scalar in scalars:
            details = keywords(
                name=scalar.name,
                description=scalar.description,
                specified_by_url=scalar.specified_by_url,
            )
            lines.append(f"    {self.python_names[scalar.name]}: strawberry.scalar({details}),")
        return [*lines, "}", ""]

    def enum(self, enum_type: GraphQLEnumType) -> list[str]:
        details = keywords(name=enum_type.name, description=enum_type.description)
        python_name = self.python_names[enum_type.name]
        lines = ["", f"@strawberry.enum({details})", f"class {python_name}(enum.Enum):"]
        for name, value in enum_type.values.items():
            if not name.isidentifier() or keyword.iskeyword(name):
                raise ValueError(f"enum value {enum_type.name}.{name} is no Python name")
            extra = keywords(
                description=value.description, deprecation_reason=value.deprecation_reason
            )
            literal = f"strawberry.enum_value({name!r}, {extra})" if extra else repr(name)
            lines.append(f"    {name} = {literal}")
        self.defined.add(enum_type.name)
        return [*lines, ""]

    def strawberry_class(self, t: GraphQLNamedType) -> list[str]:
        python_name = self.python_names[t.name]
        details = keywords(name=t.name, description=t.description)
        if isinstance(t, GraphQLInputObjectType):
            decorator, bases = "input", []
            body = [self.input_field(n, f) for n, f in t.fields.items()]
        else:
            assert isinstance(t, GraphQLObjectType | GraphQLInterfaceType)
            decorator = "interface" if isinstance(t, GraphQLInterfaceType) else "type"
            bases = self.bases(t)
            body = [line for n, f in t.fields.items() for line in self.output_field(n, f)]
        base_list = f"({', '.join(bases)})" if bases else ""
        self.defined.add(t.name)
        header = [f"@strawberry.{decorator}({details})", f"class {python_name}{base_list}:"]
        return ["", *header, *body, ""]

    def bases(self, t: GraphQLObjectType | GraphQLInterfaceType) -> list[str]:
        """The interfaces a class derives from: those no other listed one derives from."""
        inherited = {i.name for direct in t.interfaces for i in direct.interfaces}
        return [self.python_names[i.name] for i in t.interfaces if i.name not in inherited]

    def union(self, union: GraphQLUnionType) -> list[str]:
        members = ", ".join(self.python_names[m.name] for m in union.types)
        details = ", ".join(
            filter(None, [repr(union.name), keywords(description=union.description)])
        )
        self.defined.add(union.name)
        alias = f"Annotated[Union[{members}], strawberry.union({details})]"
        return [f"{self.python_names[union.name]} = {alias}", ""]

    # ---------------------------------------------------------------- fields

    def output_field(self, name: str, field: GraphQLField) -> list[str]:
        python_name = identifier(name, self.member_taken)
        details = keywords(
            name=name if python_name != name else None,
            description=field.description,
            deprecation_reason=field.deprecation_reason,
        )
        annotation = self.annotation(field.type)
        if not field.args:
            value = f" = strawberry.field({details})" if details else ""
            return [f"    {python_name}: {annotation}{value}"]
        parameters = ", ".join(self.parameter(n, a) for n, a in field.args.items())
        return [
            f"    @strawberry.field({details})" if details else "    @strawberry.field",
            f"    def {python_name}(self, *, {parameters}) -> {annotation}:",
            "        return None",
        ]

    def parameter(self, name: str, argument: GraphQLArgument) -> str:
        python_name = identifier(name, self.member_taken | RESOLVER_PARAMETERS)
        annotation = self.annotation(argument.type)
        details = keywords(
            name=name if python_name != name else None,
            description=argument.description,
            deprecation_reason=argument.deprecation_reason,
        )
        if details:
            annotation = f"Annotated[{annotation}, strawberry.argument({details})]"
        default = self.default(argument)
        return f"{python_name}: {annotation}" + (f" = {default}" if default else "")

    def input_field(self, name: str, field: GraphQLInputField) -> str:
        python_name = identifier(name, self.member_taken)
        default = self.default(field)
        if default is None and not isinstance(field.type, GraphQLNonNull):
            default = "strawberry.UNSET"  # nullable and optional, with no default
        details = keywords(
            name=name if python_name != name else None,
            description=field.description,
            deprecation_reason=field.deprecation_reason,
        )
        mutable = default is not None and default.startswith("[")  # a dataclass refuses it
        if details or mutable:
            if default is not None:
                key = "default_factory=lambda: " if mutable else "default="
                details = ", ".join(filter(None, [details, key + default]))
            default = f"strawberry.field({details})"
        return f"    {python_name}: {self.annotation(field.type)}" + (
            f" = {default}" if default else ""
        )

    # ---------------------------------------------------------------- types and values

    def annotation(self, type_: GraphQLOutputType | GraphQLInputType) -> str:
        """The Python annotation; in quotes if it names a class defined further down."""
        expression = self.type_expression(type_)
        return expression if get_named_type(type_).name in self.defined else f'"{expression}"'

    def type_expression(self, type_: GraphQLOutputType | GraphQLInputType) -> str:
        if isinstance(type_, GraphQLNonNull):
            return self.nullable_expression(type_.of_type)
        return self.nullable_expression(type_) + " | None"

    def nullable_expression(self, type_: GraphQLOutputType | GraphQLInputType) -> str:
        if isinstance(type_, GraphQLList):
            return f"list[{self.type_expression(type_.of_type)}]"
        name = get_named_type(type_).name
        return BUILTIN_SCALARS.get(name) or self.python_names[name]

    def default(self, value: GraphQLArgument | GraphQLInputField) -> str | None:
        node = value.ast_node.default_value if value.ast_node else None
        return None if node is None else self.literal(node, get_named_type(value.type))

    def literal(self, node: ValueNode, named: GraphQLNamedType) -> str:
        if isinstance(node, NullValueNode):
            return "None"
        if isinstance(node, BooleanValueNode):
            return repr(node.value)
        if isinstance(node, IntValueNode | FloatValueNode):
            return node.value
        if isinstance(node, StringValueNode):
            return repr(node.value)
        if isinstance(node, EnumValueNode):
            return f"{self.python_names[named.name]}.{node.value}"
        if isinstance(node, ListValueNode):
            return f"[{', '.join(self.literal(item, named) for item in node.values)}]"
        raise NotImplementedError(f"a default value of kind {node.kind} ({named.name})")


# -------------------------------------------------------------------- the app around it


def module_source(sdl: str, floor_app: str) -> str:
    """floor_app.py's source with its `Query` replaced by the schema's definitions."""
    tree = ast.parse(floor_app)
    query = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == "Query")
    docstring_end = tree.body[0].end_lineno or 0
    query_start = min(d.lineno for d in query.decorator_list) - 1
    lines = floor_app.splitlines()
    imports = [
        line
        for line in lines[docstring_end:query_start]
        if line != "from __future__ import annotations"  # annotations stay evaluated
    ]
    writer = FloorWriter(build_schema(sdl), top_level_names(tree) - {query.name})
    wiring = "\n".join(lines[query.end_lineno :])
    if wiring.count("query=Query,") != 1:
        raise ValueError("floor_app.py's schema is no longer built with `query=Query,`")
    wiring = wiring.replace("query=Query,", writer.schema_arguments())
    docstring = '"""Generated by bench/schema_floor.py from schema.graphql; do not edit."""'
    parts = [docstring, *imports, *EXTRA_IMPORTS, "", *writer.definitions(), wiring]
    return "\n".join(parts) + "\n"


def top_level_names(tree: ast.Module) -> set[str]:
    """The names floor_app.py binds at module level, and those EXTRA_IMPORTS bind."""
    names = {"enum", "Annotated", "NewType", "Union", "StrawberryConfig"}
    for node in tree.body:
        if isinstance(node, ast.Import | ast.ImportFrom):
            names |= {(a.asname or a.name).split(".")[0] for a in node.names}
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names


def write_app(directory: Path, sdl_file: Path = SCHEMA_FILE) -> Path:
    """Write the app as `directory/schema_floor_app.py` and compile it, as an installed
    package's modules are; run it as `python -m schema_floor_app PORT` from `directory`
    so the compiled module is what starts (a script named on the command line is
    compiled from source every time)."""
    path = directory / f"{MODULE}.py"
    path.write_text(module_source(sdl_file.read_text(), FLOOR_APP.read_text()))
    subprocess.run([sys.executable, "-m", "compileall", "-q", str(path)], check=True)
    return path


if __name__ == "__main__":
    print(write_app(Path(sys.argv[1])))
