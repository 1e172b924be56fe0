"""The page's checks on their own (litradar.web.security), without a server: which Host
headers are answered, which CSRF tokens and session cookies are accepted."""

from __future__ import annotations

from litradar.web.security import Guard, cross_site


def test_on_loopback_only_loopback_host_headers_are_answered():
    guard = Guard(None, loopback_only=True)
    for header in ("127.0.0.1:8765", "localhost", "[::1]:8765"):
        assert guard.host_allowed(header), header
    for header in ("evil.example", "evil.example:8765", "127.0.0.1.evil.example", "", None):
        assert not guard.host_allowed(header), header


def test_a_csrf_token_matches_only_its_own_cookie_and_any_text_is_refused_cleanly():
    guard = Guard(None, loopback_only=True)
    nonce = guard.new_nonce()
    token = guard.csrf_token(nonce)
    assert guard.csrf_ok(nonce, token)
    assert not guard.csrf_ok(guard.new_nonce(), token)  # another browser's cookie
    for sent in ("", "0" * 64, token[:-1] + "x", "jeton-\u00e9t\u00e9", None):
        assert not guard.csrf_ok(nonce, sent), sent
    assert not guard.csrf_ok(None, token)


def test_a_session_cookie_or_bearer_token_is_checked_and_non_ascii_is_refused():
    token = "web-token-abcdefghijklmnop"
    guard = Guard(token, loopback_only=False)
    assert guard.signed_in(guard.session_value(), None)
    assert guard.signed_in(None, f"Bearer {token}")
    for cookie, header in (("s\u00e9ance", None), (None, "Bearer \u00e9"), ("x", "Basic y")):
        assert not guard.signed_in(cookie, header)


def test_a_post_from_another_site_is_told_apart():
    assert cross_site({"sec-fetch-site": "cross-site"}, "127.0.0.1:8765")
    assert cross_site({"origin": "http://evil.example"}, "127.0.0.1:8765")
    assert cross_site({"origin": "null"}, "127.0.0.1:8765")
    assert not cross_site({"sec-fetch-site": "same-origin"}, "127.0.0.1:8765")
    assert not cross_site({"origin": "http://127.0.0.1:8765"}, "127.0.0.1:8765")
    assert not cross_site({}, "127.0.0.1:8765")  # a script-less client sends neither
