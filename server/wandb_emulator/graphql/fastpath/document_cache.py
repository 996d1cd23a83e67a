"""Parsed and validated documents of one schema, cached by query text."""

from collections.abc import Callable, Iterator
from functools import lru_cache

import strawberry
from graphql import DocumentNode, GraphQLError, parse, specified_rules
from strawberry.extensions import SchemaExtension
from strawberry.schema.schema import validate_document

from ...config import Config
from ..limits import limit_rules

DOCUMENT_CACHE_SIZE = 512


class DocumentCache:
    """Parsed and validated documents of one schema, keyed by query text.

    Every request validates with the same rules (the limits' made once), and a known
    document is parsed and validated once.
    Both caches are keyed by the query text: a string keeps its hash, while a parsed
    document (frozen dataclasses) hashes its whole tree on every lookup, as Strawberry's
    own ValidationCache does.
    """

    def __init__(self, config: Config) -> None:
        self.rules = (*specified_rules, *limit_rules(config))
        self.max_tokens = config.max_query_tokens
        self.schema: strawberry.Schema | None = None
        self.parse: Callable[[str], DocumentNode] = lru_cache(DOCUMENT_CACHE_SIZE)(self._parse)
        self.validate: Callable[[str], list[GraphQLError]] = lru_cache(DOCUMENT_CACHE_SIZE)(
            self._validate
        )

    def _parse(self, query: str) -> DocumentNode:
        return parse(query, max_tokens=self.max_tokens)

    def _validate(self, query: str) -> list[GraphQLError]:
        assert self.schema is not None
        return validate_document(self.schema._schema, self.parse(query), self.rules)


def cached_documents(documents: DocumentCache) -> Callable[[], SchemaExtension]:
    """The schema extension (factory) that parses and validates through `documents`."""

    class CachedDocuments(SchemaExtension):
        def on_parse(self) -> Iterator[None]:
            context = self.execution_context
            context.graphql_document = documents.parse(context.query or "")
            yield

        def on_validate(self) -> Iterator[None]:
            context = self.execution_context
            context.pre_execution_errors = list(documents.validate(context.query or ""))
            yield

    return CachedDocuments
