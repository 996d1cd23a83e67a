"""The browser session of the web UI: a signed, HttpOnly, SameSite=Lax cookie.

The cookie holds the signed-in user's id and a CSRF nonce; every form that changes
state carries the nonce and is refused without it. Visitors who have not signed in get
a session too (holding only the nonce), so the sign-in form itself is protected. On a
loopback server the default seeded user is signed in automatically until the visitor
signs out.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from ipaddress import ip_address

from ..signing import InvalidToken, Signer

COOKIE = "wandb_emulator_session"
SESSION_TTL_SECONDS = 7 * 24 * 3600


@dataclass(frozen=True)
class Session:
    csrf: str
    user_id: int | None = None
    signed_out: bool = False  # an explicit sign-out stops the loopback auto sign-in

    @classmethod
    def new(cls) -> Session:
        return cls(csrf=secrets.token_urlsafe(24))

    def signed_in(self, user_id: int) -> Session:
        """A new session for `user_id` (with a new nonce, so old forms stop working)."""
        return Session(csrf=secrets.token_urlsafe(24), user_id=user_id)

    def signed_out_copy(self) -> Session:
        return replace(Session.new(), signed_out=True)

    def accepts(self, token: str | None) -> bool:
        return bool(token) and hmac.compare_digest(token or "", self.csrf)


def session_signer(secret: bytes) -> Signer:
    """A signer with its own key, so session cookies and URL tokens never stand in for
    each other."""
    key = hmac.new(secret, b"wandb-emulator-ui-session", hashlib.sha256).digest()
    return Signer(key, SESSION_TTL_SECONDS)


def load_session(signer: Signer, cookie: str | None) -> Session | None:
    if not cookie:
        return None
    try:
        payload = signer.verify(cookie)
    except InvalidToken:
        return None
    csrf, user_id = payload.get("c"), payload.get("u")
    if not isinstance(csrf, str) or not (user_id is None or isinstance(user_id, int)):
        return None
    return Session(csrf=csrf, user_id=user_id, signed_out=bool(payload.get("o")))


def dump_session(signer: Signer, session: Session) -> str:
    return signer.sign({"c": session.csrf, "u": session.user_id, "o": session.signed_out})


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ip_address(host).is_loopback
    except ValueError:
        return False
