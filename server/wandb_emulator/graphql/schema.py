"""Assembles the domain query/mutation types into one Strawberry schema."""

from __future__ import annotations

import strawberry
from strawberry.extensions import (
    MaxAliasesLimiter,
    MaxTokensLimiter,
    ParserCache,
    QueryDepthLimiter,
    ValidationCache,
)
from strawberry.schema.config import StrawberryConfig
from strawberry.tools import merge_types

from ..config import Config
from .artifacts import types as artifact_types
from .artifacts.mutations.edit import ArtifactEditMutations
from .artifacts.mutations.link import ArtifactLinkMutations
from .artifacts.mutations.save import ArtifactSaveMutations
from .artifacts.queries import ArtifactQueries
from .automations.mutations import AutomationMutations
from .orgs.mutations import TeamMutations
from .orgs.queries import OrgQueries
from .registries.mutations import ProjectMutations
from .registries.queries import ProjectQueries
from .runs.mutations import RunMutations
from .scalars import SCALAR_MAP
from .server_info.queries import ServerInfoQueries
from .users.mutations import UserMutations
from .users.queries import UserQueries

Query = merge_types(
    "Query", (UserQueries, OrgQueries, ProjectQueries, ArtifactQueries, ServerInfoQueries)
)
Mutation = merge_types(
    "Mutation",
    (
        UserMutations,
        TeamMutations,
        ProjectMutations,
        RunMutations,
        ArtifactSaveMutations,
        ArtifactLinkMutations,
        ArtifactEditMutations,
        AutomationMutations,
    ),
)


class _Schema(strawberry.Schema):
    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are logged by the HTTP layer, which knows client errors from bugs."""


def build_schema(config: Config | None = None) -> strawberry.Schema:
    config = config or Config()
    return _Schema(
        query=Query,
        mutation=Mutation,
        types=[artifact_types.ArtifactPortfolio, artifact_types.ArtifactSequence],
        config=StrawberryConfig(auto_camel_case=True, scalar_map=SCALAR_MAP),
        extensions=[
            lambda: ParserCache(maxsize=512),
            lambda: ValidationCache(maxsize=512),
            lambda: QueryDepthLimiter(max_depth=config.max_query_depth),
            lambda: MaxTokensLimiter(max_token_count=config.max_query_tokens),
            lambda: MaxAliasesLimiter(max_alias_count=config.max_query_aliases),
        ],
    )
