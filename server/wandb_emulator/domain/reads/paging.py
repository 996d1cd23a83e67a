"""Pages of records: over in-memory lists (opaque offset cursors), and in SQL through
`store.listing` (a filter document, an order and a keyset cursor in; a page with an
on-demand count out). GraphQL wraps them in connections, the UI in its tables."""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from ...filters import matches, parse_filter
from ...store import listing
from ...store.database import Conn
from ...store.listing import Keep, Listing, Order, Record, Where
from ..errors import InvalidInput
from .session import ReadSession

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)
L = TypeVar("L", bound=Record)

DEFAULT_PAGE_SIZE = 50


@dataclass(frozen=True)
class PageInfo:
    end_cursor: str | None
    has_next_page: bool
    start_cursor: str | None = None
    has_previous_page: bool = False


Counter = Callable[[], Awaitable[int]]
"""Counts a listing's items; awaited only when the count is asked for."""


def known_count(total: int) -> Counter:
    async def count() -> int:
        return total

    return count


class Paged(Protocol[T_co]):
    """A page of records with its cursors: `Page` (paged in memory) or `ListedPage`
    (paged in SQL, counted when asked)."""

    @property
    def items(self) -> Sequence[tuple[str, T_co]]: ...

    @property
    def page_info(self) -> PageInfo: ...

    @property
    def counter(self) -> Counter: ...


# ------------------------------------------------------------- in memory


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
        raise InvalidInput(f"invalid cursor: {cursor!r}") from None


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[tuple[str, T]]
    page_info: PageInfo
    total_count: int

    @property
    def counter(self) -> Counter:
        return known_count(self.total_count)


def page_size(first: int | None, max_size: int, default: int = DEFAULT_PAGE_SIZE) -> int:
    """The number of items a `first` argument asks for, at most `max_size`."""
    if first is None:
        return min(default, max_size)
    if first < 0:
        raise InvalidInput(f"`first` must be a non-negative integer, got {first}")
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


def page_of(
    reads: ReadSession, items: Sequence[T], first: int | None, after: str | None
) -> Page[T]:
    """`paginate` within the session's largest page."""
    return paginate(items, first, after, reads.max_page_size)


# ------------------------------------------------------------------ in SQL

Documents = Callable[[Conn, list[L]], Awaitable[Sequence[Mapping[str, Any]]]]
"""The filter documents of a chunk of records (batched lookups)."""


@dataclass(frozen=True)
class ListedPage(Generic[L]):
    items: list[tuple[str, L]]
    page_info: PageInfo
    counter: Counter


def _keeper(conn: Conn, rest: Mapping[str, Any], documents: Documents[L] | None) -> Keep | None:
    if not rest:
        return None
    assert documents is not None, "a listing with Python-only filter fields needs documents"

    async def keep(records: list[L]) -> list[bool]:
        return [matches(rest, doc) for doc in await documents(conn, records)]

    return keep


async def list_page(
    reads: ReadSession,
    of: Listing[L],
    scope: Where,
    *,
    filters: str | Mapping[str, Any] | None,
    order: str | None,
    first: int | None,
    after: str | None,
    documents: Documents[L] | None = None,
) -> ListedPage[L]:
    """One page of `of` within `scope`: filtered, sorted, keyset-paged."""
    filter_doc = filters if isinstance(filters, Mapping) else parse_filter(filters)
    db = reads.db
    in_sql, rest = listing.split_filter(of, filter_doc, sql_regexp=db.sql_regexp)
    where = scope & in_sql
    sort = Order.parse(of, order, db.dialect)
    async with db.read() as conn:
        rows = await listing.page(
            conn,
            of,
            where,
            order=sort,
            first=page_size(first, reads.max_page_size),
            after=after,
            keep=_keeper(conn, rest, documents),
        )

    async def count() -> int:
        async with db.read() as conn:
            keep = _keeper(conn, rest, documents)
            if keep is None:
                return await listing.count(conn, of, where)
            return await listing.count_matching(conn, of, where, keep)

    return ListedPage(
        items=rows.items,
        page_info=PageInfo(
            end_cursor=rows.items[-1][0] if rows.items else (after or None),
            has_next_page=rows.has_next,
            start_cursor=rows.items[0][0] if rows.items else None,
            has_previous_page=after is not None,
        ),
        counter=count,
    )


async def selection(
    reads: ReadSession,
    of: Listing[L],
    scope: Where,
    filters: str | None,
    documents: Documents[L],
    *,
    as_list: bool = False,
) -> list[int] | Where:
    """The ids of the rows of `scope` a filter document selects: a subquery, or a list
    (`as_list`, or when part of the filter is answered in Python)."""
    sql_regexp = reads.db.sql_regexp
    in_sql, rest = listing.split_filter(of, parse_filter(filters), sql_regexp=sql_regexp)
    if not rest and not as_list:
        return listing.ids_of(of, scope & in_sql)
    async with reads.db.read() as conn:
        if not rest:
            return await listing.ids(conn, of, scope & in_sql)
        candidates = await listing.select(conn, of, scope & in_sql)
        docs = await documents(conn, candidates)
    return [rec.id for rec, doc in zip(candidates, docs, strict=True) if matches(rest, doc)]
