"""The weekly digest as an email: multipart plain text and HTML, sent once per digest.

The plain part is the digest's markdown as written. The HTML part is that markdown
rendered by markdown-it-py with raw HTML disabled, so anything a paper's text smuggled in
comes out as text; styles are inline (mail clients drop external CSS) and links are kept.

Sending is recorded in the store before and after the SMTP exchange. A send that failed is
retried by the next run; one that was interrupted mid-way (the store says "sending") is
not repeated without `--resend`, because the message may already have arrived.
"""

from __future__ import annotations

import hashlib
import json
import os
import smtplib
import ssl
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate

from markdown_it import MarkdownIt

from litradar.config import Config, EmailConfig
from litradar.digest import choose_digest, read_digest
from litradar.errors import LitradarError
from litradar.store import Store

CHANNEL = "email"
_BODY_STYLE = (
    "font-family: -apple-system, Segoe UI, Helvetica, Arial, sans-serif; font-size: 14px; "
    "line-height: 1.45; color: #1f2328; max-width: 860px;"
)


class SendError(LitradarError):
    """The digest could not be sent; it stays on disk and the next run tries again."""


@dataclass
class SendReport:
    name: str
    status: str  # "sent", "already sent", "failed"
    recipients: list[str]
    message_id: str | None = None
    error: str | None = None


def render_html(markdown: str, title: str) -> str:
    body = MarkdownIt("commonmark", {"html": False, "linkify": False}).enable("table")
    rendered = body.render(markdown)
    escaped_title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{escaped_title}</title></head>\n"
        f'<body style="{_BODY_STYLE}">\n{rendered}</body></html>\n'
    )


def build_message(config: EmailConfig, name: str, markdown: str, proposed: int) -> EmailMessage:
    subject = f"{config.subject_prefix} digest {name}: {proposed} proposed".strip()
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = config.sender
    message["To"] = ", ".join(config.recipients)
    message["Date"] = formatdate(localtime=False)
    # The same digest always gets the same id, so a client can tell a resend for what it is.
    digest_sha = hashlib.sha256(markdown.encode("utf-8")).hexdigest()[:16]
    message["Message-ID"] = f"<litradar.{name}.{digest_sha}@{config.sender.split('@')[-1]}>"
    message.set_content(markdown, subtype="plain", charset="utf-8")
    message.add_alternative(render_html(markdown, subject), subtype="html", charset="utf-8")
    return message


def _deliver(config: EmailConfig, message: EmailMessage, password: str | None) -> None:
    context = ssl.create_default_context(cafile=str(config.ca_file) if config.ca_file else None)
    if config.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout_seconds, context=context
        )
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
    with client:
        if config.security == "starttls":
            client.starttls(context=context)
        if config.username:
            if password is None:
                raise SendError(f"${config.password_env} is not set (the SMTP password)")
            client.login(config.username, password)
        client.send_message(message, from_addr=config.sender, to_addrs=config.recipients)


def send_digest(config: Config, name: str | None = None, resend: bool = False) -> SendReport:
    email = config.email
    if not email.recipients:
        raise LitradarError("no recipients: set [email] recipients in litradar.toml")
    name = choose_digest(config.digests_dir, name)
    markdown, document = read_digest(config.digests_dir, name)
    proposed = json.loads(document)["proposed"] if document is not None else 0
    message = build_message(email, name, markdown, proposed)
    with Store.open(config.store_path) as store:
        previous = store.delivery(CHANNEL, name)
        if previous and not resend:
            if previous["status"] == "sent":
                return SendReport(
                    name, "already sent", email.recipients, previous["detail"].get("message_id")
                )
            if previous["status"] == "sending":
                raise SendError(
                    f"the last send of {name} was interrupted and may have arrived; check the "
                    "inbox, then run 'litradar send --resend' to send it again"
                )
        detail = {"message_id": message["Message-ID"], "recipients": email.recipients}
        store.set_delivery(CHANNEL, name, "sending", detail)
        try:
            _deliver(email, message, os.environ.get(email.password_env))
        except (smtplib.SMTPException, OSError, SendError) as exc:
            reason = _one_line(exc)
            store.set_delivery(CHANNEL, name, "failed", detail | {"error": reason})
            return SendReport(name, "failed", email.recipients, None, reason)
        store.set_delivery(CHANNEL, name, "sent", detail)
    return SendReport(name, "sent", email.recipients, message["Message-ID"])


def _one_line(exc: BaseException) -> str:
    """smtplib errors carry the server's bytes; the password never appears in them."""
    if isinstance(exc, smtplib.SMTPResponseException):
        text = (
            exc.smtp_error.decode("utf-8", "replace")
            if isinstance(exc.smtp_error, bytes)
            else str(exc.smtp_error)
        )
        return f"SMTP {exc.smtp_code}: {' '.join(text.split())}"
    return f"{type(exc).__name__}: {' '.join(str(exc).split())}" if str(exc) else type(exc).__name__
