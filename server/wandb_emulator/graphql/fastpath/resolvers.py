"""Resolvers graphql-core calls directly, installed into a built schema.

Strawberry wraps every resolver: per value it builds an `Info`, converts the arguments
(inspecting their types again) and runs the field's extension chain. For the fields whose
value needs none of that, `install_direct_resolvers` gives graphql-core a resolver that
calls the declared function itself:
- a `RootField` (a function of its object) and a plain attribute: `function(source)`;
- a `ContextField` (its object and the request context): `function(source, info)`;
- a resolver `(self, info, **arguments)` whose arguments can be converted by a plan made
  once (`arguments.converter`): the converted arguments under their Python names.
The executor (`execution.py`) recognizes the first two kinds and computes them inline.
"""

import inspect
from collections.abc import Callable, Iterator
from typing import Any, cast

import strawberry
from graphql import GraphQLField, GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from ..fields import ContextField, RootField
from .arguments import Convert, converter


class DirectResolver:
    """A field's resolver that calls `function(source)`: graphql-core's resolve info
    and arguments (there are none) are not passed on."""

    __slots__ = ("function",)
    takes_info = False

    def __init__(self, function: Callable[..., Any]) -> None:
        self.function = function

    def __call__(self, source: Any, info: Any) -> Any:
        return self.function(source)


class ContextResolver(DirectResolver):
    """A field's resolver that calls `function(source, info)`; the function may use only
    `info.context` (the executor passes an object holding nothing else)."""

    __slots__ = ()
    takes_info = True

    def __call__(self, source: Any, info: Any) -> Any:
        return self.function(source, info)


def declared_function(field: StrawberryField) -> Callable[..., Any]:
    """The function a field was declared with."""
    assert field.base_resolver is not None
    return cast(Callable[..., Any], field.base_resolver.wrapped_func)


def declared_fields(
    schema: strawberry.Schema,
) -> Iterator[tuple[str, GraphQLField, StrawberryField]]:
    """The object fields of the built schema that Strawberry fields were declared for:
    (`Type.field`, the graphql-core field, the Strawberry field)."""
    for graphql_type in schema._schema.type_map.values():
        if not isinstance(graphql_type, GraphQLObjectType):
            continue
        for name, graphql_field in graphql_type.fields.items():
            field = (graphql_field.extensions or {}).get(GraphQLCoreConverter.DEFINITION_BACKREF)
            if isinstance(field, StrawberryField):
                yield f"{graphql_type.name}.{name}", graphql_field, field


def install_direct_resolvers(schema: strawberry.Schema) -> None:
    """Let graphql-core call the functions of the schema's RootFields, ContextFields and
    plain attributes directly, and the resolvers of fields whose arguments Strawberry's
    conversion can be planned for once (`_with_planned_arguments`). Nothing when the
    schema has exception handlers: they may apply to any field."""
    if getattr(schema, "exception_handlers", ()):
        return
    for _, graphql_field, field in declared_fields(schema):
        if isinstance(field, (RootField, ContextField)):
            resolver = ContextResolver if isinstance(field, ContextField) else DirectResolver
            graphql_field.resolve = resolver(declared_function(field))
        elif _is_plain_attribute(field):
            graphql_field.resolve = DirectResolver(_attribute_reader(field, schema))
        elif graphql_field.args:
            graphql_field.resolve = _with_planned_arguments(field, graphql_field, schema) or (
                graphql_field.resolve
            )


def _is_plain_attribute(field: StrawberryField) -> bool:
    """A field Strawberry reads off its object with the default resolver and nothing
    around it: no resolver, extensions or permission classes."""
    return field.base_resolver is None and not field.extensions and not field.permission_classes


def _attribute_reader(field: StrawberryField, schema: strawberry.Schema) -> Callable[[Any], Any]:
    """What Strawberry's resolver of a plain attribute does: the configured default
    resolver (getattr unless configured otherwise) on the field's Python name."""
    read, name = schema.config.default_resolver, field.python_name

    def attribute(source: Any) -> Any:
        return read(source, name)

    return attribute


def _with_planned_arguments(
    field: StrawberryField, graphql_field: GraphQLField, schema: strawberry.Schema
) -> Any:
    """A resolver `def f(self, info, **arguments)` called with graphql-core's coerced
    arguments converted as Strawberry converts them (`arguments.converter`, planned once),
    under their Python names, without Strawberry's extension chain. The resolver gets
    graphql-core's resolve info, whose `context` is the only part this schema's resolvers
    use. None for any other field: fields with extensions or permission classes keep
    them, and arguments the plan does not cover stay with Strawberry."""
    resolver = field.base_resolver
    if resolver is None or field.extensions or field.permission_classes:
        return None
    function = resolver.wrapped_func
    if not inspect.isfunction(function):  # a staticmethod or classmethod
        return None
    parameters = list(inspect.signature(function).parameters)
    if parameters[:2] != ["self", "info"] or len(field.arguments) != len(graphql_field.args):
        return None
    plans: dict[str, tuple[str, Convert]] = {}
    for argument, name in zip(field.arguments, graphql_field.args, strict=True):
        if argument.graphql_name not in (None, name):
            return None
        convert = converter(argument.type, schema.schema_converter.scalar_registry, schema.config)
        if convert is None:
            return None
        plans[name] = (argument.python_name, convert)
    if sorted(parameters[2:]) != sorted(python_name for python_name, _ in plans.values()):
        return None

    def resolve(source: Any, info: Any, **arguments: Any) -> Any:
        converted = {}
        for name, value in arguments.items():
            python_name, convert = plans[name]
            converted[python_name] = convert(value)
        return function(source, info, **converted)

    return resolve
