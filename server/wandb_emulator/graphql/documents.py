"""What the HTTP layer needs to know about a GraphQL document before executing it."""

from dataclasses import dataclass

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


class DocumentRefused(ValueError):
    """A document refused before parsing (too many tokens or fragments)."""


@dataclass(frozen=True)
class DocumentOutline:
    """What a lexer pass tells about a document: its operations' names (None when
    anonymous) and how many fragments it defines."""

    operations: tuple[str | None, ...]
    fragments: int

    @property
    def first_operation(self) -> str | None:
        return self.operations[0] if self.operations else None


def outline(document: str, max_tokens: int, max_fragments: int) -> DocumentOutline:
    """Read the document's top level with the lexer (no parse), within the limits.

    The token limit is enforced here, before anything parses or walks the document;
    a token is at least one character, so short documents are not counted at all.
    wandb-core forwards the SDK's Python documents with an empty `operationName`, so
    the name has to come from the document itself.
    """
    lexer = Lexer(Source(document))
    counting = len(document) > max_tokens
    operations: list[str | None] = []
    fragments = tokens = depth = 0
    in_header = False  # between `query`/`mutation`/`fragment` and its selection set
    try:
        token = lexer.advance()
        while token.kind != TokenKind.EOF:
            tokens += 1
            if counting and tokens > max_tokens:
                raise DocumentRefused(f"the document has more than {max_tokens} tokens")
            if token.kind == TokenKind.BRACE_L:
                if depth == 0 and not in_header:
                    operations.append(None)  # a `{ ... }` shorthand query
                depth, in_header = depth + 1, False
            elif token.kind == TokenKind.BRACE_R:
                depth -= 1
            elif depth == 0 and token.kind == TokenKind.NAME:
                if token.value == "fragment":
                    in_header = True
                    fragments += 1
                    if fragments > max_fragments:
                        raise DocumentRefused(
                            f"the document defines more than {max_fragments} fragments"
                        )
                elif token.value in _OPERATION_KEYWORDS and not in_header:
                    in_header = True
                    following = lexer.lookahead()
                    operations.append(following.value if following.kind == TokenKind.NAME else None)
            token = lexer.advance()
    except GraphQLError:
        pass  # a syntax error: the parser reports it with its location
    return DocumentOutline(tuple(operations), fragments)


def operation_name(document: str) -> str | None:
    """The name of the document's first operation."""
    return outline(document, len(document), len(document)).first_operation


def asks_for_unknown_schema(errors: list[GraphQLError]) -> bool:
    return any(
        any(marker in error.message for marker in _UNKNOWN_SCHEMA_ELEMENT) for error in errors
    )


def not_emulated_error(operation: str | None) -> dict[str, object]:
    return {
        "message": f"not emulated: {operation or '(anonymous)'}",
        "extensions": {"code": NOT_EMULATED_CODE},
    }
