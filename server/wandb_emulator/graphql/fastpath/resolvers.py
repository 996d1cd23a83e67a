"""Resolvers graphql-core calls directly, installed into a built schema.

Strawberry wraps every resolver: per value it builds an `Info`, converts the arguments
(inspecting their types again) and runs the field's extension chain. For the fields whose
value needs none of that, `install_direct_resolvers` gives graphql-core a resolver that
calls the declared function itself:
- a `SourceField` (a function of its object) and a plain attribute: `function(source)`;
- a `ContextField` (its object and the request context): `function(source, info)`.
The executor (`execution.py`) recognizes them and computes them inline.
"""

from collections.abc import Callable, Iterator
from typing import Any, cast

import strawberry
from graphql import GraphQLField, GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from ..fields import ContextField, SourceField


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
    """Let graphql-core call the functions of the schema's SourceFields, ContextFields and
    plain attributes directly. Nothing when the schema has exception handlers: they may
    apply to any field."""
    if getattr(schema, "exception_handlers", ()):
        return
    for _, graphql_field, field in declared_fields(schema):
        if isinstance(field, (SourceField, ContextField)):
            resolver = ContextResolver if isinstance(field, ContextField) else DirectResolver
            graphql_field.resolve = resolver(declared_function(field))
        elif _is_plain_attribute(field):
            graphql_field.resolve = DirectResolver(_attribute_reader(field, schema))


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
