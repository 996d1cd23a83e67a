"""One filter -> sort -> page path for every listing: registries (projects), collections,
versions (memberships) and runs.

A `Listing` names a table (with joins), the columns its orders sort on and the filter
fields SQL can answer. `page()` pages it with a keyset cursor that encodes the sort key
and the row id, so a page reads `first + 1` rows wherever it is in the chain: the parts
of a filter document that SQL answers go into the WHERE clause, the rest (`keep`, the
Python matcher over documents) is applied to rows read in sort order, in chunks, until
the page is full. Sort expressions are never NULL (missing values sort as '' or 0,
everywhere the same way). `count()` counts on demand (`totalCount` only when asked).
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

from ..filters import FilterError, compiled_pattern
from ._sql import fetch_all, fetch_column, fetch_value
from .database import Conn


class Record(Protocol):
    @property
    def id(self) -> int: ...


T = TypeVar("T", bound=Record)

Keep = Callable[[list[Any]], Awaitable[list[bool]]]
"""The rows of a chunk that match the part of a filter SQL could not answer."""

CHUNK = 200
MAX_PARTITIONS = 100  # below SQLite's limit of 500 terms in a compound SELECT
_SCALARS = (str, int, float, bool)


@dataclass(frozen=True)
class Listing(Generic[T]):
    record: type[T]
    source: str  # FROM clause, e.g. "artifact_memberships m JOIN artifacts a ON ..."
    columns: str  # e.g. "m.*"
    id_column: str  # e.g. "m.id"
    sorts: Mapping[str, str]  # order name -> SQL expression (never NULL)
    default_sort: str
    fields: Mapping[str, str] = field(default_factory=dict)  # filter key -> SQL expression


def camel(snake: str) -> str:
    head, *rest = snake.split("_")
    return head + "".join(part.title() for part in rest)


def columns(alias: str, *names: str) -> dict[str, str]:
    """Sort or filter names for columns, in snake_case and camelCase as the SDK sends
    either: `columns("c", "created_at")` -> {"created_at": "c.created_at", "createdAt": ...}."""
    return {key: f"{alias}.{name}" for name in names for key in (name, camel(name))}


@dataclass(frozen=True)
class Where:
    """A condition with its parameters; the empty one is always true.

    `partitions` are alternatives (OR-ed) that a page reads one index range each, in
    sort order, merging the heads: `collection_id IN (...)` with an ORDER BY would
    otherwise sort every row of every collection for each page."""

    sql: str = ""
    params: tuple[Any, ...] = ()
    partitions: tuple[Where, ...] = ()

    def __and__(self, other: Where) -> Where:
        assert not (self.partitions and other.partitions), "one partitioned condition at most"
        parts = [part for part in (self.sql, other.sql) if part]
        return Where(
            " AND ".join(f"({p})" for p in parts),
            self.params + other.params,
            self.partitions or other.partitions,
        )

    def flat(self) -> Where:
        """The same rows as one condition (the partitions OR-ed)."""
        if not self.partitions:
            return self
        either = Where(
            " OR ".join(f"({p.sql})" for p in self.partitions),
            tuple(v for p in self.partitions for v in p.params),
        )
        return Where(self.sql, self.params) & either

    @property
    def clause(self) -> str:
        return f" WHERE {self.sql}" if self.sql else ""

    @staticmethod
    def member(expression: str, values: Sequence[Any] | Where) -> Where:
        """`expression IN (values)`, the values a list or a subquery."""
        if isinstance(values, Where):
            return Where(f"{expression} IN ({values.sql})", values.params)
        if not values:
            return NOTHING
        return Where(f"{expression} IN ({', '.join('?' for _ in values)})", tuple(values))

    @staticmethod
    def one_of(expression: str, values: Sequence[Any]) -> Where:
        """`expression` equal to one of `values`: partitioned when there are a few."""
        if len(values) == 1:
            return Where(f"{expression} = ?", (values[0],))
        if 1 < len(values) <= MAX_PARTITIONS:
            return Where(partitions=tuple(Where(f"{expression} = ?", (v,)) for v in values))
        return Where.member(expression, values)


NOTHING = Where("1 = 0")  # a condition no row meets (PostgreSQL wants a boolean)


@dataclass(frozen=True)
class Order:
    expression: str
    descending: bool

    @staticmethod
    def parse(listing: Listing[Any], order: str | None) -> Order:
        """`+name`/`-name`/`name` (ascending by default) into a sort expression."""
        name = (order or "").lstrip("+-") or listing.default_sort
        if name not in listing.sorts:
            raise FilterError(f"cannot order by {name!r}")
        return Order(listing.sorts[name], order is not None and order.startswith("-"))


@dataclass
class Rows(Generic[T]):
    items: list[tuple[str, T]]
    has_next: bool
    rows_read: int


# ------------------------------------------------------------------ cursors

_CURSOR_PREFIX = "key:"


def encode_cursor(sort_value: Any, row_id: int) -> str:
    raw = _CURSOR_PREFIX + json.dumps([sort_value, row_id], separators=(",", ":"))
    return base64.b64encode(raw.encode()).decode("ascii")


def decode_cursor(cursor: str) -> tuple[Any, int]:
    try:
        raw = base64.b64decode(cursor.encode("ascii"), validate=True).decode()
        if not raw.startswith(_CURSOR_PREFIX):
            raise ValueError
        value, row_id = json.loads(raw[len(_CURSOR_PREFIX) :])
        if not isinstance(row_id, int) or not isinstance(value, (*_SCALARS, type(None))):
            raise ValueError
        return value, row_id
    except (binascii.Error, UnicodeError, ValueError, TypeError):
        raise FilterError(f"invalid cursor: {cursor!r}") from None


# ------------------------------------------------------------------ filters


def _scalar(value: Any) -> bool:
    return isinstance(value, _SCALARS)


def _condition(expression: str, cond: Any, sql_regexp: bool) -> Where | None:
    """SQL for one field's condition, or None when only the Python matcher can answer."""
    if _scalar(cond):
        return Where(f"{expression} = ?", (cond,))
    if not isinstance(cond, dict) or len(cond) != 1:
        return None
    ((op, operand),) = cond.items()
    if op == "$eq" and _scalar(operand):
        return Where(f"{expression} = ?", (operand,))
    if op == "$in" and isinstance(operand, list) and all(map(_scalar, operand)):
        return Where.member(expression, operand)
    if op == "$regex" and isinstance(operand, str):
        compiled_pattern(operand)  # invalid patterns are the client's error, as in matches()
        return Where(f"{expression} REGEXP ?", (operand,)) if sql_regexp else None
    return None


