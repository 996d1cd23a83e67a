"""Declarative fields for types that wrap a store record in `self.rec`."""

from __future__ import annotations

from typing import Any, Protocol

import strawberry

from ..ids import encode_id


class _Identified(Protocol):
    @property
    def id(self) -> int: ...


class RecordNode(Protocol):
    """A GraphQL object that wraps a store record."""

    @property
    def rec(self) -> _Identified: ...


def record_field(attr: str, graphql_type: Any, *, description: str | None = None) -> Any:
    """A field whose value is the record's `attr`, unchanged."""

    def resolve(root: strawberry.Parent[RecordNode]) -> Any:
        return getattr(root.rec, attr)

    return strawberry.field(resolver=resolve, graphql_type=graphql_type, description=description)


def global_id_field(type_name: str) -> Any:
    """The object's global ID: base64 of `"<type_name>:<rec.id>"`, as the W&B server builds it."""

    def resolve(root: strawberry.Parent[RecordNode]) -> strawberry.ID:
        return strawberry.ID(encode_id(type_name, root.rec.id))

    return strawberry.field(resolver=resolve, graphql_type=strawberry.ID)
