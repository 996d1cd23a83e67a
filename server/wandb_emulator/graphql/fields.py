"""Declarative fields for types that wrap a store record in `self.rec`."""

import inspect
from collections.abc import Callable, Iterator
from typing import Any, Protocol, cast

import strawberry
from graphql import GraphQLField, GraphQLObjectType
from strawberry.schema.schema_converter import GraphQLCoreConverter
from strawberry.types.field import StrawberryField

from ..ids import encode_id
from .arguments import Convert, converter


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


class RecordNode(Protocol):
    """A GraphQL object that wraps a store record."""

    @property
    def rec(self) -> _Identified: ...


class RootField(StrawberryField):
    """A field whose value is a function of its object alone (no arguments, no `info`).

    Strawberry resolves it the way it resolves a plain attribute: no `Info` object, no
    argument conversion and no extension chain per value, which is most of the cost of
    a field in an answer with many objects. The GraphQL type comes from the function.
    """

    @property
    def is_basic_field(self) -> bool:
        return True

    def get_result(self, source: Any, info: Any, args: list[Any], kwargs: Any) -> Any:
        return declared_function(self)(source)

    def direct(self, source: Any, info: Any) -> Any:
        """The resolver graphql-core calls once `direct_resolvers` has run."""
        return declared_function(self)(source)


def root_field(
    resolve: Callable[[Any], Any] | None = None,
    *,
    graphql_type: Any = None,
    description: str | None = None,
) -> Any:
    """`@root_field` on a method `def f(self) -> T`, or `root_field(fn, graphql_type=T)`."""

    def build(fn: Callable[[Any], Any]) -> RootField:
        annotation = None
        if graphql_type is not None:
            from strawberry.annotation import StrawberryAnnotation

            annotation = StrawberryAnnotation.from_annotation(graphql_type)
        return RootField(type_annotation=annotation, description=description)(fn)

    return build(resolve) if resolve is not None else build


class ContextField(StrawberryField):
    """A field computed from its object and the request context (`fn(self, info)`, no
    arguments; `fn` may use only `info.context`).

    Once `direct_resolvers` has run on the built schema, graphql-core calls `fn` itself:
    no Strawberry `Info`, argument conversion or extension chain per value. Without it,
    Strawberry resolves the field as any other. `fn` may return a value or an awaitable.
    """

    def direct(self, source: Any, info: Any) -> Any:
        return declared_function(self)(source, info)


def declared_function(field: StrawberryField) -> Callable[..., Any]:
    """The function a field was declared with."""
    assert field.base_resolver is not None
    return cast(Callable[..., Any], field.base_resolver.wrapped_func)


def context_field(
    resolve: Callable[[Any, Any], Any] | None = None, *, description: str | None = None
) -> Any:
    """`@context_field` on a method `def f(self, info: Info) -> T`."""

    def build(fn: Callable[[Any, Any], Any]) -> ContextField:
        return ContextField(description=description)(fn)

    return build(resolve) if resolve is not None else build


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


def direct_resolvers(schema: strawberry.Schema) -> None:
    """Let graphql-core call the functions of the schema's RootFields and ContextFields
    directly (the fewest calls per value), and the resolvers of fields whose arguments
    Strawberry's conversion can be planned for once (`_with_planned_arguments`)."""
    for _, graphql_field, field in declared_fields(schema):
        if isinstance(field, (RootField, ContextField)):
            graphql_field.resolve = field.direct
        elif graphql_field.args:
            graphql_field.resolve = _with_planned_arguments(field, graphql_field, schema) or (
                graphql_field.resolve
            )


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


def record_field(attr: str, graphql_type: Any, *, description: str | None = None) -> Any:
    """A field whose value is the record's `attr`, unchanged."""

    def resolve(root: strawberry.Parent[RecordNode]) -> Any:
        return getattr(root.rec, attr)

    return root_field(resolve, graphql_type=graphql_type, description=description)


def global_id_field(type_name: str) -> Any:
    """The object's global ID: base64 of `"<type_name>:<rec.id>"`, as the W&B server builds it."""

    def resolve(root: strawberry.Parent[RecordNode]) -> strawberry.ID:
        return strawberry.ID(encode_id(type_name, root.rec.id))

    return root_field(resolve, graphql_type=strawberry.ID)
