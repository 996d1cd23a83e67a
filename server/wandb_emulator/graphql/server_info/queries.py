from __future__ import annotations

import strawberry

from .types import ServerInfo


@strawberry.type
class ServerInfoQueries:
    @strawberry.field
    def server_info(self) -> ServerInfo:
        return ServerInfo()
