"""Linking artifact versions into portfolios (registry collections) and unlinking them."""

from __future__ import annotations

import strawberry

from .... import auth
from ....ids import decode_id
from ....store import accounts, artifacts, projects
from ....store.database import Conn
from ....store.records import ArtifactRec, CollectionRec, MembershipRec, ProjectRec, UserRec
from ....validation import check_name
from ...access import writable_project
from ...context import Info
from ...errors import ApiError, PermissionDenied
from ..types import ArtifactCollectionMembership
from .common import collection_for_write, collection_of_kind, user_aliases, visible_artifact
from .save import ArtifactAliasInput


@strawberry.input
class LinkArtifactInput:
    artifact_id: strawberry.ID | None = strawberry.field(name="artifactID", default=None)
    client_id: strawberry.ID | None = strawberry.field(name="clientID", default=None)
    artifact_portfolio_id: strawberry.ID | None = strawberry.field(
        name="artifactPortfolioID", default=None
    )
    artifact_portfolio_name: str | None = None
    entity_name: str | None = None
    project_name: str | None = None
    aliases: list[ArtifactAliasInput] | None = None
    client_mutation_id: str | None = None


@strawberry.type
class LinkArtifactPayload:
    version_index: int | None
    artifact_membership: ArtifactCollectionMembership | None
    client_mutation_id: str | None = None


@strawberry.input
class UnlinkArtifactInput:
    artifact_id: strawberry.ID = strawberry.field(name="artifactID")
    artifact_portfolio_id: strawberry.ID = strawberry.field(name="artifactPortfolioID")
    client_mutation_id: str | None = None


@strawberry.type
class UnlinkArtifactPayload:
    success: bool
    artifact_id: strawberry.ID | None = strawberry.field(name="artifactID", default=None)
    client_mutation_id: str | None = None


async def _source_artifact(conn: Conn, viewer: UserRec, input: LinkArtifactInput) -> ArtifactRec:
    if input.artifact_id:
        artifact = await visible_artifact(conn, viewer, input.artifact_id)
    elif input.client_id:
        artifact = await artifacts.artifact_by_client_id(conn, input.client_id)
        if artifact is None or not await auth.can_view_artifact(conn, viewer, artifact):
            raise ApiError(f"artifact with client id {input.client_id!r} not found")
    else:
        raise ApiError("linkArtifact needs an artifactID or a clientID")
    if artifact.state != "COMMITTED":
        raise ApiError("only committed artifacts can be linked")
    return artifact


async def _check_registry_rules(
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
        raise ApiError(
            "artifacts linked into a registry must be logged by a team of the registry's"
            " organization"
        )
    if not registry.allow_all_artifact_types:
        allowed = [
            t.name for t in await projects.artifact_types_of(conn, registry.id, allowed_only=True)
        ]
        if type_name not in allowed:
            raise ApiError(
                f"artifact type {type_name!r} is not allowed in registry {registry.name!r};"
                f" allowed types: {', '.join(allowed) or 'none'}"
            )


async def _target_portfolio(
    conn: Conn, info: Info, input: LinkArtifactInput, artifact: ArtifactRec, type_name: str
) -> CollectionRec:
    viewer = info.context.viewer
    if input.artifact_portfolio_id:
        return await collection_for_write(conn, viewer, input.artifact_portfolio_id, "PORTFOLIO")
    name = check_name("collection", input.artifact_portfolio_name)
    project = await writable_project(
        conn,
        viewer,
        input.entity_name,
        input.project_name,
        create=not (input.project_name or "").startswith(auth.REGISTRY_PREFIX),
    )
    if auth.is_registry(project):
        await _check_registry_rules(conn, artifact, project, type_name)
    return await collection_of_kind(conn, project.id, name, "PORTFOLIO", type_name)


async def _link(info: Info, input: LinkArtifactInput) -> MembershipRec:
    async with info.context.db.write() as conn:
        artifact = await _source_artifact(conn, info.context.viewer, input)
        type_name = await artifacts.artifact_type_name(conn, artifact.type_id)
        portfolio = await _target_portfolio(conn, info, input, artifact, type_name)
        membership = await artifacts.add_membership(conn, portfolio, artifact.id)
        if any(a.artifact_collection_name != portfolio.name for a in input.aliases or []):
            raise ApiError("every alias must name the collection being linked into")
        for alias in user_aliases([a.alias for a in input.aliases or []]):
            await artifacts.set_alias(conn, portfolio.id, artifact.id, alias)
        return membership


@strawberry.type
class ArtifactLinkMutations:
    @strawberry.mutation(description="Link a committed version into a portfolio as a new version.")
    async def link_artifact(
        self, info: Info, input: LinkArtifactInput
    ) -> LinkArtifactPayload | None:
        membership = await _link(info, input)
        return LinkArtifactPayload(
            version_index=membership.version_index,
            artifact_membership=ArtifactCollectionMembership(rec=membership),
        )

    @strawberry.mutation
    async def unlink_artifact(
        self, info: Info, input: UnlinkArtifactInput
    ) -> UnlinkArtifactPayload | None:
        async with info.context.db.write() as conn:
            portfolio = await collection_for_write(
                conn, info.context.viewer, input.artifact_portfolio_id
            )
            if portfolio.kind != "PORTFOLIO":
                raise PermissionDenied("only linked versions can be unlinked; delete it instead")
            artifact_id = decode_id(input.artifact_id, "Artifact")
            membership = await artifacts.membership_of(conn, portfolio.id, artifact_id)
            if membership is None:
                raise ApiError("the artifact is not linked into this collection")
            await artifacts.remove_membership(conn, membership)
        return UnlinkArtifactPayload(success=True, artifact_id=input.artifact_id)
