"""Creating and updating runs (UpsertBucket) and their file uploads (CreateRunFiles)."""

import json

import strawberry

from ...domain import runs as domain_runs
from ...urls import RunFileUpload, Urls
from ..context import Info
from ..files.types import File
from ..scalars import JSONString, json_object
from .types import Run


@strawberry.input
class UpsertBucketInput:
    id: str | None = None
    name: str | None = None
    group_name: str | None = None
    model_name: str | None = None
    entity_name: str | None = None
    description: str | None = None
    display_name: str | None = None
    notes: str | None = None
    commit: str | None = None
    config: JSONString | None = None
    host: str | None = None
    debug: bool | None = None
    job_program: str | None = None
    job_repo: str | None = None
    job_type: str | None = None
    state: str | None = None
    sweep: str | None = None
    tags: list[str] | None = None
    summary_metrics: JSONString | None = None
    client_mutation_id: str | None = None


@strawberry.type
class UpsertBucketPayload:
    bucket: Run | None
    inserted: bool | None
    client_mutation_id: str | None = None


@strawberry.input
class CreateRunFilesInput:
    entity_name: str
    project_name: str
    run_name: str
    files: list[str]
    client_mutation_id: str | None = None


@strawberry.type
class CreateRunFilesPayload:
    run_id: strawberry.ID = strawberry.field(name="runID")
    upload_headers: list[str]
    files: list[File]
    client_mutation_id: str | None = None


@strawberry.input
class MarkRunFilesUploadedInput(CreateRunFilesInput):
    """The same fields as CreateRunFilesInput."""


@strawberry.type
class MarkRunFilesUploadedPayload:
    success: bool
    client_mutation_id: str | None = None


def _run_values(input: UpsertBucketInput) -> dict[str, object]:
    return {
        "display_name": input.display_name,
        "description": input.description,
        "notes": input.notes,
        "group_name": input.group_name,
        "job_type": input.job_type,
        "commit": input.commit,
        "host": input.host,
        "program": input.job_program,
        "sweep": input.sweep,
        "config": json_object(input.config, "config"),
        "summary_metrics": json_object(input.summary_metrics, "summaryMetrics"),
        "tags": None if input.tags is None else json.dumps(input.tags),
        "state": input.state,
    }


def _run_files(input: CreateRunFilesInput) -> domain_runs.RunFiles:
    return domain_runs.RunFiles(
        input.entity_name, input.project_name, input.run_name, list(input.files)
    )


@strawberry.type
class RunMutations:
    @strawberry.mutation(description="Create a run (and its project on first use) or update it.")
    async def upsert_bucket(
        self, info: Info, input: UpsertBucketInput
    ) -> UpsertBucketPayload | None:
        async with info.context.uow.write() as tx:
            run, inserted = await domain_runs.upsert_run(
                tx,
                info.context.viewer,
                _run_values(input),
                run_id=input.id,
                entity_name=input.entity_name,
                project_name=input.model_name,
                name=input.name,
            )
        return UpsertBucketPayload(bucket=Run(rec=run), inserted=inserted)

    @strawberry.mutation(description="Upload URLs for files of a run.")
    async def create_run_files(
        self, info: Info, input: CreateRunFilesInput
    ) -> CreateRunFilesPayload | None:
        urls: Urls = info.context.urls
        async with info.context.uow.write() as tx:
            run = await domain_runs.touch_run_files(tx, info.context.viewer, _run_files(input))
        files = [
            File(
                id=strawberry.ID(f"{run.id}:{name}"),
                name=name,
                display_name=name,
                upload_url=urls.upload(RunFileUpload(run_id=run.id, name=name)).url,
            )
            for name in input.files
        ]
        return CreateRunFilesPayload(
            run_id=strawberry.ID(Run(rec=run).id()), upload_headers=[], files=files
        )

    @strawberry.mutation
    async def mark_run_files_uploaded(
        self, info: Info, input: MarkRunFilesUploadedInput
    ) -> MarkRunFilesUploadedPayload | None:
        await domain_runs.mark_run_files_uploaded(
            info.context.uow, info.context.blobs, info.context.viewer, _run_files(input)
        )
        return MarkRunFilesUploadedPayload(success=True)
