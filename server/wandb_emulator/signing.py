"""Signed, expiring tokens for upload and download URLs.

Download URLs are fetched without W&B auth (as with the real service's signed cloud
storage URLs), so each carries an HMAC over its purpose and an expiry.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any

SECRET_BYTES = 32


class InvalidToken(ValueError):
    pass


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def data_dir_secret(data_dir: Path) -> bytes:
    """The data directory's secret (`signing.key`), so signed URLs stay valid across
    restarts and verify in every process serving the directory. Created atomically: a
    complete file is linked into place, so processes starting together (`--workers`)
    all read the one that got there first."""
    path = data_dir / "signing.key"
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        fd, draft = tempfile.mkstemp(prefix=".signing-", dir=data_dir)
        try:
            os.write(fd, os.urandom(SECRET_BYTES))
            os.close(fd)
            os.link(draft, path)  # fails if another process linked its key first
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    return path.read_bytes()


class Signer:
    def __init__(self, secret: bytes, ttl_seconds: int) -> None:
        self._secret = secret
        self.ttl_seconds = ttl_seconds

    def sign(self, payload: dict[str, Any]) -> str:
        body = _b64(
            json.dumps(
                {**payload, "exp": int(time.time()) + self.ttl_seconds}, separators=(",", ":")
            ).encode()
        )
        return f"{body}.{self._mac(body)}"

    def verify(self, token: str) -> dict[str, Any]:
        body, _, mac = token.partition(".")
        if not body or not hmac.compare_digest(mac, self._mac(body)):
            raise InvalidToken("invalid signature")
        try:
            payload = json.loads(_unb64(body))
        except ValueError as exc:
            raise InvalidToken("malformed token") from exc
        if not isinstance(payload, dict) or payload.get("exp", 0) < time.time():
            raise InvalidToken("expired token")
        return payload

    def _mac(self, body: str) -> str:
        return _b64(hmac.new(self._secret, body.encode(), hashlib.sha256).digest())
