"""A run's console log (`Run.logLines`): the `output.log` lines file_stream delivered,
numbered from 0, each split into its capture time, level and text.

wandb-core writes each captured line as `[ERROR ]TIMESTAMP TEXT`: the `ERROR ` prefix
marks stderr, the timestamp is the capture time in UTC (ISO 8601, no zone). Lines that do
not have that shape are served whole, with no timestamp.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import RunRec
from ..store import runs
from ..store.database import Conn

OUTPUT = "output"
# At most this many lines per request, as the W&B backend caps a tail.
MAX_LINES = 10_000

_CAPTURED = re.compile(
    r"^(?P<error>ERROR )?(?P<timestamp>\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z?) (?P<text>.*)$",
    re.DOTALL,
)


@dataclass(frozen=True)
class ConsoleLine:
    number: int
    timestamp: str | None
    level: str  # "error" for stderr, "" otherwise
    label: str  # the writer's x_label in shared mode; "" here
    line: str


def parse_line(number: int, content: str) -> ConsoleLine:
    match = _CAPTURED.match(content)
    if match is None:
        return ConsoleLine(number, None, "", "", content)
    level = "error" if match["error"] else ""
    return ConsoleLine(number, match["timestamp"], level, "", match["text"])


async def lines_after(conn: Conn, run: RunRec, after: int, count: int) -> list[ConsoleLine]:
    """Up to `count` lines numbered after `after` (-1: from the first)."""
    count = min(count, MAX_LINES)
    found = await runs.numbered_lines(conn, run.id, OUTPUT, after + 1, after + 1 + count)
    return [parse_line(number, content) for number, content in found]


async def last_lines(conn: Conn, run: RunRec, count: int) -> list[ConsoleLine]:
    """The newest `count` lines, oldest first."""
    count = min(count, MAX_LINES)
    total = run.log_line_count
    found = await runs.numbered_lines(conn, run.id, OUTPUT, max(total - count, 0), total)
    return [parse_line(number, content) for number, content in found]
