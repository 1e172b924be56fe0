"""The one exception type the command line turns into a one-line message and exit code 1,
and the one redaction every stored or printed error text goes through.

A remote service may echo what it was sent (a proxy's error page that lists the request's
headers, a misconfigured server): its message must not carry a key into stderr, the store,
a digest, an email or a pull request. Every secret litradar reads (from the environment
only) is remembered here when the config is loaded, and `redact` takes each out of a text
as it is, URL-encoded, and base64-encoded (at each of the three byte alignments it can
have inside a longer encoded value, such as `x-access-token:<token>` in a Basic header).
"""

from __future__ import annotations

import base64
import logging
import re
import string
from collections.abc import Iterable
from urllib.parse import quote, quote_plus

MASK = "***"
# Shorter values are not secrets worth the name, and masking them would garble ordinary text.
MIN_SECRET_LENGTH = 6
_known: set[str] = set()


class LitradarError(Exception):
    """A problem the user can fix (bad input, missing file, empty index); never a bug."""


def remember_secret(value: str | None) -> None:
    """Redact `value` from every error text this process stores or prints from now on,
    log lines included (litradar's and Prefect's: the record factory below)."""
    if value and len(value) >= MIN_SECRET_LENGTH:
        if not _known:
            _redact_log_records()
        _known.add(value)


def _redact_log_records() -> None:
    """Every log record made in this process from now on has its message redacted, whoever
    logs it (a flow's log of a failed source goes to Prefect's server and the terminal)."""
    make = logging.getLogRecordFactory()

    def factory(*args: object, **kwargs: object) -> logging.LogRecord:
        record = make(*args, **kwargs)
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is logging's to report, not ours
            return record
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return record

    logging.setLogRecordFactory(factory)


def _encoded_forms(secret: str) -> set[str]:
    """The secret as it can appear in a text: raw, URL-encoded, and the part of its base64
    that is the same whatever precedes it in the encoded value (for each alignment)."""
    forms = _text_forms(secret)
    raw = secret.encode("utf-8")
    for skip in range(3):  # bytes of the secret that share a 3-byte group with what precedes
        middle = raw[skip:]
        middle = middle[: len(middle) - len(middle) % 3]
        if len(middle) >= MIN_SECRET_LENGTH:
            for encode in (base64.b64encode, base64.urlsafe_b64encode):
                forms.add(encode(middle).decode("ascii"))
    return {form for form in forms if len(form) >= MIN_SECRET_LENGTH}


def _caseless_forms(secret: str) -> set[str]:
    """The forms found in any case: only of a token-like secret (12 characters or more,
    letters and digits), so that a password that is a word does not mask that word in every
    title."""
    looks_like_a_token = (
        len(secret) >= 12 and any(c.isdigit() for c in secret) and any(c.isalpha() for c in secret)
    )
    return _text_forms(secret) if looks_like_a_token else set()


def _text_forms(secret: str) -> set[str]:
    """The secret as written and URL-encoded (both ways of encoding a space)."""
    return {secret, quote(secret, safe=""), quote_plus(secret, safe="")}


def _escaped_form(form: str) -> re.Pattern[str] | None:
    """`form` with a backslash allowed before each punctuation character: the form it has
    in markdown once escaped (a GitHub token's `_` becomes `\\_`); None without any."""
    if not any(c in string.punctuation for c in form):
        return None
    return re.compile(
        "".join(("\\\\?" if c in string.punctuation else "") + re.escape(c) for c in form)
    )


def redact(text: str, secrets: Iterable[str | None] = ()) -> str:
    """`text` without `secrets` nor any secret remembered by this process (each form of each
    replaced by ***), also where markdown escaping put backslashes into it. Every error
    text that is stored or printed passes through here, and every digest."""
    values = {s for s in secrets if s and len(s) >= MIN_SECRET_LENGTH} | _known
    if not values or not text:
        return text
    forms = sorted({f for s in values for f in _encoded_forms(s)}, key=len, reverse=True)
    for form in forms:
        if form in text:
            text = text.replace(form, MASK)
    # A service or proxy that echoes the request's headers may change their case: the raw
    # and URL-encoded forms are found in any case (base64 is case-sensitive: not those).
    lowered = text.lower()
    for form in sorted({f for s in values for f in _caseless_forms(s)}, key=len, reverse=True):
        if form.lower() in lowered:
            text = re.compile(re.escape(form), re.IGNORECASE).sub(MASK, text)
    if "\\" in text:
        for form in forms:
            if (escaped := _escaped_form(form)) is not None:
                text = escaped.sub(MASK, text)
    return text


def redact_data(value: object, secrets: Iterable[str | None] = ()) -> object:
    """`redact` over every string inside a JSON-like value (a run's or a delivery's detail)."""
    secrets = tuple(secrets)
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_data(v, secrets) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [redact_data(v, secrets) for v in value]
    return value
