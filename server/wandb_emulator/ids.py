"""Global object IDs as the W&B server encodes them: base64 of "Type:N"."""

from __future__ import annotations

import base64
import binascii
import functools

MAX_PK = 2**63 - 1  # SQLite's INTEGER PRIMARY KEY range


class InvalidId(ValueError):
    pass


@functools.lru_cache(maxsize=65536)  # an answer encodes the ids of all its objects
def encode_id(type_name: str, pk: int) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode("ascii")


def decode_any(global_id: str) -> tuple[str, int]:
    """Split a global ID into (type name, primary key); raise InvalidId if malformed."""
    try:
        raw = base64.b64decode(global_id.encode("ascii"), validate=True).decode("ascii")
    except (binascii.Error, UnicodeError, ValueError) as exc:
        raise InvalidId(f"invalid id: {global_id!r}") from exc
    type_name, sep, pk = raw.partition(":")
    if not sep or not (pk.isascii() and pk.isdigit()) or int(pk) > MAX_PK:
        raise InvalidId(f"invalid id: {global_id!r}")
    return type_name, int(pk)


def decode_id(global_id: str, *expected_types: str) -> int:
    """Decode a global ID of one of the expected types; raise InvalidId otherwise."""
    type_name, pk = decode_any(global_id)
    if expected_types and type_name not in expected_types:
        raise InvalidId(f"invalid id: {global_id!r}")
    return pk
