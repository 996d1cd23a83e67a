"""Relay-style connections over the read API's pages (`domain/reads/paging.py`), and the
total count field of connections whose count is computed only when asked for."""

from collections.abc import Callable
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from typing_extensions import Self

from ..domain.reads.paging import Counter, Paged

T = TypeVar("T")
R = TypeVar("R")


@strawberry.type
class PageInfo:
    end_cursor: str | None
    has_next_page: bool
    start_cursor: str | None = None
    has_previous_page: bool = False


def page_info(page: Paged[Any]) -> PageInfo:
    """The GraphQL PageInfo of a page of the read API."""
    found = page.page_info
    return PageInfo(
        end_cursor=found.end_cursor,
        has_next_page=found.has_next_page,
        start_cursor=found.start_cursor,
        has_previous_page=found.has_previous_page,
    )


class _Counted(Protocol):
    @property
    def counter(self) -> Counter: ...


def total_count_field() -> Any:
    """`totalCount`, computed by the connection's `counter` when selected."""

    async def total_count(root: strawberry.Parent[_Counted]) -> int:
        return await root.counter()

    return strawberry.field(resolver=total_count)


# ------------------------------------------------------------- connections
# Generic edges and connections for the W&B types of these shapes: strawberry names
# `Edge[Run]` `RunEdge`; an area declares `class RunConnection(CountedConnection[Run])`.
# Connections of another shape stay written out in their area: edges without a cursor,
# a `version` on the edge, an edge named otherwise than its node, and `totalCount` first
# when counted on demand (a generic type lists resolver fields after the others).


@strawberry.type
class Edge(Generic[T]):
    node: T | None
    cursor: str


def edges(page: Paged[R], node: Callable[[R], T]) -> list[Edge[T]]:
    return [Edge(node=node(item), cursor=cursor) for cursor, item in page.items]


@strawberry.type
class PagedConnection(Generic[T]):
    """`edges`, `pageInfo`."""

    edges: list[Edge[T]]
    page_info: PageInfo

    @classmethod
    def from_page(cls, page: Paged[R], node: Callable[[R], T]) -> Self:
        return cls(edges=edges(page, node), page_info=page_info(page))


@strawberry.type
class CountedConnection(Generic[T]):
    """`edges`, `pageInfo`, `totalCount` (counted when asked)."""

    edges: list[Edge[T]]
    page_info: PageInfo
    counter: strawberry.Private[Counter]
    total_count = total_count_field()

    @classmethod
    def from_page(cls, page: Paged[R], node: Callable[[R], T]) -> Self:
        return cls(edges=edges(page, node), page_info=page_info(page), counter=page.counter)
