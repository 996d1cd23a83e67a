"""Sweeps and their agents as the SDK reads them."""

from typing import TYPE_CHECKING, Annotated

import strawberry

from ...domain import sweep_search
from ...domain.reads import sweeps as sweep_reads
from ...domain.reads.paging import Paged
from ...domain.sweeps import controller_run_name, load_config
from ...records import SweepAgentRec, SweepRec
from ..context import Info
from ..fields import global_id_field, record_field, source_field
from ..lazy import lazy_type
from ..pagination import CountedConnection
from ..runs.types import RunConnection, run_connection
from ..scalars import DateTime, JSONString

if TYPE_CHECKING:
    from ..registries.types import Project

# Projects (registries.types) come later in the import order.
_Project = Annotated["Project", strawberry.lazy("wandb_emulator.graphql.registries.types")]


@strawberry.type
class Agent:
    rec: strawberry.Private[SweepAgentRec]

    id = global_id_field("Agent")
    name = record_field("name", str)
    host = record_field("host", str)
    state = record_field("state", str)
    created_at = record_field("created_at", DateTime)
    heartbeat_at = record_field("heartbeat_at", DateTime | None)

    @strawberry.field(description="Runs the sweep handed to this agent.")
    async def total_runs(self, info: Info) -> int:
        return await sweep_reads.agent_run_count(info.context.reads, self.rec)

    @strawberry.field(description="The runs of the runs the sweep handed to this agent.")
    async def runs(
        self,
        info: Info,
        after: str | None = None,
        before: Annotated[
            str | None, strawberry.argument(description="Accepted; pages go forward only.")
        ] = None,
        first: int | None = None,
        last: Annotated[
            int | None, strawberry.argument(description="Accepted; pages go forward only.")
        ] = None,
        order: str | None = None,
    ) -> RunConnection:
        page = await sweep_reads.agent_runs(info.context.reads, self.rec, order, first, after)
        return run_connection(page)


@strawberry.type
class AgentEdge:
    node: Agent


@strawberry.type
class AgentConnection:
    edges: list[AgentEdge]


@strawberry.type
class Sweep:
    rec: strawberry.Private[SweepRec]

    id = global_id_field("Sweep")
    name = record_field("name", str)
    display_name = record_field("display_name", str | None)
    description = record_field("description", str | None)
    method = record_field("method", str)
    state = record_field("state", str)
    config = record_field("config", str, description="The sweep config (YAML).")
    controller = record_field("controller", JSONString | None)
    scheduler = record_field("scheduler", JSONString | None)
    created_at = record_field("created_at", DateTime)
    updated_at = record_field("updated_at", DateTime | None)
    heartbeat_at = record_field("heartbeat_at", DateTime | None)

    @strawberry.field(description="The best value of the sweep's metric in its runs' summaries.")
    async def best_loss(self, info: Info) -> float | None:
        return await sweep_reads.best_metric(info.context.reads, self.rec)

    @strawberry.field(
        description="Always false: early termination is decided on each agent heartbeat."
    )
    def early_stop_job_running(self) -> bool:
        return False

    @source_field(description="The run a local sweep scheduler logs to.")
    def controller_run_name(self) -> str:
        return controller_run_name(self.rec)

    @strawberry.field(description="The runs that joined the sweep.")
    async def runs(
        self,
        info: Info,
        filters: JSONString | None = None,
        order: str | None = None,
        first: int | None = None,
        after: str | None = None,
    ) -> RunConnection:
        page = await sweep_reads.sweep_runs(
            info.context.reads, self.rec, filters, order, first, after
        )
        return run_connection(page)

    @strawberry.field(description="Runs that joined the sweep.")
    async def run_count(self, info: Info) -> int:
        return await sweep_reads.run_count(info.context.reads, self.rec)

    @strawberry.field(description="The grid's size or run_cap; null when unbounded.")
    def run_count_expected(self) -> int | None:
        return sweep_search.expected_runs(load_config(self.rec.config))

    @strawberry.field
    async def project(self, info: Info) -> _Project | None:
        project = await info.context.loaders.project.load(self.rec.project_id)
        return lazy_type(_Project)(rec=project) if project else None

    @strawberry.field
    async def agents(self, info: Info) -> AgentConnection:
        found = await sweep_reads.agents(info.context.reads, self.rec)
        return AgentConnection(edges=[AgentEdge(node=Agent(rec=a)) for a in found])

    @strawberry.field
    async def agent(self, info: Info, agent_name: str) -> Agent | None:
        found = await sweep_reads.agent_named(info.context.reads, self.rec, agent_name)
        return Agent(rec=found) if found else None


@strawberry.type
class SweepConnection(CountedConnection[Sweep]):
    pass


def sweep_connection(page: Paged[SweepRec]) -> SweepConnection:
    return SweepConnection.from_page(page, lambda s: Sweep(rec=s))
