"""The File type: run files and artifact files, with their upload and download URLs."""

from collections.abc import Callable

import strawberry

from ...domain.reads.paging import Page
from ...urls import RunFileUpload
from ..context import Info
from ..pagination import Edge, PageInfo, R, edges, page_info
from ..scalars import DateTime, Int64


@strawberry.type
class UploadUrlPart:
    part_number: Int64
    upload_url: str


@strawberry.type
class UploadMultipartUrls:
    upload_id: str = strawberry.field(name="uploadID")
    upload_url_parts: list[UploadUrlPart]


@strawberry.type
class FileArtifactRef:
    id: strawberry.ID


@strawberry.type
class File:
    id: strawberry.ID
    name: str
    display_name: str
    size_bytes: Int64 = Int64(0)
    md5: str | None = None
    digest: str | None = None
    mimetype: str | None = None
    download_url: strawberry.Private[str | None] = None
    direct_url: str = ""
    storage_path: str | None = None
    updated_at: DateTime | None = None
    upload_url: str | None = None
    upload_headers: list[str] = strawberry.field(default_factory=list)
    upload_multipart_urls: UploadMultipartUrls | None = None
    artifact: FileArtifactRef | None = None
    # (run id, file name) of a run file: what `url(upload: true)` signs an upload URL for.
    run_file: strawberry.Private[tuple[int, str] | None] = None

    @strawberry.field(description="The download URL; with `upload: true`, a run file's upload URL.")
    def url(self, info: Info, upload: bool | None = None) -> str | None:
        if upload and self.run_file is not None:
            run_id, name = self.run_file
            return info.context.urls.upload(RunFileUpload(run_id=run_id, name=name)).url
        return self.download_url


FileEdge = Edge[File]


@strawberry.type
class FileConnection:
    edges: list[FileEdge]
    page_info: PageInfo
    total_count: int | None = None
    upload_headers: list[str] = strawberry.field(
        default_factory=list, description="Headers to send with uploads: none here."
    )

    @classmethod
    def from_page(cls, page: Page[R], node: Callable[[R], File]) -> "FileConnection":
        return cls(edges=edges(page, node), page_info=page_info(page), total_count=page.total_count)
