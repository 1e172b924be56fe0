"""The one redaction of secrets (litradar.core.errors.redact): every form a secret can take in an
echoed request, raw, URL-encoded and base64 at any alignment, is masked."""

from __future__ import annotations

import base64
import json
from urllib.parse import quote

from litradar.core.errors import MASK, redact, redact_data, remember_secret

SECRET = "s2-k3y/with+odd=chars-0123456789"


def test_a_secret_is_masked_raw_and_url_encoded():
    text = f"echo: x-api-key: {SECRET}; url: ?key={quote(SECRET, safe='')}"
    cleaned = redact(text, [SECRET])
    assert SECRET not in cleaned and quote(SECRET, safe="") not in cleaned
    assert cleaned.count(MASK) == 2


def test_a_secret_is_masked_where_markdown_escaping_put_backslashes_into_it():
    from litradar.curation.awesome_list import escape_markdown

    token = "ghp_canary_TOKEN-0123*456"
    line = escape_markdown(f"Key was Bearer {token} [x]")
    assert token not in line  # escaped: the plain form alone would miss it
    cleaned = redact(f"**{line}** and {token}", [token])
    assert cleaned == f"**Key was Bearer {MASK} \\[x\\]** and {MASK}"
    assert redact("a \\_ b with ghp\\_other", [token]) == "a \\_ b with ghp\\_other"


def test_a_secret_is_masked_inside_base64_at_every_alignment():
    for prefix in ("", "x", "xy", "x-access-token:"):
        for encode in (base64.b64encode, base64.urlsafe_b64encode):
            encoded = encode(f"{prefix}{SECRET}".encode()).decode()
            cleaned = redact(f"Authorization: Basic {encoded}", [SECRET])
            assert MASK in cleaned, (prefix, encode)
            # at most two bytes at each end of the secret can stay visible
            leftover = cleaned.split("Basic ")[1].replace(MASK, "")
            assert len(leftover) <= len(encode(prefix.encode()).decode()) + 8


def test_remembered_secrets_are_masked_everywhere_and_short_values_are_not_secrets():
    remember_secret("remembered-secret-value")
    remember_secret("abc")  # too short to be a key: masking it would garble ordinary text
    assert redact("it said remembered-secret-value") == f"it said {MASK}"
    assert redact("abc def") == "abc def"
    detail = {"error": ["remembered-secret-value"], "n": 3}
    assert json.dumps(redact_data(detail)) == json.dumps({"error": [MASK], "n": 3})


def test_log_lines_are_redacted_once_a_secret_is_known(caplog):
    import logging

    remember_secret("logged-secret-value-42")
    with caplog.at_level(logging.WARNING, logger="litradar.test"):
        logging.getLogger("litradar.test").warning("s2 failed: %s", "key=logged-secret-value-42")
    assert caplog.records[-1].getMessage() == f"s2 failed: key={MASK}"
    assert "logged-secret-value-42" not in caplog.text


def test_a_secret_echoed_in_another_case_is_masked():
    """A proxy's error page dumped the request's headers lower-cased: the S2 key got
    through into stderr and the store's runs."""
    secret = "s2KeyTEST_abc-123"
    text = f"x-api-key: {secret.lower()}; X-API-KEY: {secret.upper()}; q={quote(secret.upper())}"
    cleaned = redact(text, [secret])
    assert secret.lower() not in cleaned.lower()
    assert cleaned == f"x-api-key: {MASK}; X-API-KEY: {MASK}; q={MASK}"


def test_a_word_like_secret_is_masked_only_as_written():
    """In any case only where it looks like a token: a password "Probing" must not mask
    the word in every paper title."""
    assert redact("Probing CLIP: PROBING the probing heads", ["probing"]) == (
        f"Probing CLIP: PROBING the {MASK} heads"
    )
