"""Run lookups on a Project. Records and pages of records."""

from typing import Any

from ...domain.runs import run_document
from ...records import ProjectRec, RunRec
from ...store import runs, sweeps
from ...store.database import Conn
from ...store.listing import Where
from ..context import Info
from ..listing import ListedPage, list_page


async def project_run(info: Info, project: ProjectRec, name: str | None) -> RunRec | None:
    if not name:
        return None
    async with info.context.db.read() as conn:
        return await runs.run_by_name(conn, project.id, name)


async def run_documents(conn: Conn, found: list[RunRec]) -> list[dict[str, Any]]:
    return [run_document(r) for r in found]


async def runs_page(
    info: Info,
    scope: Where,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    """A page of the runs of `scope` (a project's, a sweep's, an agent's)."""
    return await list_page(
        info,
        runs.RUNS,
        scope,
        filters=filters,
        order=order,
        first=first,
        after=after,
        documents=run_documents,
    )


async def project_runs(
    info: Info,
    project: ProjectRec,
    filters: str | None,
    order: str | None,
    first: int | None,
    after: str | None,
) -> ListedPage[RunRec]:
    return await runs_page(info, runs.of_project(project.id), filters, order, first, after)


async def project_run_count(info: Info, project: ProjectRec, filters: str | None) -> int:
    return await (await project_runs(info, project, filters, None, 0, None)).counter()


async def stop_requested(info: Info, run: RunRec) -> bool:
    """Whether the run's sweep told its agent to stop it (early termination)."""
    if run.sweep_name is None:
        return False
    async with info.context.db.read() as conn:
        return await sweeps.stop_requested(conn, run.project_id, run.sweep_name, run.name)
