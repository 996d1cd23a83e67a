import json
import posixpath
import re
from enum import Enum
from typing import TYPE_CHECKING, Annotated

import strawberry
from strawberry.scalars import JSON

from ... import history
from ...blobs import md5_hex_to_b64
from ...domain.console import ConsoleLine
from ...domain.reads import artifacts as artifact_reads
from ...domain.reads import runs as run_reads
from ...domain.reads.loaders import then
from ...domain.reads.paging import Page, Paged, page_of
from ...ids import encode_id
from ...records import RunFileRec, RunRec
from ..context import Info
from ..errors import ApiError
from ..fields import context_field, global_id_field, record_field, source_field
from ..files.types import File, FileConnection
from ..lazy import lazy_type
from ..pagination import CountedConnection, PageInfo, page_info
from ..scalars import DateTime, Int64, JSONString, parse_json_object
from ..users.types import User

if TYPE_CHECKING:
    from ..artifacts.types import ArtifactConnection, InputArtifactConnection
    from ..registries.types import Project

_Project = Annotated["Project", strawberry.lazy("wandb_emulator.graphql.registries.types")]
_ArtifactConnection = Annotated[
    "ArtifactConnection", strawberry.lazy("wandb_emulator.graphql.artifacts.types")
]
_InputArtifactConnection = Annotated[
    "InputArtifactConnection", strawberry.lazy("wandb_emulator.graphql.artifacts.types")
]

TAIL_LINES = 10


@strawberry.enum(description="How urgent an alert (run.alert) or a notification is.")
class AlertSeverity(Enum):
    ERROR = "ERROR"
    INFO = "INFO"
    WARN = "WARN"


