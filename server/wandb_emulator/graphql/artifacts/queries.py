from typing import Annotated

import strawberry

from ... import auth
from ...ids import decode_id, encode_id
from ...store import artifacts, projects
from ..context import Info
from .types import Artifact, ArtifactCollection, collection_node


@strawberry.type
class ClientIDMapping:
    server_id: strawberry.ID = strawberry.field(name="serverID")


@strawberry.type
class ArtifactQueries:
    @strawberry.field
    async def artifact(self, info: Info, id: strawberry.ID) -> Artifact | None:
        async with info.context.db.read() as conn:
            found = await artifacts.artifact_by_id(conn, decode_id(id, "Artifact"))
            if found is None or not await auth.can_view_artifact(conn, info.context.viewer, found):
                return None
        return Artifact(rec=found)

    @strawberry.field
    async def artifact_collection(self, info: Info, id: strawberry.ID) -> ArtifactCollection | None:
        async with info.context.db.read() as conn:
            found = await artifacts.collection_by_id(conn, decode_id(id, "ArtifactCollection"))
            if found is None:
                return None
            project = await projects.project_by_id(conn, found.project_id)
            if project is None or not await auth.can_view_project(
                conn, info.context.viewer, project
            ):
                return None
        return collection_node(found)

    @strawberry.field(name="clientIDMapping", description="Server IDs of client-side IDs.")
    async def client_id_mapping(
        self, info: Info, client_id: Annotated[strawberry.ID, strawberry.argument(name="clientID")]
    ) -> ClientIDMapping | None:
        async with info.context.db.read() as conn:
            artifact = await artifacts.artifact_by_client_id(conn, client_id)
            if artifact is not None:
                return ClientIDMapping(server_id=strawberry.ID(encode_id("Artifact", artifact.id)))
            sequence = await artifacts.collection_by_client_id(conn, client_id)
        if sequence is None:
            return None
        return ClientIDMapping(
            server_id=strawberry.ID(encode_id("ArtifactCollection", sequence.id))
        )
