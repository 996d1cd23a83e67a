"""Relay-style pages: over in-memory lists (opaque offset cursors), and the total count
field of connections whose count is computed only when asked for."""

import base64
import binascii
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

import strawberry
from typing_extensions import Self

from .errors import ApiError

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
R = TypeVar("R")

DEFAULT_PAGE_SIZE = 50


@strawberry.type
class PageInfo:
    end_cursor: str | None
    has_next_page: bool
    start_cursor: str | None = None
    has_previous_page: bool = False


Counter = Callable[[], Awaitable[int]]
"""Counts a connection's items; awaited only when `totalCount` is selected."""


def known_count(total: int) -> Counter:
    async def count() -> int:
        return total

    return count


class _Counted(Protocol):
    @property
    def counter(self) -> Counter: ...


def total_count_field() -> Any:
    """`totalCount`, computed by the connection's `counter` when selected."""

    async def total_count(root: strawberry.Parent[_Counted]) -> int:
        return await root.counter()

    return strawberry.field(resolver=total_count)


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"cursor:{offset}".encode()).decode("ascii")


def decode_cursor(cursor: str | None) -> int:
    """Offset of the item *after* which the page starts (-1 for the first page)."""
    if not cursor:
        return -1
    try:
        raw = base64.b64decode(cursor.encode("ascii"), validate=True).decode("ascii")
        prefix, offset = raw.split(":")
        if prefix != "cursor" or not (offset.isascii() and offset.isdigit()):
            raise ValueError
        return int(offset)
    except (binascii.Error, UnicodeError, ValueError):
        raise ApiError(f"invalid cursor: {cursor!r}") from None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[str, T]]
    page_info: PageInfo
    total_count: int

    @property
    def counter(self) -> Counter:
        return known_count(self.total_count)


class Paged(Protocol[T_co]):
    """A page of records with its cursors: `Page` (paged in memory) or
    `listing.ListedPage` (paged in SQL, counted when asked)."""

    @property
    def items(self) -> Sequence[tuple[str, T_co]]: ...

    @property
    def page_info(self) -> PageInfo: ...

    @property
    def counter(self) -> Counter: ...


def page_size(first: int | None, max_size: int, default: int = DEFAULT_PAGE_SIZE) -> int:
    """The number of items a `first` argument asks for, at most `max_size`."""
    if first is None:
        return min(default, max_size)
    if first < 0:
        raise ApiError(f"`first` must be a non-negative integer, got {first}")
    return min(first, max_size)


def paginate(items: Sequence[T], first: int | None, after: str | None, max_size: int) -> Page[T]:
    start = decode_cursor(after) + 1
    size = page_size(first, max_size)
    window = items[start : start + size]
    page_items = [(encode_cursor(start + i), item) for i, item in enumerate(window)]
    end_cursor = page_items[-1][0] if page_items else (after or None)
    return Page(
        items=page_items,
        page_info=PageInfo(
            end_cursor=end_cursor,
            has_next_page=start + len(window) < len(items),
            start_cursor=page_items[0][0] if page_items else None,
            has_previous_page=start > 0,
        ),
        total_count=len(items),
    )


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
        return cls(edges=edges(page, node), page_info=page.page_info)


@strawberry.type
class CountedConnection(Generic[T]):
    """`edges`, `pageInfo`, `totalCount` (counted when asked)."""

    edges: list[Edge[T]]
    page_info: PageInfo
    counter: strawberry.Private[Counter]
    total_count = total_count_field()

    @classmethod
    def from_page(cls, page: Paged[R], node: Callable[[R], T]) -> Self:
        return cls(edges=edges(page, node), page_info=page.page_info, counter=page.counter)
