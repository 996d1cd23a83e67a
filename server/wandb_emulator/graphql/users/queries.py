import strawberry

from ...domain.reads import accounts
from ...domain.reads.paging import page_size
from ..context import Info
from ..fields import context_field
from .types import User, UserConnection, UserEdge

MAX_SEARCH_RESULTS = 100


@strawberry.type
class UserQueries:
    @context_field(description="The user the request is authenticated as.")
    def viewer(self, info: Info) -> User | None:
        return User(rec=info.context.viewer)

    @strawberry.field(
        description="Users whose username or email contains the query (instance admins);"
        " for others, the member of their organizations with exactly that username or email."
    )
    async def users(
        self, info: Info, query: str | None = None, first: int | None = None
    ) -> UserConnection | None:
        if not query:
            return UserConnection(edges=[])
        limit = page_size(first, MAX_SEARCH_RESULTS, MAX_SEARCH_RESULTS)
        found = await accounts.find_users(info.context.reads, query, limit)
        return UserConnection(edges=[UserEdge(node=User(rec=u)) for u in found])
