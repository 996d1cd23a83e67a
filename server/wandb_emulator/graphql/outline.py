"""A GraphQL document's outline: what the HTTP layer reads from the query text with the
lexer alone, before anything parses it (its operations' names, the token and fragment
limits). Parsed and validated documents are the schema's business (`schema.py`)."""

from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache, partial

from graphql import GraphQLError
from graphql.language import Lexer, Source, TokenKind

_OPERATION_KEYWORDS = frozenset({"query", "mutation", "subscription"})


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


def outline_cache(
    max_tokens: int, max_fragments: int, size: int
) -> Callable[[str], DocumentOutline]:
    """`outline` within these limits, remembered for the last `size` query texts."""
    return lru_cache(size)(partial(outline, max_tokens=max_tokens, max_fragments=max_fragments))
