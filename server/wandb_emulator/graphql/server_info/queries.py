import strawberry

from ..fields import root_field
from .types import ServerInfo


@strawberry.type
class ServerInfoQueries:
    @root_field
    def server_info(self) -> ServerInfo:
        return ServerInfo()
