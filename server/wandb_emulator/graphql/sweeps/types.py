"""Sweeps and their agents as the SDK reads them."""

from typing import TYPE_CHECKING, Annotated

import strawberry

from ...domain import sweep_search
from ...domain.reads import sweeps as sweep_reads
from ...domain.sweeps import load_config
from ...records import SweepAgentRec, SweepRec
from ..context import Info
from ..fields import global_id_field, record_field
from ..lazy import lazy_type
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

    @strawberry.field(description="Always null: no metric is tracked for the sweep.")
    def best_loss(self) -> float | None:
        return None

    @strawberry.field(description="Early termination is not emulated.")
    def early_stop_job_running(self) -> bool:
        return False

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
