"""The fast path: the schema built with pieces that lean on internals of Strawberry and
graphql-core (see `schema.FAST_PATH_TESTED` for the releases they were tested with).

Imported only when `Config.fast_execution` is on and the installed releases are in that
range; otherwise `schema.build_schema` builds the stock Strawberry schema. Both answer
the same (tests/test_differential.py runs the SDKs' documents on both).

- `document_cache.py`: parsed and validated documents cached by query text;
- `execution.py`: an executor that shares collected fields and plans across requests
  and completes direct fields inline;
- `resolvers.py`: resolvers graphql-core calls directly, with `arguments.py`'s
  argument conversion planned once.
"""

from typing import Any, TypeVar

import strawberry
from strawberry.schema.config import StrawberryConfig
from strawberry.schema.name_converter import NameConverter

from ...config import Config
from .document_cache import DocumentCache, cached_documents
from .execution import ExecutionPlans, executor_class
from .resolvers import install_direct_resolvers

S = TypeVar("S", bound=strawberry.Schema)


def fast_schema(
    schema_class: type[S], config: Config, scalar_map: dict[object, Any], **types: Any
) -> S:
    """`schema_class(**types)` on the fast path."""
    documents = DocumentCache(config)
    schema = schema_class(
        **types,
        config=StrawberryConfig(name_converter=MemoizedNames(), scalar_map=scalar_map),
        extensions=[cached_documents(documents)],
        execution_context_class=executor_class(ExecutionPlans()),
    )
    install_direct_resolvers(schema)
    documents.schema = schema
    schema.documents = documents  # type: ignore[attr-defined]
    return schema


class MemoizedNames(NameConverter):
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
