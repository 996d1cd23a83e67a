"""Assembles the domain query/mutation types into one Strawberry schema: on the fast
path (`fastpath/`) when `Config.fast_execution` is on and the installed Strawberry and
graphql-core are releases it was tested with, else stock Strawberry on graphql-core."""

import logging
import re
from collections.abc import Callable
from importlib.metadata import PackageNotFoundError, version

import strawberry
from strawberry.extensions import (
    AddValidationRules,
    MaxTokensLimiter,
    ParserCache,
    SchemaExtension,
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
from .limits import limit_rules
from .orgs.charts import CustomChartMutations
from .orgs.mutations import TeamMutations
from .orgs.queries import OrgQueries
from .outline import DocumentOutline, outline_cache
from .registries.mutations import ProjectMutations
from .registries.queries import ProjectQueries
from .runs.changes import RunChangeMutations
from .runs.mutations import RunMutations
from .scalars import SCALAR_MAP
from .server_info.queries import ServerInfoQueries
from .sweeps.mutations import SweepMutations
from .users.mutations import UserMutations
from .users.queries import UserQueries

log = logging.getLogger("wandb_emulator")

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
TYPES = [artifact_types.ArtifactPortfolio, artifact_types.ArtifactSequence]

DOCUMENT_CACHE_SIZE = 512

# The releases the fast path was tested with (from, up to but excluding): it uses their
# internals, which any minor release may move. Outside these ranges the server serves
# with stock Strawberry (slower, never wrong). Raise them with the lock (`make lock`)
# once the test suite passes on the new releases.
FAST_PATH_TESTED = {
    "strawberry-graphql": ("0.341.3", "0.342"),
    "graphql-core": ("3.3.2", "3.4"),
}


class EmulatorSchema(strawberry.Schema):
    """The schema, with `outline`: the outlines of query texts (operation names, the
    token and fragment limits), remembered; `fast`: whether it runs on the fast path."""

    outline: Callable[[str], DocumentOutline]
    fast: bool

    def process_errors(self, errors, execution_context=None) -> None:
        """Errors are logged by the HTTP layer, which knows client errors from bugs."""


def build_schema(
    config: Config | None = None, *, installed: Callable[[str], str] = version
) -> EmulatorSchema:
    """The schema of `config`; `installed` tells the version of an installed package."""
    config = config or Config()
    schema = _fast_schema(config, installed) if config.fast_execution else None
    if schema is None:
        schema = EmulatorSchema(
            query=Query,
            mutation=Mutation,
            types=TYPES,
            config=StrawberryConfig(scalar_map=SCALAR_MAP),
            extensions=_stock_extensions(config),
        )
        schema.fast = False
    schema.outline = outline_cache(
        config.max_query_tokens, config.max_query_fragments, DOCUMENT_CACHE_SIZE
    )
    return schema


def _fast_schema(config: Config, installed: Callable[[str], str]) -> EmulatorSchema | None:
    """The fast path's schema, or None (with a warning) where it may not run."""
    refusal = fast_path_refusal(installed)
    if refusal is None:
        try:
            from .fastpath import fast_schema

            schema = fast_schema(
                EmulatorSchema, config, SCALAR_MAP, query=Query, mutation=Mutation, types=TYPES
            )
            schema.fast = True
            return schema
        except (ImportError, AttributeError) as exc:
            refusal = f"it could not be set up ({exc!r})"
    log.warning("fast execution is off: %s; serving with stock Strawberry", refusal)
    return None


def _stock_extensions(config: Config) -> list[Callable[..., SchemaExtension]]:
    """Strawberry's own caches and token limit, and the depth and alias rules."""
    rules = list(limit_rules(config))
    return [
        _per_request(lambda: MaxTokensLimiter(max_token_count=config.max_query_tokens)),
        _per_request(lambda: AddValidationRules(rules)),
        _per_request(lambda: ParserCache(maxsize=DOCUMENT_CACHE_SIZE)),
        _per_request(lambda: ValidationCache(maxsize=DOCUMENT_CACHE_SIZE)),
    ]


def _per_request(make: Callable[[], SchemaExtension]) -> Callable[..., SchemaExtension]:
    """An extension factory (a new extension per request). Strawberry releases before
    about 0.320 call factories with `execution_context=None`; later ones with nothing."""

    def build(execution_context: object = None) -> SchemaExtension:
        return make()

    return build


def fast_path_refusal(installed: Callable[[str], str] = version) -> str | None:
    """Why the fast path may not run with the installed releases; None if it may."""
    for package, (low, high) in FAST_PATH_TESTED.items():
        try:
            found = installed(package)
        except PackageNotFoundError:
            return f"{package} is not installed as a distribution"
        if not _release(low) <= _release(found) < _release(high):
            return f"{package} {found} is outside the range it was tested with (>={low},<{high})"
    return None


def _release(text: str) -> tuple[int, ...]:
    """A final release's number as a tuple; a pre-release or anything else sorts last,
    so it is outside every range."""
    if not re.fullmatch(r"\d+(\.\d+)*", text):
        return (1 << 30,)
    return tuple(int(part) for part in text.split("."))
