"""One filter -> sort -> page path for every listing: registries (projects), collections,
versions (memberships) and runs.

A `Listing` names a table (with joins), the columns its orders sort on and the filter
fields SQL can answer. `page()` pages it with a keyset cursor that encodes the sort key
and the row id, so a page reads `first + 1` rows wherever it is in the chain: the parts
of a filter document that SQL answers go into the WHERE clause, the rest (`keep`, the
Python matcher over documents) is applied to rows read in sort order, in chunks, until
the page is full. Sort expressions are never NULL (missing values sort as '' or 0,
everywhere the same way). An order may sort on several expressions (a JSON value: its
kind, then its number, then its text); the cursor then holds one value per expression.
`count()` counts on demand (`totalCount` only when asked).
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
    # Orders not in `sorts` (`summary_metrics.loss`): (name, descending, SQL dialect) ->
    # Order or None.
    dynamic_sorts: Callable[[str, bool, str], Order | None] | None = None


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
    """Sort expressions (never NULL), all in one direction, then the row id; `params`
    are the parameters of the expressions, in the order they appear."""

    keys: tuple[str, ...]
    descending: bool
    params: tuple[Any, ...] = ()

    @staticmethod
    def on(expression: str, descending: bool) -> Order:
        return Order((expression,), descending)

    @staticmethod
    def parse(listing: Listing[Any], order: str | None, dialect: str = "sqlite") -> Order:
        """`+name`/`-name`/`name` (ascending by default) into sort expressions (in the SQL
        of `dialect`, where they differ)."""
        name = (order or "").lstrip("+-") or listing.default_sort
        descending = order is not None and order.startswith("-")
        if name in listing.sorts:
            return Order.on(listing.sorts[name], descending)
        dynamic = listing.dynamic_sorts and listing.dynamic_sorts(name, descending, dialect)
        if dynamic is None:
            raise FilterError(f"cannot order by {name!r}")
        return dynamic

    @property
    def aliases(self) -> tuple[str, ...]:
        return tuple(f"sort_key__{i}" for i in range(len(self.keys)))

    def cursor_value(self, keys: tuple[Any, ...]) -> Any:
        """A row's sort values as a cursor holds them: one scalar, or a list of them."""
        return keys[0] if len(keys) == 1 else list(keys)

    def values(self, cursor_value: Any) -> tuple[Any, ...]:
        """A cursor's sort values, checked against this order's keys."""
        values = cursor_value if isinstance(cursor_value, list) else [cursor_value]
        if len(values) != len(self.keys) or isinstance(cursor_value, list) != (len(values) > 1):
            raise FilterError("invalid cursor: it belongs to another order")
        return tuple(values)


# The kinds of JSON value, in the order they sort (ascending): numbers by value, then
# strings, then booleans, arrays and objects by their text; a missing key (or a JSON
# null, or a document that is not valid JSON) sorts last in either direction. Every `?`
# of these expressions is the path of the value.
_SQLITE_JSON = {
    "kind": (
        "CASE WHEN NOT json_valid({column}) THEN 3 ELSE CASE json_type({column}, ?)"
        " WHEN 'integer' THEN 0 WHEN 'real' THEN 0 WHEN 'text' THEN 1"
        " WHEN 'true' THEN 2 WHEN 'false' THEN 2 WHEN 'array' THEN 2 WHEN 'object' THEN 2"
        " ELSE 3 END END"
    ),
    "number": "json_extract({column}, ?)",
    "text": "CAST(json_extract({column}, ?) AS TEXT)",
}
# PostgreSQL: the value is `column::jsonb #> path` (the path a text[] of the keys); a
# boolean's text is '1' or '0', as SQLite's json_extract gives it.
_PG_VALUE = "(({column})::jsonb #> string_to_array(?, '.'))"
_POSTGRES_JSON = {
    "kind": (
        f"CASE jsonb_typeof({_PG_VALUE}) WHEN 'number' THEN 0 WHEN 'string' THEN 1"
        " WHEN 'boolean' THEN 2 WHEN 'array' THEN 2 WHEN 'object' THEN 2 ELSE 3 END"
    ),
    "number": f"({_PG_VALUE} #>> '{{{{}}}}')::float8",
    "text": (
        f"(CASE WHEN jsonb_typeof({_PG_VALUE}) = 'boolean'"
        f" THEN CASE WHEN {_PG_VALUE} = 'true'::jsonb THEN '1' ELSE '0' END"
        f" ELSE {_PG_VALUE} #>> '{{{{}}}}' END) COLLATE \"C\""
    ),
}


