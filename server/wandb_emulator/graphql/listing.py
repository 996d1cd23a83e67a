"""Listing pages for GraphQL: a filter document, an order and a cursor in, a page of
records with its PageInfo and an on-demand count out, through `store.listing`."""

from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from ..filters import matches, parse_filter
from ..store import listing
from ..store.database import Conn
from ..store.listing import Keep, Listing, Order, Record, Where
from . import pagination
from .context import Info
from .pagination import Counter, PageInfo

T = TypeVar("T", bound=Record)

Documents = Callable[[Conn, list[T]], Awaitable[Sequence[Mapping[str, Any]]]]
"""The filter documents of a chunk of records (batched lookups)."""


@dataclass(frozen=True)
class ListedPage(Generic[T]):
    items: list[tuple[str, T]]
    page_info: PageInfo
    counter: Counter


def page_size(info: Info, first: int | None) -> int:
    return pagination.page_size(first, info.context.config.max_page_size)


def _keeper(conn: Conn, rest: Mapping[str, Any], documents: Documents[T] | None) -> Keep | None:
    if not rest:
        return None
    assert documents is not None, "a listing with Python-only filter fields needs documents"

    async def keep(records: list[T]) -> list[bool]:
        return [matches(rest, doc) for doc in await documents(conn, records)]

    return keep


async def list_page(
    info: Info,
    of: Listing[T],
    scope: Where,
    *,
    filters: str | Mapping[str, Any] | None,
    order: str | None,
    first: int | None,
    after: str | None,
    documents: Documents[T] | None = None,
) -> ListedPage[T]:
    """One page of `of` within `scope`: filtered, sorted, keyset-paged."""
    filter_doc = filters if isinstance(filters, Mapping) else parse_filter(filters)
    db = info.context.db
    in_sql, rest = listing.split_filter(of, filter_doc, sql_regexp=db.sql_regexp)
    where = scope & in_sql
    sort = Order.parse(of, order)
    async with db.read() as conn:
        rows = await listing.page(
            conn,
            of,
            where,
            order=sort,
            first=page_size(info, first),
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
    info: Info,
    of: Listing[T],
    scope: Where,
    filters: str | None,
    documents: Documents[T],
    *,
    as_list: bool = False,
) -> list[int] | Where:
    """The ids of the rows of `scope` a filter document selects: a subquery, or a list
    (`as_list`, or when part of the filter is answered in Python)."""
    sql_regexp = info.context.db.sql_regexp
    in_sql, rest = listing.split_filter(of, parse_filter(filters), sql_regexp=sql_regexp)
    if not rest and not as_list:
        return listing.ids_of(of, scope & in_sql)
    async with info.context.db.read() as conn:
        if not rest:
            return await listing.ids(conn, of, scope & in_sql)
        candidates = await listing.select(conn, of, scope & in_sql)
        docs = await documents(conn, candidates)
    return [rec.id for rec, doc in zip(candidates, docs, strict=True) if matches(rest, doc)]