@strawberry.type
class Run:
    rec: strawberry.Private[RunRec]

    id = global_id_field("Run")

    name = record_field("name", str)

    project_id = record_field("project_id", int)

    @source_field
    def display_name(self) -> str | None:
        return self.rec.display_name or self.rec.name

    description = record_field("description", str | None)

    notes = record_field("notes", str | None)

    group = record_field("group_name", str | None)

    job_type = record_field("job_type", str | None)

    commit = record_field("commit_hash", str | None)

    host = record_field("host", str | None)

    sweep_name = record_field("sweep_name", str | None)

    state = record_field("state", str)

    exitcode = record_field("exit_code", int | None)

    @source_field(description="The run is still running (its state is running).")
    def running(self) -> bool:
        return self.rec.state == "running"

    @source_field(description="The run ended with an error (failed or crashed).")
    def failed(self) -> bool:
        return self.rec.state in ("failed", "crashed")

    @strawberry.field(description="Its sweep's early termination told its agent to stop it.")
    async def should_stop(self, info: Info) -> bool:
        return await run_reads.stop_requested_by_sweep(info.context.reads, self.rec)

    @source_field
    def read_only(self) -> bool:
        return False

    @source_field
    def config(self) -> JSONString:
        return JSONString(self.rec.config)

    @source_field
    def summary_metrics(self) -> JSONString:
        return JSONString(self.rec.summary_metrics)

    @strawberry.field
    async def system_metrics(self, info: Info) -> JSONString:
        last = await run_reads.last_line(info.context.reads, self.rec, "events")
        return JSONString(last or "{}")

    @source_field
    def tags(self) -> list[str]:
        return json.loads(self.rec.tags)

    created_at = record_field("created_at", DateTime)

    updated_at = record_field("updated_at", DateTime | None)

    heartbeat_at = record_field("heartbeat_at", DateTime | None)

    history_line_count = record_field("history_line_count", int | None)

    events_line_count = record_field("events_line_count", int | None)

    log_line_count = record_field("log_line_count", int | None)

    @strawberry.field(description="JSON list of the last history lines.")
    async def history_tail(self, info: Info) -> str | None:
        return await self._tail(info, "history")

    @strawberry.field(description="JSON list of the last events lines.")
    async def events_tail(self, info: Info) -> str | None:
        return await self._tail(info, "events")

    async def _tail(self, info: Info, stream: str) -> str:
        lines = await run_reads.lines(info.context.reads, self.rec, stream)
        return json.dumps(lines[-TAIL_LINES:])

    async def _rows(self, info: Info, stream: str) -> list[dict]:
        return history.parse_rows(await run_reads.lines(info.context.reads, self.rec, stream))

    @source_field(description="Whether StopRun asked the run's process to stop.")
    def stopped(self) -> bool:
        return self.rec.stop_requested

    @strawberry.field(description="The console log: `first` lines after `after`, or the `last`.")
    async def log_lines(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        last: int | None = None,
        use_improved_pagination: bool | None = None,
    ) -> "LogLineConnection":
        page = await run_reads.console_page(info.context.reads, self.rec, first, after, last)
        return LogLineConnection.of_page(page)

    @strawberry.field(description="From the run's wandb-metadata.json, once uploaded.")
    async def run_info(self, info: Info) -> "RunInfo | None":
        values = await run_reads.run_metadata(info.context.reads, info.context.blobs, self.rec)
        return None if values is None else RunInfo.of_metadata(values)

    @strawberry.field(name="history", description="History rows as JSON strings.")
    async def history_rows(
        self,
        info: Info,
        samples: int | None = None,
        min_step: Int64 | None = None,
        max_step: Int64 | None = None,
    ) -> list[str]:
        rows = history.in_steps(await self._rows(info, "history"), min_step, max_step)
        return [json.dumps(row) for row in history.sample(rows, samples)]

    @strawberry.field(description="System metrics rows as JSON strings.")
    async def events(self, info: Info, samples: int | None = None) -> list[str]:
        rows = await self._rows(info, "events")
        return [json.dumps(row) for row in history.sample(rows, samples)]

    @strawberry.field(
        description="For each spec {keys, samples, minStep, maxStep}: the rows "
        "that have all its keys, reduced to them and sampled."
    )
    async def sampled_history(self, info: Info, specs: list[JSONString]) -> list[JSON]:
        rows = await self._rows(info, "history")
        return [JSON(_sampled(rows, parse_json_object(spec, "a history spec"))) for spec in specs]

    @strawberry.field(description="History is never exported to parquet here: all rows are live.")
    async def parquet_history(self, info: Info, live_keys: list[str]) -> "ParquetHistory":
        rows = await self._rows(info, "history")
        selected = history.with_keys(rows, live_keys) if live_keys else rows
        return ParquetHistory(parquet_urls=[], live_data=[JSON(row) for row in selected])

    @strawberry.field(
        description="lastStep and, per dotted key, typeCounts and the previousValue logged."
    )
    async def history_keys(self, info: Info) -> JSON:
        return JSON(history.keys_summary(await self._rows(info, "history")))

    @strawberry.field(description="Selected keys of the `_wandb` config entry.")
    def wandb_config(self, keys: list[str] | None = None) -> JSONString | None:
        internal = json.loads(self.rec.config).get("_wandb") or {}
        values = internal.get("value", internal) if isinstance(internal, dict) else {}
        selected = {k: v for k, v in values.items() if keys is None or k in keys}
        return JSONString(json.dumps(selected))

    @context_field
    def user(self, info: Info) -> User | None:
        if self.rec.user_id is None:
            return None
        return then(
            info.context.loaders.user.load_now(self.rec.user_id),
            lambda user: User(rec=user) if user else None,
        )

    @strawberry.field
    async def file_count(self, info: Info) -> int:
        return len(await run_reads.run_files(info.context.reads, self.rec))

    @strawberry.field
    async def files(
        self,
        info: Info,
        names: list[str | None] | None = None,
        pattern: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> FileConnection:
        """Files of the run; `pattern` uses SQL LIKE syntax, as on the W&B server."""
        found = await run_reads.run_files(info.context.reads, self.rec)
        # Names are matched as clean relative paths: `./a.txt` is the file `a.txt`.
        wanted = {posixpath.normpath(n) for n in names or [] if n}
        selected = [
            f
            for f in found
            if (not wanted or f.name in wanted) and (pattern is None or _like(pattern, f.name))
        ]
        page = page_of(info.context.reads, selected, first, after)
        return FileConnection.from_page(page, lambda f: _run_file(info, f))

    @strawberry.field
    async def input_artifacts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> _InputArtifactConnection:
        page = await artifact_reads.run_input_artifacts(info.context.reads, self.rec, first, after)
        return lazy_type(_InputArtifactConnection).of_artifacts(page)

    @strawberry.field
    async def output_artifacts(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> _ArtifactConnection:
        page = await artifact_reads.run_output_artifacts(info.context.reads, self.rec, first, after)
        return lazy_type(_ArtifactConnection).of_artifacts(page)

    @context_field
    def project(self, info: Info) -> _Project | None:
        return then(
            info.context.loaders.project.load_now(self.rec.project_id),
            lambda project: lazy_type(_Project)(rec=project) if project else None,
        )


@strawberry.type
class LogLine:
    number: int
    timestamp: str | None
    level: str
    label: str
    line: str


@strawberry.type
class LogLineEdge:
    node: LogLine
    cursor: str


@strawberry.type
class LogLineConnection:
    edges: list[LogLineEdge]
    page_info: PageInfo

    @classmethod
    def of_page(cls, page: Page[ConsoleLine]) -> "LogLineConnection":
        edges = [
            LogLineEdge(
                node=LogLine(
                    number=line.number,
                    timestamp=line.timestamp,
                    level=line.level,
                    label=line.label,
                    line=line.line,
                ),
                cursor=cursor,
            )
            for cursor, line in page.items
        ]
        return cls(edges=edges, page_info=page_info(page))


@strawberry.type
class GitInfo:
    remote: str | None
    commit: str | None

    @classmethod
    def of(cls, git: dict) -> "GitInfo":
        remote, commit = git.get("remote"), git.get("commit")
        return cls(
            remote=remote if isinstance(remote, str) else None,
            commit=commit if isinstance(commit, str) else None,
        )


@strawberry.type
class RunInfo:
    program: str | None
    args: list[str] | None
    os: str | None
    python: str | None
    colab: str | None
    executable: str | None
    code_saved: bool | None
    cpu_count: int | None
    gpu_count: int | None
    gpu: str | None
    git: GitInfo | None

    @classmethod
    def of_metadata(cls, values: dict) -> "RunInfo":
        """The fields of wandb-metadata.json, each null when missing or of another type."""

        def text(key: str) -> str | None:
            value = values.get(key)
            return value if isinstance(value, str) else None

        def count(key: str) -> int | None:
            value = values.get(key)
            return value if isinstance(value, int) and not isinstance(value, bool) else None

        args = values.get("args")
        git = values.get("git")
        return cls(
            program=text("program"),
            args=[a for a in args if isinstance(a, str)] if isinstance(args, list) else None,
            os=text("os"),
            python=text("python"),
            colab=text("colab"),
            executable=text("executable"),
            code_saved=bool(values.get("codePath") or values.get("codeSaved")),
            cpu_count=count("cpu_count"),
            gpu_count=count("gpu_count"),
            gpu=text("gpu"),
            git=GitInfo.of(git) if isinstance(git, dict) else None,
        )


@strawberry.type
class ParquetHistory:
    parquet_urls: list[str]
    live_data: list[JSON]


def _sampled(rows: list[dict], spec: dict) -> list[dict]:
    keys = spec.get("keys") or []
    if not isinstance(keys, list) or not all(isinstance(k, str) for k in keys):
        raise ApiError("spec keys must be a list of strings")
    # A spec's maxStep is inclusive (wandb-core asks for last_step, not last_step + 1),
    # unlike the exclusive maxStep argument of `history`.
    max_step = spec.get("maxStep")
    selected = history.in_steps(
        rows, spec.get("minStep"), None if max_step is None else max_step + 1
    )
    return history.sample(history.with_keys(selected, keys), spec.get("samples"))


def _like(pattern: str, name: str) -> bool:
    regex = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(regex, name, flags=re.DOTALL) is not None


def _run_file(info: Info, rec: RunFileRec) -> File:
    url = info.context.urls.file(rec, rec.name)
    return File(
        id=strawberry.ID(encode_id("RunFile", rec.run_id) + ":" + rec.name),
        name=rec.name,
        display_name=rec.name,
        size_bytes=Int64(rec.size or 0),
        md5=md5_hex_to_b64(rec.md5) if rec.md5 else None,
        mimetype=None,
        download_url=url,
        direct_url=url or "",
        updated_at=DateTime(rec.updated_at),
        run_file=(rec.run_id, rec.name),
    )


@strawberry.type
class RunConnection(CountedConnection[Run]):
    pass


def run_connection(page: Paged[RunRec]) -> RunConnection:
    return RunConnection.from_page(page, lambda r: Run(rec=r))
