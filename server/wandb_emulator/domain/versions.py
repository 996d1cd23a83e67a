"""How a version is named within a collection: `vN`, an alias, or a digest."""

from __future__ import annotations

import re
from dataclasses import dataclass

from ..records import ArtifactRec, CollectionRec, MembershipRec
from ..store import artifacts
from ..store.database import Conn

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


@dataclass(frozen=True)
class VersionDetails:
    """A version as listings show it: its artifact, its aliases in the membership's
    collection, and its tags."""

    membership: MembershipRec
    artifact: ArtifactRec
    aliases: list[str]
    tags: list[str]


async def version_details(conn: Conn, found: list[MembershipRec]) -> list[VersionDetails]:
    """Details of many versions in three batched reads."""
    ids = [m.artifact_id for m in found]
    by_id = await artifacts.artifacts_by_ids(conn, ids)
    aliases = await artifacts.aliases_of_artifacts(conn, ids)
    tags = await artifacts.tags_of_artifacts(conn, ids)
    return [
        VersionDetails(
            membership=m,
            artifact=by_id[m.artifact_id],
            aliases=[
                a.alias
                for a in aliases.get(m.artifact_id, [])
                if a.collection_id == m.collection_id
            ],
            tags=[t.name for t in tags.get(m.artifact_id, [])],
        )
        for m in found
    ]
