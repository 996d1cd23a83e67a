"""The fast path: the schema built with pieces that lean on internals of Strawberry and
graphql-core (see `schema.FAST_PATH_TESTED` for the releases they were tested with).

Imported only when `Config.fast_execution` is on and the installed releases are in that
range; otherwise `schema.build_schema` builds the stock Strawberry schema. Both answer
the same (tests/test_differential.py runs the SDKs' documents on both).

- `document_cache.py`: parsed and validated documents cached by query text;
- `execution.py`: an executor that shares collected fields and plans across requests
  and completes direct fields inline;
- `resolvers.py`: resolvers graphql-core calls directly.

Each piece was measured with `bench/ops.py` (and CPU time per request in process) with it
against without it; two former pieces showed no gain there and were deleted: argument
conversion planned once per argument type, and a name converter that memoized names.
"""

from typing import Any, TypeVar

import strawberry
from strawberry.schema.config import StrawberryConfig

from ...config import Config
from .document_cache import DocumentCache, cached_documents
from .execution import ExecutionPlans, executor_class
from .resolvers import install_direct_resolvers

S = TypeVar("S", bound=strawberry.Schema)


def fast_schema(
    schema_class: type[S], config: Config, scalar_map: dict[object, Any], **types: Any
) -> S:
    """`schema_class(**types)` on the fast path; `schema.documents` is its document cache."""
    documents = DocumentCache(config)
    schema = schema_class(
        **types,
        config=StrawberryConfig(scalar_map=scalar_map),
        extensions=[cached_documents(documents)],
        execution_context_class=executor_class(ExecutionPlans()),
    )
    install_direct_resolvers(schema)
    documents.schema = schema
    schema.documents = documents  # type: ignore[attr-defined]
    return schema