def split_filter(
    listing: Listing[Any], filter_doc: Mapping[str, Any], *, sql_regexp: bool = True
) -> tuple[Where, dict]:
    """The top-level conditions SQL answers, and the rest (a filter document). Without
    `sql_regexp` (PostgreSQL, whose `~` is not RE2), `$regex` is left to the rest: the
    Python matcher, on the filter documents of the rows SQL selects."""
    where, rest = Where(), {}
    for key, cond in filter_doc.items():
        expression = listing.fields.get(key)
        sql = _condition(expression, cond, sql_regexp) if expression else None
        if sql is None:
            rest[key] = cond
        else:
            where &= sql
    return where, rest


# --------------------------------------------------------------------- pages


def _after(order: Order, id_column: str, cursor: tuple[Any, int]) -> Where:
    op = "<" if order.descending else ">"
    value, row_id = cursor
    if order.expression == id_column:
        return Where(f"{id_column} {op} ?", (row_id,))
    return Where(f"({order.expression}, {id_column}) {op} (?, ?)", (value, row_id))


async def _read(
    conn: Conn, listing: Listing[T], where: Where, order: Order, limit: int | None
) -> list[tuple[Any, T]]:
    """Rows in `order`, at most `limit` (None: all)."""
    direction = "DESC" if order.descending else "ASC"
    select = f"SELECT {order.expression} AS sort_key__, {listing.columns} FROM {listing.source}"
    ordered = f" ORDER BY {order.expression} {direction}, {listing.id_column} {direction}"
    bound, bounds = ("", ()) if limit is None else (" LIMIT ?", (limit,))
    if not where.partitions:
        sql, params = select + where.clause + ordered + bound, (*where.params, *bounds)
    else:
        parts, values = [], []
        for number, partition in enumerate(where.partitions):
            part = Where(where.sql, where.params) & partition
            parts.append(f"SELECT * FROM ({select}{part.clause}{ordered}{bound}) AS part{number}")
            values += [*part.params, *bounds]
        sql = " UNION ALL ".join(parts) + f" ORDER BY sort_key__ {direction}, id {direction}"
        params = (*values, *bounds)
        sql += bound
    rows = await fetch_all(conn, _Keyed, sql, params)
    return [(row.key, listing.record(**row.values)) for row in rows]


