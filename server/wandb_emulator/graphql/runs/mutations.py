"""Creating and updating runs (UpsertBucket) and their file uploads (CreateRunFiles)."""

from __future__ import annotations

import json
import secrets
import string

import strawberry

from ... import auth
from ...ids import decode_id
from ...store import projects, runs
from ...store.database import Conn
from ...store.records import ProjectRec, RunRec
from ...urls import Urls
from ...validation import check_name
from ..access import writable_project
from ..context import Info
from ..errors import ApiError, PermissionDenied
from ..files.types import File
from ..scalars import JSONString, json_object
from .types import Run

RUN_ID_ALPHABET = string.ascii_lowercase + string.digits


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


async def _run_by_global_id(conn: Conn, info: Info, global_id: str) -> tuple[ProjectRec, RunRec]:
    run = await runs.run_by_id(conn, decode_id(global_id, "Run"))
    project = await projects.project_by_id(conn, run.project_id) if run else None
    if run is None or project is None:
        raise ApiError(f"run {global_id!r} not found")
    if not await auth.can_write_project(conn, info.context.viewer, project):
        raise PermissionDenied("permission denied: cannot update this run")
    return project, run


async def writable_run(
    conn: Conn, info: Info, entity: str, project_name: str, run_name: str
) -> RunRec:
    project = await writable_project(conn, info.context.viewer, entity, project_name, create=False)
    run = await runs.run_by_name(conn, project.id, run_name)
    if run is None:
        raise ApiError(f"run {entity}/{project_name}/{run_name} not found")
    return run


@strawberry.type
class RunMutations:
    @strawberry.mutation(description="Create a run (and its project on first use) or update it.")
    async def upsert_bucket(
        self, info: Info, input: UpsertBucketInput
    ) -> UpsertBucketPayload | None:
        viewer = info.context.viewer
        async with info.context.db.write() as conn:
            if input.id:
                project, existing = await _run_by_global_id(conn, info, input.id)
                name = existing.name
            else:
                project = await writable_project(
                    conn, viewer, input.entity_name, input.model_name, create=True
                )
                name = check_name("run", input.name or _new_run_id())
            run, inserted = await runs.upsert_run(
                conn, project.id, name, _run_values(input), viewer.id
            )
        return UpsertBucketPayload(bucket=Run(rec=run), inserted=inserted)

    @strawberry.mutation(description="Upload URLs for files of a run.")
    async def create_run_files(
        self, info: Info, input: CreateRunFilesInput
    ) -> CreateRunFilesPayload | None:
        urls: Urls = info.context.urls
        async with info.context.db.write() as conn:
            run = await writable_run(
                conn, info, input.entity_name, input.project_name, input.run_name
            )
            for name in input.files:
                await runs.touch_run_file(conn, run.id, name)
        files = [
            File(
                id=strawberry.ID(f"{run.id}:{name}"),
                name=name,
                display_name=name,
                upload_url=urls.upload(t="run-file", r=run.id, n=name),
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
        async with info.context.db.write() as conn:
            run = await writable_run(
                conn, info, input.entity_name, input.project_name, input.run_name
            )
            for name in input.files:
                await runs.touch_run_file(conn, run.id, name)
        return MarkRunFilesUploadedPayload(success=True)


def _new_run_id() -> str:
    return "".join(secrets.choice(RUN_ID_ALPHABET) for _ in range(8))
