"""Absolute, signed URLs handed to clients for uploads and downloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from .signing import Signer

UPLOAD_PATH = "/storage/upload/"
BLOB_PATH = "/storage/blob/"


class Urls:
    def __init__(self, base_url: str, signer: Signer) -> None:
        self.base_url = base_url.rstrip("/")
        self.signer = signer

    def upload(self, **target: Any) -> str:
        """Where to PUT bytes for `target` (an artifact file, a manifest, a run file, ...)."""
        return f"{self.base_url}{UPLOAD_PATH}{self.signer.sign(target)}"

    def blob(self, key: str, filename: str) -> str:
        """A download URL that needs no W&B credentials, valid until the token expires."""
        token = self.signer.sign({"k": key})
        return f"{self.base_url}{BLOB_PATH}{token}/{quote(filename)}"
