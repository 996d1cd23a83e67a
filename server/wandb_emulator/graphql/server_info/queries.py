import strawberry

from ..fields import source_field
from .types import ServerInfo


@strawberry.type
class ServerInfoQueries:
    @source_field
    def server_info(self) -> ServerInfo:
        return ServerInfo()
