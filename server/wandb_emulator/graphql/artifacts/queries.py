from typing import Annotated

import strawberry

from ...domain.reads import artifacts
from ...ids import encode_id
from ...records import ArtifactRec
from ..context import Info
from .types import Artifact, ArtifactCollection, collection_node


@strawberry.type
class ClientIDMapping:
    server_id: strawberry.ID = strawberry.field(name="serverID")


@strawberry.type
class ArtifactQueries:
    @strawberry.field
    async def artifact(self, info: Info, id: strawberry.ID) -> Artifact | None:
        found = await artifacts.visible_artifact(info.context.reads, id)
        return Artifact(rec=found) if found else None

    @strawberry.field
    async def artifact_collection(self, info: Info, id: strawberry.ID) -> ArtifactCollection | None:
        found = await artifacts.visible_collection(info.context.reads, id)
        return collection_node(found) if found else None

    @strawberry.field(name="clientIDMapping", description="Server IDs of client-side IDs.")
    async def client_id_mapping(
        self, info: Info, client_id: Annotated[strawberry.ID, strawberry.argument(name="clientID")]
    ) -> ClientIDMapping | None:
        found = await artifacts.by_client_id(info.context.reads, client_id)
        if found is None:
            return None
        kind = "Artifact" if isinstance(found, ArtifactRec) else "ArtifactCollection"
        return ClientIDMapping(server_id=strawberry.ID(encode_id(kind, found.id)))
