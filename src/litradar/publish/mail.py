"""The weekly digest as an email: multipart plain text and HTML, sent once per digest.

The plain part is the digest's markdown as written. The HTML part is that markdown
rendered by markdown-it-py with raw HTML disabled, so anything a paper's text smuggled in
comes out as text; styles are inline (mail clients drop external CSS) and links are kept.
Each line of a proposal's details stays a line (a soft break is a <br>), and an image is
shown as its text: the list's shields.io badges are remote images, which show broken
offline and tell the sender when a message is opened, so in the email a badge is a link.

A digest that proposes nothing is mailed only with `[email] send_empty`, as one line;
`send` without --digest says when the newest digest is such a week, and which is the
newest one with proposals.

Sending is recorded in the store before and after the SMTP exchange. A send that failed is
retried by the next run; one that was interrupted mid-way (the store says "sending") is
not repeated without `--resend`, because the message may already have arrived.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import smtplib
import ssl
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from email.utils import formatdate

from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml

from litradar.config import Config, EmailConfig
from litradar.core.errors import LitradarError
from litradar.digests.generations import digest_names, load
from litradar.publish.channels import Delivery, deliver
from litradar.storage.store import Store

log = logging.getLogger("litradar.publish")

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
    status: str  # "sent", "already sent", "failed", "nothing to send"
    recipients: list[str]
    message_id: str | None = None
    error: str | None = None
    empty: bool = False  # the digest proposes nothing
    note: str | None = None  # said beside the status, e.g. where the last real digest is
    # Failed past the DATA command: not retried by any run without --resend.
    may_have_arrived: bool = False

    @classmethod
    def failed(cls, name: str, error: str) -> SendReport:
        """For a weekly run, where a send that could not start is reported, not raised."""
        return cls(name, "failed", [], error=error)

    def summary(self) -> str:
        return self.status + (f": {self.error}" if self.error else "")


def _image_as_text(renderer, tokens, idx, options, env) -> str:  # type: ignore[no-untyped-def]
    """An image becomes its alt text ("arXiv", "Star"); the link around it stays."""
    return escapeHtml(tokens[idx].content or "image")


def render_html(markdown: str, title: str) -> str:
    body = MarkdownIt("commonmark", {"html": False, "linkify": False, "breaks": True})
    body.enable("table")
    body.add_render_rule("image", _image_as_text)
    rendered = body.render(markdown)
    escaped_title = title.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return (
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8">'
        f"<title>{escaped_title}</title></head>\n"
        f'<body style="{_BODY_STYLE}">\n{rendered}</body></html>\n'
    )


def build_message(
    config: EmailConfig, name: str, markdown: str, proposed: int, subject: str | None = None
) -> EmailMessage:
    subject = subject or f"{config.subject_prefix} digest {name}: {proposed} proposed".strip()
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


@dataclass
class _Progress:
    """How far a send got: past the DATA command the message may have arrived (a server
    that timed out or was interrupted before its answer may still queue it); accepted once
    the server answered 250 to it, whatever happens at QUIT."""

    data: bool = False
    accepted: bool = False
    refused: list[str] = field(default_factory=list)  # recipients the server turned down

    def outcome(self, exc: BaseException) -> str:
        """What a send that ended in `exc` did: "sent", "may have arrived" or "failed". A
        refusal (a 4xx or 5xx answer to the message) is "failed"; a garbled reply (-1)
        may follow a message the server queued."""
        if self.accepted:
            return "sent"
        refused = isinstance(exc, smtplib.SMTPDataError) and 400 <= exc.smtp_code < 600
        return "may have arrived" if self.data and not refused else "failed"


def _deliver(
    config: EmailConfig, message: EmailMessage, password: str | None, progress: _Progress
) -> None:
    try:
        context = ssl.create_default_context(
            cafile=str(config.ca_file) if config.ca_file else None
        )
    except (OSError, ssl.SSLError) as exc:  # its text names neither the file nor the key
        why = getattr(exc, "strerror", None) or str(exc)
        raise SendError(f"[email] ca_file {config.ca_file}: {why}") from None
    if config.security == "ssl":
        client: smtplib.SMTP = smtplib.SMTP_SSL(
            config.host, config.port, timeout=config.timeout_seconds, context=context
        )
    else:
        client = smtplib.SMTP(config.host, config.port, timeout=config.timeout_seconds)
    send = client.send

    def send_seen(text):  # type: ignore[no-untyped-def]
        send(text)
        # smtplib's data() sends the message, ending in CRLF.CRLF, only after the server's
        # 354: from here on the server may queue it before it answers.
        if isinstance(text, bytes) and text.endswith(b"\r\n.\r\n"):
            progress.data = True

    client.send = send_seen  # type: ignore[method-assign]
    try:
        if config.security == "starttls":
            client.starttls(context=context)
        if config.username:
            if password is None:
                raise SendError(f"${config.password_env} is not set (the SMTP password)")
            client.login(config.username, password)
        refused = client.send_message(
            message, from_addr=config.sender, to_addrs=config.recipients
        )
        progress.accepted = True
        progress.refused = sorted(refused)
    except BaseException:
        client.close()  # no QUIT: its reply would be read in place of a pending one
        raise
    with contextlib.suppress(smtplib.SMTPException, OSError):
        client.quit()  # sent already: a failed goodbye changes nothing


def _last_day(until: object) -> str:
    """The window's last day, as the digest's own header shows it (`until` is exclusive)."""
    try:
        return (date.fromisoformat(str(until)) - timedelta(days=1)).isoformat()
    except ValueError:
        return "?"


def build_empty_message(config: EmailConfig, name: str, document: dict) -> EmailMessage:
    """'Nothing this week', one line, for `[email] send_empty`."""
    line = (
        f"Nothing this week: litradar read {document.get('papers_read', 0)} papers of digest "
        f"{name} ({document.get('since', '?')} to {_last_day(document.get('until'))}) and none "
        f"scored high enough to propose (threshold {document.get('threshold', 0):.2f}).\n"
    )
    subject = f"{config.subject_prefix} digest {name}: nothing this week".strip()
    return build_message(config, name, line, 0, subject)  # the HTML's title says the same


def _last_real_digest(config: Config, newest: str) -> str:
    """Where the newest digest with proposals stands, said when the newest proposes none."""
    written = [n for n in digest_names(config.digests_dir) if n != newest]
    written.sort(key=lambda n: (config.digests_dir / f"{n}.json").stat().st_mtime, reverse=True)
    for name in written:
        try:
            if (load(config.digests_dir, name).proposed or 0) > 0:
                break
        except LitradarError:
            continue
    else:
        return "no earlier digest proposes anything"
    with Store.open(config.store_path) as store:
        sent = store.delivery(CHANNEL, name)
    if sent and sent["status"] == "sent":
        return f"the newest digest with proposals, {name}, was sent"
    return (
        f"the newest digest with proposals is {name}, not sent yet: "
        f"litradar send --digest {name}"
    )


def send_digest(config: Config, name: str | None = None, resend: bool = False) -> SendReport:
    return deliver(EmailChannel(resend), config, name)


@dataclass
class EmailChannel:
    """The digest by email, once (see litradar.publish.channels)."""

    resend: bool = False  # send again a digest already sent, or whose send was interrupted
    name: str = CHANNEL
    title: str = "email"

    def enabled(self, config: Config) -> bool:
        return config.email.enabled

    def check(self, config: Config) -> None:
        if not config.email.recipients:
            raise LitradarError("no recipients: set [email] recipients in litradar.toml")

    def failed(self, digest: str, error: str) -> SendReport:
        return SendReport.failed(digest, error)

    def deliver(self, config: Config, delivery: Delivery) -> SendReport:
        email, digest, name = config.email, delivery.digest, delivery.digest.name
        proposed = digest.proposed
        note = None
        if proposed == 0:
            # Never an empty week in place of the last real one without saying so.
            note = _last_real_digest(config, name) if delivery.newest else None
            if not email.send_empty:
                return SendReport(name, "nothing to send", email.recipients, empty=True, note=note)
            message = build_empty_message(email, name, digest.document)
        else:
            message = build_message(email, name, digest.markdown, proposed or 0)
        previous = delivery.previous()
        if previous and not self.resend:
            if previous["status"] == "sent":
                return SendReport(
                    name,
                    "already sent",
                    email.recipients,
                    previous["detail"].get("message_id"),
                    empty=proposed == 0,
                    note=note,
                )
            if previous["status"] == "sending":
                raise SendError(
                    f"the last send of {name} was interrupted and may have arrived; check the "
                    f"inbox, then run 'litradar send --digest {name} --resend' to send it again"
                )
        detail = {"message_id": message["Message-ID"], "recipients": email.recipients}
        delivery.record("sending", detail)
        progress = _Progress()
        try:
            _deliver(email, message, os.environ.get(email.password_env), progress)
        except BaseException as exc:
            # A send error is reported; anything else (Ctrl-C, a bug) is raised once the
            # store says how far the send got.
            send_error = isinstance(exc, smtplib.SMTPException | OSError | SendError)
            outcome = progress.outcome(exc)
            if outcome == "failed":
                reason = _one_line(exc)
                delivery.record("failed", detail | {"error": reason})
                if not send_error:
                    raise
                return SendReport(name, "failed", email.recipients, None, reason)
            if outcome == "may have arrived":
                # The record stays "sending": no run sends it again without --resend.
                if not send_error:
                    log.warning(
                        f"warning: the send of {name} was cut off after the message was "
                        "handed over: it may have arrived ('litradar send --resend' sends "
                        "it again)"
                    )
                    raise
                reason = (
                    f"{_one_line(exc)} after the message was sent, before the server "
                    f"confirmed it: it may have arrived; check the inbox, then 'litradar "
                    f"send --digest {name} --resend' sends it again"
                )
                return SendReport(
                    name, "failed", email.recipients, None, reason, may_have_arrived=True
                )
            # "sent": the server took it; only the goodbye was cut short (recorded below).
            if not send_error and not isinstance(exc, KeyboardInterrupt):
                delivery.record("sent", detail)
                raise
        if progress.refused:  # the others have it: sent, and said
            refused_note = f"refused by the server: {', '.join(progress.refused)}"
            detail |= {"refused": progress.refused}
            note = f"{note}; {refused_note}" if note else refused_note
        delivery.record("sent", detail)
        return SendReport(
            name, "sent", email.recipients, message["Message-ID"], empty=proposed == 0, note=note
        )


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
