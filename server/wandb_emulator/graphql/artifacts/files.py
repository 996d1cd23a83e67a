"""The files and the manifest of an artifact version, for viewers allowed to download."""

from collections.abc import Sequence

from ... import auth
from ...records import ArtifactFileRec, ArtifactRec
from ...store import artifacts
from ..context import Info
from ..errors import PermissionDenied
from ..pagination import Page, paginate


async def _require_download(info: Info, artifact: ArtifactRec) -> None:
    async with info.context.db.read() as conn:
        allowed = await auth.can_download_artifact(conn, info.context.viewer, artifact)
    if not allowed:
        raise PermissionDenied("permission denied: restricted viewers cannot download files")


async def files_page(
    info: Info,
    artifact: ArtifactRec,
    names: Sequence[str | None] | None,
    first: int | None,
    after: str | None,
) -> Page[ArtifactFileRec]:
    await _require_download(info, artifact)
    wanted = None if names is None else [n for n in names if n is not None]
    async with info.context.db.read() as conn:
        found = await artifacts.files_of_artifact(conn, artifact.id, wanted)
    return paginate(found, first, after, info.context.config.max_page_size)


async def manifest_of(info: Info, artifact: ArtifactRec) -> ArtifactRec | None:
    """The version whose manifest may be shown, once it has one."""
    if artifact.manifest_blob_key is None:
        return None
    await _require_download(info, artifact)
    return artifact
