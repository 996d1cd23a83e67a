"""Lineage: the versions a run used or logged, who created a version, the runs using it."""

from ...records import ArtifactRec, RunRec, UserRec
from ...store import artifacts, runs
from ..context import Info
from ..pagination import Page, paginate


async def run_input_artifacts(
    info: Info, run: RunRec, first: int | None, after: str | None
) -> Page[ArtifactRec]:
    """The versions a run used."""
    async with info.context.db.read() as conn:
        found = await artifacts.artifacts_used_by(conn, run.id)
    return paginate(found, first, after, info.context.config.max_page_size)


async def run_output_artifacts(
    info: Info, run: RunRec, first: int | None, after: str | None
) -> Page[ArtifactRec]:
    """The versions a run logged."""
    async with info.context.db.read() as conn:
        found = await artifacts.artifacts_logged_by(conn, run.id)
    return paginate(found, first, after, info.context.config.max_page_size)


async def creator_of(info: Info, artifact: ArtifactRec) -> RunRec | UserRec | None:
    """The run that logged the version, else the user who created it."""
    if artifact.created_by_run_id is not None:
        async with info.context.db.read() as conn:
            run = await runs.run_by_id(conn, artifact.created_by_run_id)
        if run is not None:
            return run
    if artifact.created_by_user_id is not None:
        return await info.context.loaders.user.load(artifact.created_by_user_id)
    return None


async def runs_using(
    info: Info, artifact: ArtifactRec, first: int | None, after: str | None
) -> Page[RunRec]:
    async with info.context.db.read() as conn:
        found = [
            await runs.run_by_id(conn, run_id)
            for run_id in await artifacts.runs_using(conn, artifact.id)
        ]
    return paginate([r for r in found if r], first, after, info.context.config.max_page_size)
