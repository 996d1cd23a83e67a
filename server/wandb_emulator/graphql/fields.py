"""Declarative fields for types that wrap a store record in `self.rec`.

`SourceField` and `ContextField` are Strawberry fields that say how they are computed: from
their object alone, or from their object and the request context. Strawberry resolves
them as any other field; the fast path (`fastpath/resolvers.py`) lets graphql-core call
their functions directly.
"""

from collections.abc import Callable
from typing import Any, Protocol

import strawberry
from strawberry.types.field import StrawberryField

from ..ids import encode_id


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


class RecordNode(Protocol):
    """A GraphQL object that wraps a store record."""

    @property
    def rec(self) -> _Identified: ...


class SourceField(StrawberryField):
    """A field whose value is a function of its object alone (no arguments, no `info`).
    The GraphQL type comes from the function."""


def source_field(
    resolve: Callable[[Any], Any] | None = None,
    *,
    graphql_type: Any = None,
    description: str | None = None,
) -> Any:
    """`@source_field` on a method `def f(self) -> T`, or `source_field(fn, graphql_type=T)`."""

    def build(fn: Callable[[Any], Any]) -> SourceField:
        annotation = None
        if graphql_type is not None:
            from strawberry.annotation import StrawberryAnnotation

            annotation = StrawberryAnnotation.from_annotation(graphql_type)
        return SourceField(type_annotation=annotation, description=description)(fn)

    return build(resolve) if resolve is not None else build


class ContextField(StrawberryField):
    """A field computed from its object and the request context (`fn(self, info)`, no
    arguments; `fn` may use only `info.context`, the fast path passes nothing else).
    `fn` may return a value or an awaitable."""


def context_field(
    resolve: Callable[[Any, Any], Any] | None = None, *, description: str | None = None
) -> Any:
    """`@context_field` on a method `def f(self, info: Info) -> T`."""

    def build(fn: Callable[[Any, Any], Any]) -> ContextField:
        return ContextField(description=description)(fn)

    return build(resolve) if resolve is not None else build


def record_field(attr: str, graphql_type: Any, *, description: str | None = None) -> Any:
    """A field whose value is the record's `attr`, unchanged."""

    def resolve(root: strawberry.Parent[RecordNode]) -> Any:
        return getattr(root.rec, attr)

    return source_field(resolve, graphql_type=graphql_type, description=description)


def global_id_field(type_name: str) -> Any:
    """The object's global ID: base64 of `"<type_name>:<rec.id>"`, as the W&B server builds it."""

    def resolve(root: strawberry.Parent[RecordNode]) -> strawberry.ID:
        return strawberry.ID(encode_id(type_name, root.rec.id))

    return source_field(resolve, graphql_type=strawberry.ID)
