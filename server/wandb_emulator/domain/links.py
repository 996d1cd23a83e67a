"""Linking committed versions into portfolios (and registry collections) and unlinking.

Registry rules: a registry accepts versions logged by a team of its own organization,
of the artifact types it allows; linking needs the member role in the target (as does
every write). Events: `ArtifactLinked` when a version becomes a new member of a
portfolio (not when it was linked already), `ArtifactUnlinked` when it leaves, then the
alias changes (`latest` moving to or back from it, the requested aliases).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .. import auth
from ..ids import decode_id
from ..naming import check_name
from ..records import ArtifactRec, CollectionRec, MembershipRec, ProjectRec, UserRec
from ..store import accounts, artifacts, projects
from ..store.database import Conn
from .aliases import AliasChanges, emit_artifact_event, user_aliases
from .artifact_access import collection_for_write, visible_artifact
from .artifacts import collection_of_kind
from .errors import InvalidInput
from .events import ArtifactLinked, ArtifactUnlinked
from .projects import writable_project
from .unit import Tx


@dataclass(frozen=True)
class LinkRequest:
    """What LinkArtifact names: the source version (global id or client id) and the
    target portfolio (global id, or entity/project/name created on first use)."""

    artifact_id: str | None = None
    client_id: str | None = None
    portfolio_id: str | None = None
    portfolio_name: str | None = None
    entity_name: str | None = None
    project_name: str | None = None
    aliases: list[tuple[str, str]] = field(default_factory=list)  # (collection name, alias)


async def _source_artifact(conn: Conn, actor: UserRec, request: LinkRequest) -> ArtifactRec:
    if request.artifact_id:
        artifact = await visible_artifact(conn, actor, request.artifact_id)
    elif request.client_id:
        by_client = await artifacts.artifact_by_client_id(conn, request.client_id)
        named = f"with client id {request.client_id!r}"
        await auth.check(conn, actor, auth.Action.VIEW_ARTIFACT, by_client, named=named)
        assert by_client is not None
        artifact = by_client
    else:
        raise InvalidInput("linkArtifact needs an artifactID or a clientID")
    if artifact.state != "COMMITTED":
        raise InvalidInput("only committed artifacts can be linked")
    return artifact


async def check_registry_rules(
    conn: Conn, artifact: ArtifactRec, registry: ProjectRec, type_name: str
) -> None:
    """A registry accepts versions logged by a team of its organization, of allowed types."""
    source = await artifacts.collection_by_id(conn, artifact.sequence_id)
    source_project = await projects.project_by_id(conn, source.project_id) if source else None
    source_entity = (
        await accounts.entity_by_id(conn, source_project.entity_id) if source_project else None
    )
    registry_entity = await accounts.entity_by_id(conn, registry.entity_id)
    assert registry_entity is not None
    if (
        source_entity is None
        or source_entity.kind != "TEAM"
        or source_entity.organization_id != registry_entity.organization_id
    ):
        raise InvalidInput(
            "artifacts linked into a registry must be logged by a team of the registry's"
            " organization"
        )
    if not registry.allow_all_artifact_types:
        allowed = [
            t.name for t in await projects.artifact_types_of(conn, registry.id, allowed_only=True)
        ]
        if type_name not in allowed:
            raise InvalidInput(
                f"artifact type {type_name!r} is not allowed in registry {registry.name!r};"
                f" allowed types: {', '.join(allowed) or 'none'}"
            )


async def _target_portfolio(
    conn: Conn, actor: UserRec, request: LinkRequest, artifact: ArtifactRec, type_name: str
) -> CollectionRec:
    if request.portfolio_id:
        return await collection_for_write(conn, actor, request.portfolio_id, "PORTFOLIO")
    name = check_name("collection", request.portfolio_name)
    project = await writable_project(
        conn,
        actor,
        request.entity_name,
        request.project_name,
        create=not (request.project_name or "").startswith(auth.REGISTRY_PREFIX),
    )
    if auth.is_registry(project):
        await check_registry_rules(conn, artifact, project, type_name)
    return await collection_of_kind(conn, project.id, name, "PORTFOLIO", type_name)


async def link(tx: Tx, actor: UserRec, request: LinkRequest) -> MembershipRec:
    """Link a committed version into a portfolio as its next version (linking a version
    that is a member already keeps its version) and give it the requested aliases."""
    conn = tx.conn
    artifact = await _source_artifact(conn, actor, request)
    type_name = await artifacts.artifact_type_name(conn, artifact.type_id)
    portfolio = await _target_portfolio(conn, actor, request, artifact, type_name)
    async with AliasChanges(tx, actor, [portfolio]):
        linked_before = await artifacts.membership_of(conn, portfolio.id, artifact.id)
        membership = await artifacts.add_membership(conn, portfolio, artifact.id)
        if any(collection != portfolio.name for collection, _ in request.aliases):
            raise InvalidInput("every alias must name the collection being linked into")
        aliases = user_aliases(alias for _, alias in request.aliases)
        if linked_before is None:
            emit_artifact_event(
                tx,
                ArtifactLinked,
                actor,
                artifact.id,
                portfolio,
                version_index=membership.version_index,
                aliases=tuple(aliases),
            )
        for alias in aliases:
            await artifacts.set_alias(conn, portfolio.id, artifact.id, alias)
    return membership


async def unlink(tx: Tx, actor: UserRec, artifact_id: str, portfolio_id: str) -> None:
    """Remove a linked version from a portfolio (its aliases there go with it)."""
    portfolio = await collection_for_write(tx.conn, actor, portfolio_id)
    await auth.check(tx.conn, actor, auth.Action.UNLINK_FROM_COLLECTION, portfolio)
    membership = await artifacts.membership_of(
        tx.conn, portfolio.id, decode_id(artifact_id, "Artifact")
    )
    if membership is None:
        raise InvalidInput("the artifact is not linked into this collection")
    async with AliasChanges(tx, actor, [portfolio]):
        await artifacts.remove_membership(tx.conn, membership)
        emit_artifact_event(tx, ArtifactUnlinked, actor, membership.artifact_id, portfolio)