def json_value_order(
    column: str, path: Sequence[str], descending: bool, dialect: str = "sqlite"
) -> Order:
    """Rows sorted by the JSON value at `path` (keys, outermost first) of a JSON text
    column: by its kind, then its number, then its text (a keyset over all three), in
    the SQL of `dialect` ("sqlite" or "postgresql")."""
    if not path or any('"' in key or "." in key or not key for key in path):
        raise FilterError(f"cannot order by the JSON key {'.'.join(path)!r}")
    if dialect == "postgresql":
        sql, path_param = _POSTGRES_JSON, ".".join(path)
    else:
        sql, path_param = _SQLITE_JSON, "$" + "".join(f'."{key}"' for key in path)
    kind, value, text = (sql[part].format(column=column) for part in ("kind", "number", "text"))
    # Descending, a missing value ranks below every kind, so that it still comes last.
    rank = f"(CASE WHEN {kind} = 3 THEN -1 ELSE {kind} END)" if descending else kind
    number = f"CASE WHEN {kind} = 0 THEN {value} ELSE 0 END"
    text = f"CASE WHEN {kind} IN (1, 2) THEN {text} ELSE '' END"
    keys = (rank, number, text)
    return Order(keys, descending, (path_param,) * sum(key.count("?") for key in keys))


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
        values = value if isinstance(value, list) else [value]
        if not isinstance(row_id, int) or not all(
            isinstance(v, (*_SCALARS, type(None))) for v in values
        ):
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
    if order.keys == (id_column,):
        return Where(f"{id_column} {op} ?", (row_id,))
    keys = ", ".join(order.keys)
    marks = ", ".join("?" for _ in order.keys)
    return Where(
        f"({keys}, {id_column}) {op} ({marks}, ?)", (*order.params, *order.values(value), row_id)
    )


async def _read(
    conn: Conn, listing: Listing[T], where: Where, order: Order, limit: int | None
) -> list[tuple[Any, T]]:
    """Rows in `order`, at most `limit` (None: all)."""
    direction = "DESC" if order.descending else "ASC"
    keys = ", ".join(
        f"{key} AS {alias}" for key, alias in zip(order.keys, order.aliases, strict=True)
    )
    select = f"SELECT {keys}, {listing.columns} FROM {listing.source}"
    by_keys = ", ".join(f"{alias} {direction}" for alias in order.aliases)
    ordered = f" ORDER BY {by_keys}, {listing.id_column} {direction}"
    bound, bounds = ("", ()) if limit is None else (" LIMIT ?", (limit,))
    if not where.partitions:
        sql = select + where.clause + ordered + bound
        params = (*order.params, *where.params, *bounds)
    else:
        parts, values = [], []
        for number, partition in enumerate(where.partitions):
            part = Where(where.sql, where.params) & partition
            parts.append(f"SELECT * FROM ({select}{part.clause}{ordered}{bound}) AS part{number}")
            values += [*order.params, *part.params, *bounds]
        sql = " UNION ALL ".join(parts) + f" ORDER BY {by_keys}, id {direction}{bound}"
        params = (*values, *bounds)
    keyed = []
    for row in await fetch_all(conn, dict, sql, params):
        sort_values = tuple(row.pop(alias) for alias in order.aliases)
        keyed.append((order.cursor_value(sort_values), listing.record(**row)))
    return keyed


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
    order = Order.on(listing.id_column, False)
    return [record for _, record in await _read(conn, listing, where.flat(), order, None)]


async def count(conn: Conn, listing: Listing[Any], scope: Where) -> int:
    scope = scope.flat()
    sql = f"SELECT COUNT(*) FROM {listing.source}{scope.clause}"
    return int(await fetch_value(conn, sql, scope.params))


async def count_matching(conn: Conn, listing: Listing[T], scope: Where, keep: Keep) -> int:
    """Rows of scope the Python part of a filter keeps (read in chunks of CHUNK)."""
    total, position = 0, None
    order = Order.on(listing.id_column, False)
    while True:
        where = scope if position is None else scope & _after(order, listing.id_column, position)
        chunk = await _read(conn, listing, where, order, CHUNK)
        total += sum(await keep([r for _, r in chunk]))
        if len(chunk) < CHUNK:
            return total
        position = (None, chunk[-1][1].id)
