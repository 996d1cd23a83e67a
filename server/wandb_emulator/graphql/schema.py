"""Assembles the domain query/mutation types into one Strawberry schema."""

from collections.abc import Callable, Iterator
from functools import lru_cache

import strawberry
from graphql import DocumentNode, GraphQLError, parse, specified_rules
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter, SchemaExtension
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter
from strawberry.schema.schema import validate_document
from strawberry.tools import merge_types

from ..config import Config
from . import documents
from .artifacts import types as artifact_types
from .artifacts.mutations.edit import ArtifactEditMutations
from .artifacts.mutations.link import ArtifactLinkMutations
from .artifacts.mutations.save import ArtifactSaveMutations
from .artifacts.queries import ArtifactQueries
from .automations.mutations import AutomationMutations
from .execution import ExecutionPlans, executor_class
from .fields import direct_resolvers
from .orgs.charts import CustomChartMutations
from .orgs.mutations import TeamMutations
from .orgs.queries import OrgQueries
from .registries.mutations import ProjectMutations
from .registries.queries import ProjectQueries
from .runs.changes import RunChangeMutations
from .runs.mutations import RunMutations
from .scalars import SCALAR_MAP
from .server_info.queries import ServerInfoQueries
from .sweeps.mutations import SweepMutations
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
        RunChangeMutations,
        ArtifactSaveMutations,
        ArtifactLinkMutations,
        ArtifactEditMutations,
        AutomationMutations,
        SweepMutations,
        CustomChartMutations,
    ),
)


DOCUMENT_CACHE_SIZE = 512


class DocumentCache:
    """Parsed and validated documents of one schema, keyed by query text.

    The depth and alias limits are validation rules built once here, so every request
    validates with the same rules and a known document is parsed and validated once.
    Both caches are keyed by the query text: a string keeps its hash, while a parsed
    document (frozen dataclasses) hashes its whole tree on every lookup.
    """

    def __init__(self, config: Config) -> None:
        limits = [
            QueryDepthLimiter(max_depth=config.max_query_depth),
            MaxAliasesLimiter(max_alias_count=config.max_query_aliases),
        ]
        self.rules = (*specified_rules, *(rule for ext in limits for rule in ext.validation_rules))
        self.max_tokens = config.max_query_tokens
        self.max_fragments = config.max_query_fragments
        self.schema: _Schema | None = None
        self.outline: Callable[[str], documents.DocumentOutline] = lru_cache(DOCUMENT_CACHE_SIZE)(
            self._outline
        )
        self.parse: Callable[[str], DocumentNode] = lru_cache(DOCUMENT_CACHE_SIZE)(self._parse)
        self.validate: Callable[[str], list[GraphQLError]] = lru_cache(DOCUMENT_CACHE_SIZE)(
            self._validate
        )

    def _outline(self, query: str) -> documents.DocumentOutline:
        """Operation names, with the token and fragment limits (DocumentRefused)."""
        return documents.outline(query, self.max_tokens, self.max_fragments)

    def _parse(self, query: str) -> DocumentNode:
        return parse(query, max_tokens=self.max_tokens)

    def _validate(self, query: str) -> list[GraphQLError]:
        assert self.schema is not None
        return validate_document(self.schema._schema, self.parse(query), self.rules)


class _CachedDocuments(SchemaExtension):
    def __init__(self, cache: DocumentCache) -> None:
        self.cache = cache

    def on_parse(self) -> Iterator[None]:
        context = self.execution_context
        context.graphql_document = self.cache.parse(context.query or "")
        yield

    def on_validate(self) -> Iterator[None]:
        context = self.execution_context
        context.pre_execution_errors = list(self.cache.validate(context.query or ""))
        yield


class _MemoizedNames(NameConverter):
    """Strawberry's names (snake_case to camelCase), each converted once: it converts
    every argument's name on every request that passes it."""

    def __init__(self) -> None:
        super().__init__(auto_camel_case=True)
        self._names: dict[str, str] = {}

    def apply_naming_config(self, name: str) -> str:
        converted = self._names.get(name)
        if converted is None:
            converted = self._names[name] = super().apply_naming_config(name)
        return converted


class _Schema(strawberry.Schema):
    documents: DocumentCache

    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are logged by the HTTP layer, which knows client errors from bugs."""


def build_schema(config: Config | None = None, *, inline: bool = True) -> _Schema:
    """The schema; `schema.documents` is its parse/validation cache. `inline=False` runs
    graphql-core's own executor (what the inline executor is compared with)."""
    documents = DocumentCache(config or Config())
    schema = _Schema(
        query=Query,
        mutation=Mutation,
        types=[artifact_types.ArtifactPortfolio, artifact_types.ArtifactSequence],
        config=StrawberryConfig(name_converter=_MemoizedNames(), scalar_map=SCALAR_MAP),
        extensions=[lambda: _CachedDocuments(documents)],
        execution_context_class=executor_class(ExecutionPlans()) if inline else None,
    )
    direct_resolvers(schema)
    documents.schema = schema
    schema.documents = documents
    return schema
