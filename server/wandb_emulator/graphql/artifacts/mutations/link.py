"""Linking artifact versions into portfolios (registry collections) and unlinking them."""

import strawberry

from ....domain import links
from ....domain.links import LinkRequest
from ....records import MembershipRec
from ...context import Info
from ..types import ArtifactCollectionMembership
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


async def _link(info: Info, input: LinkArtifactInput) -> MembershipRec:
    request = LinkRequest(
        artifact_id=input.artifact_id,
        client_id=input.client_id,
        portfolio_id=input.artifact_portfolio_id,
        portfolio_name=input.artifact_portfolio_name,
        entity_name=input.entity_name,
        project_name=input.project_name,
        aliases=[(a.artifact_collection_name, a.alias) for a in input.aliases or []],
    )
    async with info.context.uow.write() as tx:
        return await links.link(tx, info.context.viewer, request)


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
        async with info.context.uow.write() as tx:
            await links.unlink(
                tx, info.context.viewer, input.artifact_id, input.artifact_portfolio_id
            )
        return UnlinkArtifactPayload(success=True, artifact_id=input.artifact_id)
