"""What every UI request shares: the session and signed-in user, template rendering,
CSRF-checked form reading, and the 404/403 pages."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl, urlencode

from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response

from ..domain.reads import accounts
from ..domain.reads.session import ReadSession
from ..records import UserRec
from . import links
from .contents import NotFound
from .session import COOKIE, SESSION_TTL_SECONDS, Session, dump_session, load_session
from .state import UiState

if TYPE_CHECKING:
    from ..app import Emulator

MAX_FORM_BYTES = 1024 * 1024
# Everything comes from the emulator itself; no inline script, no framing (the panel's
# buttons reset state), forms post only here.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:;"
    " frame-ancestors 'none'; form-action 'self'; base-uri 'none'"
)


class Forbidden(Exception):
    """A state-changing form without a valid CSRF token, or a refused action."""


class View:
    """One UI request: its session, the signed-in user (if any) and how to answer."""

    def __init__(self, request: Request, session: Session, fresh: bool) -> None:
        self.request = request
        self.ui: UiState = request.app.state.ui
        self.emulator: Emulator = request.app.state.emulator
        self.session = session
        self._set_cookie = fresh
        self.viewer: UserRec | None = None
        self._reads: ReadSession | None = None

    @classmethod
    async def open(cls, request: Request) -> View:
        ui: UiState = request.app.state.ui
        found = load_session(ui.signer, request.cookies.get(COOKIE))
        view = cls(request, found or Session.new(), fresh=found is None)
        view.viewer = await view._viewer()
        return view

    async def _viewer(self) -> UserRec | None:
        db = self.emulator.db
        if self.session.user_id is not None:
            return await accounts.user_by_id(db, self.session.user_id)
        if self.ui.auto_sign_in and not self.session.signed_out:
            key = self.emulator.default_user_key()
            return None if key is None else await accounts.user_by_api_key(db, key)
        return None

    @property
    def user(self) -> UserRec:
        """The signed-in user, on pages that require one (`page(..., signed_in=True)`)."""
        if self.viewer is None:
            raise Forbidden("sign in to see this page")
        return self.viewer

    @property
    def reads(self) -> ReadSession:
        """The page's reads, for the signed-in user (one session per page)."""
        if self._reads is None or self._reads.viewer is not self.user:
            self._reads = ReadSession(
                self.emulator.db, self.user, self.emulator.config.max_page_size
            )
        return self._reads

    def replace_session(self, session: Session) -> None:
        self.session = session
        self._set_cookie = True

    # ------------------------------------------------------------ answers

    def render(self, template: str, status: int = 200, **values: Any) -> Response:
        html = self.ui.templates.get(template).render(
            viewer=self.viewer,
            csrf=self.session.csrf,
            panel=self.ui.panel,
            path=self.request.url.path,
            **values,
        )
        return self.finish(HTMLResponse(html, status_code=status))

    def redirect(self, url: str) -> Response:
        return self.finish(RedirectResponse(url, status_code=303))

    def finish(self, response: Response) -> Response:
        """The response with the UI's security headers (and the session cookie if new)."""
        response.headers["cache-control"] = "no-store"
        response.headers["x-content-type-options"] = "nosniff"
        response.headers["referrer-policy"] = "same-origin"
        response.headers["content-security-policy"] = CONTENT_SECURITY_POLICY
        if self._set_cookie:
            response.set_cookie(
                COOKIE,
                dump_session(self.ui.signer, self.session),
                max_age=SESSION_TTL_SECONDS,
                path="/",
                httponly=True,
                samesite="lax",
                secure=self.ui.secure_cookie,
            )
        return response

    # ------------------------------------------------------------- forms

    async def form(self) -> dict[str, str]:
        """The posted urlencoded form, refused (Forbidden) without this session's CSRF token."""
        body = bytearray()
        async for chunk in self.request.stream():
            body.extend(chunk)
            if len(body) > MAX_FORM_BYTES:
                raise Forbidden(f"the form exceeds {MAX_FORM_BYTES} bytes")
        try:
            fields = dict(parse_qsl(body.decode("utf-8"), keep_blank_values=True))
        except UnicodeDecodeError as exc:
            raise Forbidden("the form is not UTF-8") from exc
        if not self.session.accepts(fields.get("csrf")):
            raise Forbidden("the form's CSRF token is missing or stale; reload the page")
        return fields

    def login_url(self) -> str:
        target = self.request.url.path + (
            f"?{self.request.url.query}" if self.request.url.query else ""
        )
        return f"{links.LOGIN}?{urlencode({'next': target})}"


Handler = Callable[[View], Awaitable[Response]]


def page(handler: Handler, *, signed_in: bool = True) -> Callable[[Request], Awaitable[Response]]:
    """A Starlette endpoint around a page handler: session, sign-in, 403 and 404 pages."""

    async def endpoint(request: Request) -> Response:
        view = await View.open(request)
        if signed_in and view.viewer is None:
            return view.redirect(view.login_url())
        try:
            return await handler(view)
        except NotFound as exc:
            return view.render("message.html", status=404, title="Not found", message=str(exc))
        except Forbidden as exc:
            return view.render("message.html", status=403, title="Refused", message=str(exc))

    endpoint.__name__ = handler.__name__
    return endpoint
