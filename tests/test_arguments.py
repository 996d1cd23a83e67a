"""The planned argument conversion (`graphql/fastpath/arguments.py`) gives what Strawberry's own
`convert_argument` gives: for every argument of the emulator's schema, on values built
from its GraphQL type (every field given, only the required ones, explicit nulls), and
on a toy schema with the types the plan refuses."""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

import pytest
import strawberry
from graphql import (
    GraphQLEnumType,
    GraphQLInputObjectType,
    GraphQLInputType,
    GraphQLList,
    GraphQLNonNull,
)
from strawberry.relay import GlobalID
from strawberry.types.arguments import convert_argument

from wandb_emulator.graphql.fastpath.arguments import converter
from wandb_emulator.graphql.fastpath.resolvers import declared_fields
from wandb_emulator.graphql.schema import build_schema

VARIANTS = ("every field", "required fields", "nulls")


def sample(graphql_type: GraphQLInputType, variant: str, depth: int = 0) -> Any:
    """A value as graphql-core hands it to a resolver after coercion."""
    if isinstance(graphql_type, GraphQLNonNull):
        return sample(graphql_type.of_type, variant, depth)
    if isinstance(graphql_type, GraphQLList):
        return [sample(graphql_type.of_type, variant, depth + 1) for _ in range(2)]
    if isinstance(graphql_type, GraphQLEnumType):
        return graphql_type.parse_value(list(graphql_type.values)[-1])
    if isinstance(graphql_type, GraphQLInputObjectType):
        value = {}
        for name, field in graphql_type.fields.items():
            required = isinstance(field.type, GraphQLNonNull)
            if variant == "nulls" and not required:
                value[name] = None
            elif (required or variant == "every field") and depth < 4:
                value[name] = sample(field.type, variant, depth + 1)
        return value
    return f"a {graphql_type}"  # a scalar: both conversions keep it as it is


def schema_arguments(schema: strawberry.Schema) -> Iterator[tuple[str, Any, GraphQLInputType]]:
    for where, graphql_field, field in declared_fields(schema):
        for argument, (name, graphql_argument) in zip(
            field.arguments, graphql_field.args.items(), strict=True
        ):
            yield f"{where}({name})", argument.type, graphql_argument.type


def compare(schema: strawberry.Schema, type_: Any, value: Any) -> tuple[Any, Any]:
    registry, config = schema.schema_converter.scalar_registry, schema.config
    convert = converter(type_, registry, config)
    assert convert is not None
    return convert(value), convert_argument(value, type_, registry, config)


def test_every_argument_of_the_schema_converts_as_strawberry_converts_it() -> None:
    schema = build_schema()
    planned = 0
    for where, type_, graphql_type in schema_arguments(schema):
        if converter(type_, schema.schema_converter.scalar_registry, schema.config) is None:
            continue
        planned += 1
        for variant in VARIANTS:
            value = sample(graphql_type, variant)
            ours, strawberrys = compare(schema, type_, value)
            assert ours == strawberrys, (where, variant)
            assert type(ours) is type(strawberrys), (where, variant)
            if isinstance(value, list):
                assert ours is not value, f"{where}: a list is copied, as Strawberry copies it"
    assert planned > 50  # the mutations' input objects among them


@strawberry.enum
class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


@strawberry.input
class Leaf:
    name: str
    color: Color = Color.RED
    tags: list[str] | None = None


@strawberry.input
class Tree:
    leaf: Leaf
    leaves: list[Leaf | None] | None = None
    children: list[Tree] | None = strawberry.UNSET
    note: str | None = "default note"
    size: int | None


@strawberry.input
class WithMaybe:
    nickname: strawberry.Maybe[str]


@strawberry.input
class WithGlobalID:
    node: GlobalID


@strawberry.type
class Query:
    @strawberry.field
    def tree(self, info: strawberry.Info, tree: Tree, colors: list[Color] | None = None) -> str:
        return ""

    @strawberry.field
    def maybe(self, info: strawberry.Info, input: WithMaybe) -> str:
        return ""

    @strawberry.field
    def node(self, info: strawberry.Info, input: WithGlobalID, ids: list[GlobalID]) -> str:
        return ""


TOY = strawberry.Schema(query=Query)


def toy_argument(field: str, argument: str) -> tuple[Any, GraphQLInputType]:
    for where, type_, graphql_type in schema_arguments(TOY):
        if where == f"Query.{field}({argument})":
            return type_, graphql_type
    raise KeyError(field)


@pytest.mark.parametrize(
    "value",
    [
        {"leaf": {"name": "a"}},
        {"leaf": {"name": "a", "color": Color.BLUE, "tags": ["x"]}, "size": None, "note": None},
        {
            "leaf": {"name": "a"},
            "leaves": [None, {"name": "b", "tags": None}],
            "children": [{"leaf": {"name": "c"}, "children": []}],
            "size": 3,
        },
        None,
    ],
)
def test_nested_recursive_and_defaulted_inputs_convert_as_strawberry_converts_them(
    value: Any,
) -> None:
    type_, _ = toy_argument("tree", "tree")
    ours, strawberrys = compare(TOY, type_, value)
    assert ours == strawberrys
    if value is not None:
        unset = (ours.children is strawberry.UNSET, strawberrys.children is strawberry.UNSET)
        assert unset == ("children" not in value,) * 2


def test_every_variant_of_the_toy_tree_converts_as_strawberry_converts_it() -> None:
    for argument in ("tree", "colors"):
        type_, graphql_type = toy_argument("tree", argument)
        for variant in VARIANTS:
            value = sample(graphql_type, variant)
            ours, strawberrys = compare(TOY, type_, value)
            assert ours == strawberrys, (argument, variant)


def test_maybe_and_global_ids_stay_with_strawberry() -> None:
    registry, config = TOY.schema_converter.scalar_registry, TOY.config
    for field, argument in (("maybe", "input"), ("node", "input"), ("node", "ids")):
        type_, _ = toy_argument(field, argument)
        assert converter(type_, registry, config) is None, (field, argument)
