"""Creating sweeps, registering agents and their heartbeats."""

import json

import strawberry

from ...domain import sweeps
from ...domain.sweeps import load_config
from ..context import Info
from ..scalars import JSONString, json_object, parse_json_object
from .types import Agent, Sweep


@strawberry.input
class UpsertSweepInput:
    id: strawberry.ID | None = None
    description: str | None = None
    display_name: str | None = None
    config: str | None = None
    entity_name: str | None = None
    project_name: str | None = None
    controller: JSONString | None = None
    scheduler: JSONString | None = None
    launch_scheduler: JSONString | None = strawberry.field(
        default=None, description="Launch is not emulated; accepted and ignored."
    )
    template_variable_values: JSONString | None = strawberry.field(
        default=None, description="Launch templates are not emulated; accepted and ignored."
    )
    state: str | None = None
    prior_runs_filters: JSONString | None = strawberry.field(
        default=None, description="A runs filter: the project's runs it selects join the sweep."
    )
    client_mutation_id: str | None = None


@strawberry.type
class UpsertSweepPayload:
    sweep: Sweep | None
    inserted: bool | None
    config_validation_warnings: list[str]
    client_mutation_id: str | None = None


@strawberry.input
class CreateAgentInput:
    host: str
    name: str | None = None
    project_name: str | None = None
    entity_name: str | None = None
    persistent: bool | None = None
    sweep: str
    client_mutation_id: str | None = None


@strawberry.type
class CreateAgentPayload:
    agent: Agent | None
    client_mutation_id: str | None = None


@strawberry.input
class AgentHeartbeatInput:
    id: strawberry.ID
    metrics: JSONString | None = None
    run_state: JSONString | None = None
    client_mutation_id: str | None = None


@strawberry.type
class AgentHeartbeatPayload:
    agent: Agent | None
    commands: JSONString | None
    client_mutation_id: str | None = None


@strawberry.type
class SweepMutations:
    @strawberry.mutation(description="Create a sweep from a config, or update one by id.")
    async def upsert_sweep(self, info: Info, input: UpsertSweepInput) -> UpsertSweepPayload | None:
        async with info.context.uow.write() as tx:
            sweep, inserted = await sweeps.upsert_sweep(
                tx,
                info.context.viewer,
                sweep_id=input.id,
                entity_name=input.entity_name,
                project_name=input.project_name,
                config=input.config,
                state=input.state,
                values={
                    "display_name": input.display_name,
                    "description": input.description,
                    "controller": json_object(input.controller, "controller"),
                    "scheduler": json_object(input.scheduler, "scheduler"),
                },
                prior_runs=input.prior_runs_filters,
            )
        warnings = sweeps.config_warnings(load_config(sweep.config))
        return UpsertSweepPayload(
            sweep=Sweep(rec=sweep), inserted=inserted, config_validation_warnings=warnings
        )

    @strawberry.mutation(description="Register an agent that asks the sweep for runs.")
    async def create_agent(self, info: Info, input: CreateAgentInput) -> CreateAgentPayload | None:
        async with info.context.uow.write() as tx:
            agent = await sweeps.create_agent(
                tx,
                info.context.viewer,
                input.entity_name,
                input.project_name,
                input.sweep,
                input.host,
            )
        return CreateAgentPayload(agent=Agent(rec=agent))

    @strawberry.mutation(description="Report an agent's runs; get its next commands.")
    async def agent_heartbeat(
        self, info: Info, input: AgentHeartbeatInput
    ) -> AgentHeartbeatPayload | None:
        json_object(input.metrics, "metrics")
        run_state = parse_json_object(input.run_state, "runState") if input.run_state else {}
        agent, commands = await sweeps.agent_heartbeat(
            info.context.uow, info.context.viewer, input.id, run_state
        )
        return AgentHeartbeatPayload(
            agent=Agent(rec=agent), commands=JSONString(json.dumps(commands))
        )
