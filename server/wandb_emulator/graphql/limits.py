"""The document limits (depth, aliases) as validation rules, the same on both paths and
built once per schema, so that a validation cache's key (which holds the rules) stays
the same from request to request. The token and fragment limits apply before parsing
(`outline.py`)."""

from collections.abc import Iterator

from graphql import (
    ASTValidationRule,
    DocumentNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    SelectionSetNode,
    ValidationContext,
    ValidationRule,
)
from strawberry.extensions import MaxAliasesLimiter, QueryDepthLimiter

from ..config import Config


def limit_rules(config: Config) -> tuple[type[ASTValidationRule], ...]:
    (depth,) = QueryDepthLimiter(max_depth=config.max_query_depth).validation_rules
    aliases = MaxAliasesLimiter(max_alias_count=config.max_query_aliases).validation_rules
    return (_with_known_fragments(depth), *aliases)


def _with_known_fragments(rule: type[ASTValidationRule]) -> type[ASTValidationRule]:
    """`rule` on documents whose fragment spreads all name a defined fragment. Strawberry's
    depth rule raises KeyError on any other (an internal server error); graphql-core's
    KnownFragmentNamesRule reports those as `Unknown fragment "F".`"""

    class DepthLimit(ValidationRule):
        def __init__(self, context: ValidationContext) -> None:
            super().__init__(context)
            if _spreads_are_known(context.document):
                rule(context)  # it validates the whole document when it is made

    return DepthLimit


def _spreads_are_known(document: DocumentNode) -> bool:
    defined = {
        definition.name.value
        for definition in document.definitions
        if isinstance(definition, FragmentDefinitionNode)
    }
    return all(
        spread in defined
        for definition in document.definitions
        for spread in _spreads(getattr(definition, "selection_set", None))
    )


def _spreads(selection_set: SelectionSetNode | None) -> Iterator[str]:
    for selection in selection_set.selections if selection_set else ():
        if isinstance(selection, FragmentSpreadNode):
            yield selection.name.value
        yield from _spreads(getattr(selection, "selection_set", None))
