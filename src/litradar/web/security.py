"""What keeps the page safe: who may open it, and that a form came from it.

- Bound to a loopback address (the default), the page answers only requests whose Host
  header names loopback, so a web page elsewhere cannot reach it through DNS rebinding.
- Bound to any other address, it needs `$LITRADAR_WEB_TOKEN`: a browser signs in once
  (POST /login; the cookie holds an HMAC of the token, never the token), a script sends
  `Authorization: Bearer <token>`. The token never travels in a URL, so no access log or
  browser history holds it. A token set on loopback is required there too.
- Every form carries a CSRF token: an HMAC, under a secret made when the process starts,
  of a random value in a SameSite=Strict cookie. A POST whose token does not match, or
  that a browser says came from another site, is refused before anything is stored.
- Every answer forbids scripts, framing and remote resources (Content-Security-Policy):
  paper text is escaped by the templates, and even a slip could not run or fetch.
"""

from __future__ import annotations

import hashlib
import hmac
import ipaddress
import secrets
from collections.abc import Mapping
from urllib.parse import urlsplit

from litradar.config import WEB_TOKEN_ENV
from litradar.core.errors import LitradarError

TOKEN_ENV = WEB_TOKEN_ENV
MIN_TOKEN_LENGTH = 16
CSRF_COOKIE = "litradar_csrf"
SESSION_COOKIE = "litradar_session"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
        "frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Not "no-referrer": a browser then sends `Origin: null` with the page's own forms.
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_binding(host: str, token: str | None) -> None:
    """Refuse to serve beyond this machine without a token, or with a guessable one."""
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        raise LitradarError(f"${TOKEN_ENV} is shorter than {MIN_TOKEN_LENGTH} characters")
    if not is_loopback(host) and token is None:
        raise LitradarError(
            f"--host {host} serves the page beyond this machine: set ${TOKEN_ENV} "
            f"(at least {MIN_TOKEN_LENGTH} random characters) first, or keep 127.0.0.1"
        )


def host_name(header: str) -> str:
    """The name in a Host header, without its port ('[::1]:8765' -> '::1')."""
    parsed = urlsplit(f"//{header}")
    return (parsed.hostname or "").lower()


class Guard:
    """The per-process secret, the token check and the CSRF tokens."""

    def __init__(self, token: str | None, loopback_only: bool) -> None:
        self._secret = secrets.token_bytes(32)
        self.token = token
        self.loopback_only = loopback_only
        self._session = self._sign("session", token) if token else None

    def _sign(self, purpose: str, value: str) -> str:
        message = f"{purpose}:{value}".encode()
        return hmac.new(self._secret, message, hashlib.sha256).hexdigest()

    # who may open the page --------------------------------------------------------------

    def host_allowed(self, header: str | None) -> bool:
        return not self.loopback_only or host_name(header or "") in LOOPBACK_NAMES

    @property
    def needs_sign_in(self) -> bool:
        return self.token is not None

    def token_matches(self, sent: str) -> bool:
        return self.token is not None and hmac.compare_digest(
            sent.encode("utf-8"), self.token.encode("utf-8")
        )

    def session_value(self) -> str:
        assert self._session is not None
        return self._session

    def signed_in(self, cookie: str | None, authorization: str | None) -> bool:
        if self._session is None:
            return True
        if cookie and _same(cookie, self._session):
            return True
        scheme, _, sent = (authorization or "").partition(" ")
        return scheme.lower() == "bearer" and self.token_matches(sent.strip())

    # forms ------------------------------------------------------------------------------

    @staticmethod
    def new_nonce() -> str:
        return secrets.token_urlsafe(24)

    def csrf_token(self, nonce: str) -> str:
        return self._sign("csrf", nonce)

    def csrf_ok(self, nonce: str | None, sent: str | None) -> bool:
        if not nonce or not sent:
            return False
        return _same(self.csrf_token(nonce), sent)


def _same(sent: str, expected: str) -> bool:
    """A constant-time comparison that any sent text can take: `hmac.compare_digest` raises
    on a str holding non-ASCII characters (a 500), so both are compared as UTF-8 bytes."""
    return hmac.compare_digest(sent.encode("utf-8", "surrogatepass"), expected.encode("utf-8"))


def cross_site(headers: Mapping[str, str], host: str | None) -> bool:
    """True when the browser says a request came from another site: Sec-Fetch-Site, or
    an Origin whose host is not the one asked (a script-less client sends neither)."""
    site = headers.get("sec-fetch-site")
    if site is not None and site not in ("same-origin", "none"):
        return True
    origin = headers.get("origin")
    if origin and origin != "null":
        return urlsplit(origin).netloc.lower() != (host or "").lower()
    return origin == "null"
