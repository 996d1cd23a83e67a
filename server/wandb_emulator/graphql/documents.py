"""What the HTTP layer needs to know about a GraphQL document before executing it."""

from __future__ import annotations

from graphql import GraphQLError
from graphql.language import Lexer, Source, TokenKind

_OPERATION_KEYWORDS = frozenset({"query", "mutation", "subscription"})

# graphql-core validation messages that mean "the schema has no such thing": the
# client asked for something the emulator does not implement (yet).
_UNKNOWN_SCHEMA_ELEMENT = (
    "Cannot query field",
    "Unknown type",
    "Unknown argument",
    "not to include unknown field",
)
NOT_EMULATED_CODE = "NOT_EMULATED"


def operation_name(document: str) -> str | None:
    """The name of the document's first operation, read with the lexer (no full parse).

    wandb-core forwards the SDK's Python documents with an empty `operationName`, so
    the name has to come from the document itself.
    """
    lexer = Lexer(Source(document))
    depth = 0
    try:
        token = lexer.advance()
        while token.kind != TokenKind.EOF:
            if token.kind == TokenKind.BRACE_L:
                depth += 1
            elif token.kind == TokenKind.BRACE_R:
                depth -= 1
            elif depth == 0 and token.kind == TokenKind.NAME and token.value in _OPERATION_KEYWORDS:
                following = lexer.advance()
                return following.value if following.kind == TokenKind.NAME else None
            token = lexer.advance()
    except GraphQLError:
        return None
    return None


def asks_for_unknown_schema(errors: list[GraphQLError]) -> bool:
    return any(
        any(marker in error.message for marker in _UNKNOWN_SCHEMA_ELEMENT) for error in errors
    )


def not_emulated_error(operation: str | None) -> dict[str, object]:
    return {
        "message": f"not emulated: {operation or '(anonymous)'}",
        "extensions": {"code": NOT_EMULATED_CODE},
    }
