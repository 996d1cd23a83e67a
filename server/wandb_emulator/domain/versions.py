"""How a version is named within a collection: `vN`, an alias, or a digest."""

from __future__ import annotations

import re

from ..store import artifacts
from ..store.database import Conn
from ..store.records import CollectionRec, MembershipRec

_VERSION = re.compile(r"^v(\d+)$")
MAX_VERSION_INDEX = 2**62  # beyond any SQLite integer a collection could reach


async def membership_for_version(
    conn: Conn, collection: CollectionRec, version: str
) -> MembershipRec | None:
    """Resolve `vN`, an alias, or a digest within a collection."""
    if match := _VERSION.match(version):
        index = int(match.group(1))
        if index > MAX_VERSION_INDEX:
            return None
        return await artifacts.membership_by_version(conn, collection.id, index)
    found = await artifacts.membership_by_alias(conn, collection.id, version)
    if found is None and len(version) >= 32:
        found = await artifacts.membership_by_digest(conn, collection.id, version)
    return found
