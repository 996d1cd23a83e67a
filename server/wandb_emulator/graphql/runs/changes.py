"""Run changes from outside the run's process: alerts, rewinding, stopping, its state,
deleting files and the run itself."""

import strawberry

from ...domain import run_changes, run_history
from ..context import Info
from ..scalars import Duration
from .types import AlertSeverity, Run


@strawberry.input
class NotifyScriptableRunAlertInput:
    entity_name: str
    project_name: str
    run_name: str
    title: str
    text: str
    severity: AlertSeverity | None = AlertSeverity.INFO
    wait_duration: Duration | None = None
    client_mutation_id: str | None = None


@strawberry.type
class NotifyScriptableRunAlertPayload:
    success: bool
    client_mutation_id: str | None = None


@strawberry.type
class StopRunPayload(NotifyScriptableRunAlertPayload):
    pass


@strawberry.type
class UpdateRunStatePayload(NotifyScriptableRunAlertPayload):
    pass


@strawberry.type
class DeleteFilesPayload(NotifyScriptableRunAlertPayload):
    pass


@strawberry.input
class RewindRunInput:
    run_name: str
    entity_name: str | None = None
    project_name: str | None = None
    metric_name: str
    metric_value: float
    client_mutation_id: str | None = None


@strawberry.type
class RewindRunPayload:
    rewound_run: Run | None
    client_mutation_id: str | None = None


@strawberry.input
class StopRunInput:
    id: strawberry.ID
    client_mutation_id: str | None = None


@strawberry.input
class UpdateRunStateInput:
    id: strawberry.ID
    state: str
    client_mutation_id: str | None = None


@strawberry.input
class DeleteFilesInput:
    files: list[strawberry.ID]
    project_id: int | None = None
    client_mutation_id: str | None = None


@strawberry.input
class DeleteRunInput:
    id: strawberry.ID
    delete_artifacts: bool | None = False
    client_mutation_id: str | None = None


@strawberry.type
class DeleteRunPayload:
    client_mutation_id: str | None = None


@strawberry.type
class RunChangeMutations:
    @strawberry.mutation(description="Record run.alert() on the run.")
    async def notify_scriptable_run_alert(
        self, info: Info, input: NotifyScriptableRunAlertInput
    ) -> NotifyScriptableRunAlertPayload | None:
        severity = (input.severity or AlertSeverity.INFO).value
        names = (input.entity_name, input.project_name, input.run_name)
        async with info.context.uow.write() as tx:
            await run_changes.notify_alert(
                tx,
                info.context.viewer,
                names,
                input.title,
                input.text,
                severity,
                input.wait_duration,
            )
        return NotifyScriptableRunAlertPayload(
            success=True, client_mutation_id=input.client_mutation_id
        )

    @strawberry.mutation(description="Drop a run's history after a step (`_step`).")
    async def rewind_run(self, info: Info, input: RewindRunInput) -> RewindRunPayload | None:
        async with info.context.uow.write() as tx:
            run = await run_history.rewind_run(
                tx,
                info.context.viewer,
                input.entity_name,
                input.project_name,
                input.run_name,
                input.metric_name,
                input.metric_value,
            )
        return RewindRunPayload(
            rewound_run=Run(rec=run), client_mutation_id=input.client_mutation_id
        )

    @strawberry.mutation(description="Ask a running run's process to stop (at its next heartbeat).")
    async def stop_run(self, info: Info, input: StopRunInput) -> StopRunPayload | None:
        async with info.context.uow.write() as tx:
            await run_changes.stop_run(tx, info.context.viewer, input.id)
        return StopRunPayload(success=True, client_mutation_id=input.client_mutation_id)

    @strawberry.mutation(description="Move a run to `pending` or `failed`.")
    async def update_run_state(
        self, info: Info, input: UpdateRunStateInput
    ) -> UpdateRunStatePayload | None:
        async with info.context.uow.write() as tx:
            await run_changes.update_run_state(tx, info.context.viewer, input.id, input.state)
        return UpdateRunStatePayload(success=True, client_mutation_id=input.client_mutation_id)

    @strawberry.mutation(description="Delete files of runs by id.")
    async def delete_files(self, info: Info, input: DeleteFilesInput) -> DeleteFilesPayload | None:
        async with info.context.uow.write() as tx:
            await run_changes.delete_files(tx, info.context.viewer, list(input.files))
        return DeleteFilesPayload(success=True, client_mutation_id=input.client_mutation_id)

    @strawberry.mutation(description="Delete a run (and the artifacts it created, if asked).")
    async def delete_run(self, info: Info, input: DeleteRunInput) -> DeleteRunPayload | None:
        async with info.context.uow.write() as tx:
            await run_changes.delete_run(
                tx, info.context.viewer, input.id, delete_artifacts=bool(input.delete_artifacts)
            )
        return DeleteRunPayload(client_mutation_id=input.client_mutation_id)