class _Keyed:
    """A row read with its sort key in front."""

    def __init__(self, sort_key__: Any, **values: Any) -> None:
        self.key = sort_key__
        self.values = values


async def page(
    conn: Conn,
    listing: Listing[T],
    scope: Where,
    *,
    order: Order,
    first: int,
    after: str | None,
    keep: Keep | None = None,
) -> Rows[T]:
    """Up to `first` rows of `scope` in `order` after the cursor, and whether more follow."""
    position = decode_cursor(after) if after else None
    chosen: list[tuple[str, T]] = []
    rows_read, wanted = 0, first + 1
    while len(chosen) < wanted:
        where = scope if position is None else scope & _after(order, listing.id_column, position)
        limit = wanted - len(chosen) if keep is None else max(CHUNK, wanted)
        chunk = await _read(conn, listing, where, order, limit)
        rows_read += len(chunk)
        matched = [True] * len(chunk) if keep is None else await keep([r for _, r in chunk])
        for (key, record), ok in zip(chunk, matched, strict=True):
            if ok and len(chosen) < wanted:
                chosen.append((encode_cursor(key, record.id), record))
        if len(chunk) < limit:
            break
        key, last = chunk[-1]
        position = (key, last.id)
    return Rows(chosen[:first], len(chosen) > first, rows_read)


def ids_of(listing: Listing[Any], where: Where) -> Where:
    """A subquery of the ids of the rows `where` selects."""
    where = where.flat()
    return Where(f"SELECT {listing.id_column} FROM {listing.source}{where.clause}", where.params)


async def ids(conn: Conn, listing: Listing[Any], where: Where) -> list[int]:
    """The ids of the rows `where` selects, in id order."""
    where = where.flat()
    sql = f"SELECT {listing.id_column} FROM {listing.source}{where.clause}"
    return await fetch_column(conn, sql + f" ORDER BY {listing.id_column}", where.params)


async def select(conn: Conn, listing: Listing[T], where: Where) -> list[T]:
    """Every row `where` selects, in id order (for selections smaller than a page's scope)."""
    order = Order(listing.id_column, False)
    return [record for _, record in await _read(conn, listing, where.flat(), order, None)]


async def count(conn: Conn, listing: Listing[Any], scope: Where) -> int:
    scope = scope.flat()
    sql = f"SELECT COUNT(*) FROM {listing.source}{scope.clause}"
    return int(await fetch_value(conn, sql, scope.params))


async def count_matching(conn: Conn, listing: Listing[T], scope: Where, keep: Keep) -> int:
    """Rows of scope the Python part of a filter keeps (read in chunks of CHUNK)."""
    total, position = 0, None
    order = Order(listing.id_column, False)
    while True:
        where = scope if position is None else scope & _after(order, listing.id_column, position)
        chunk = await _read(conn, listing, where, order, CHUNK)
        total += sum(await keep([r for _, r in chunk]))
        if len(chunk) < CHUNK:
            return total
        position = (None, chunk[-1][1].id)
