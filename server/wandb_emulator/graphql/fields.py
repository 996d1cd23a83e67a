"""Declarative fields for types that wrap a store record in `self.rec`."""

from __future__ import annotations

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
        assert self.base_resolver is not None
        return self.base_resolver.wrapped_func(source)


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
