"""`litradar send` against a real SMTP server (aiosmtpd) on 127.0.0.1 with real TLS."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.awesome_list import load_list
from litradar.cli import app
from litradar.config import load_config
from litradar.digest import build_digest, write_digest
from litradar.paper import Paper, Provenance
from litradar.store import Store
from tests.conftest import DEMO, write_config
from tests.smtp_server import PASSWORD, SmtpServer, free_port
from tests.test_digest import scored

runner = CliRunner()
HOSTILE_TITLE = "Heads <script>alert('x')</script> | `rm -rf` [click](http://evil.example)"


def write_week(project: Path) -> None:
    """A digest with one proposal whose title is hostile, written as `litradar digest` does."""
    awesome = load_list(DEMO / "awesome_list.md")
    paper = Paper(
        arxiv_id="2503.04242",
        title=HOSTILE_TITLE,
        abstract="We probe attention heads.",
        authors=("Ann Lee",),
        first_version_date=date(2025, 3, 11),
        provenance=(Provenance("arxiv", "cs.CV"),),
    )
    digest = build_digest(
        [scored(paper)], awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.0, "t", []
    )
    write_digest(digest, awesome, project / "digests")
    Store.open(project / "index" / "litradar.sqlite", create=True).close()  # sends are recorded


def send(project: Path, *args: str, password: str = PASSWORD):
    return runner.invoke(
        app,
        ["send", *args, "--config", str(project / "litradar.toml")],
        env={"LITRADAR_SMTP_PASSWORD": password},
    )


@pytest.mark.parametrize("mode", ["starttls", "ssl"])
def test_the_digest_arrives_once_as_text_and_html_and_resend_sends_again(
    project: Path, tmp_path: Path, mode: str
):
    write_week(project)
    with SmtpServer(tmp_path, mode) as server:
        write_config(project, extra=server.email_config())
        first = send(project)
        assert first.exit_code == 0, first.output
        assert "sent digest 2025-W11 to 2 recipient(s)" in first.output
        again = send(project)
        assert "already sent" in again.output and len(server.inbox.messages) == 1
        resent = send(project, "--resend")
        assert resent.exit_code == 0 and len(server.inbox.messages) == 2

    message = server.inbox.messages[0]
    assert server.inbox.envelopes[0] == (
        "litradar@example.org",
        ["maintainer@example.org", "co-maintainer@example.org"],
    )
    assert message["Subject"] == "[litradar] digest 2025-W11: 1 proposed"
    assert message["Message-ID"] == server.inbox.messages[1]["Message-ID"]
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    written = (project / "digests" / "2025-W11.md").read_text(encoding="utf-8")
    assert text.replace("\r\n", "\n") == written  # mail travels with CRLF line ends
    assert '<a href="https://arxiv.org/abs/2503.04242">' in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="http://evil.example"' not in html
    assert "<link" not in html and "<style" not in html and 'style="' in html
    assert PASSWORD not in message.as_string()


def test_a_failed_send_is_one_line_keeps_the_digest_and_the_next_run_sends(
    project: Path, tmp_path: Path
):
    write_week(project)
    dead = SmtpServer(tmp_path)  # configured, never started: nothing listens on its port
    write_config(project, extra=dead.email_config())
    down = send(project)
    assert down.exit_code == 1
    assert "error: could not send digest 2025-W11" in down.output
    assert "Traceback" not in down.output
    assert (project / "digests" / "2025-W11.md").is_file()
    config = load_config(project / "litradar.toml", environ={})
    with Store.open(config.store_path) as store:
        assert store.delivery("email", "2025-W11")["status"] == "failed"

    with SmtpServer(tmp_path) as server:
        write_config(project, extra=server.email_config())
        retried = send(project)
        assert retried.exit_code == 0, retried.output
        assert len(server.inbox.messages) == 1


def test_a_wrong_password_is_reported_without_the_password(project: Path, tmp_path: Path):
    write_week(project)
    with SmtpServer(tmp_path) as server:
        write_config(project, extra=server.email_config())
        result = send(project, password="wrong-pw-123")
        assert result.exit_code == 1 and "SMTP 535" in result.output
        assert "wrong-pw-123" not in result.output and server.inbox.messages == []


def test_an_interrupted_send_is_not_repeated_without_resend(project: Path, tmp_path: Path):
    write_week(project)
    with SmtpServer(tmp_path) as server:
        write_config(project, extra=server.email_config())
        config = load_config(project / "litradar.toml", environ={})
        with Store.open(config.store_path) as store:  # as a crash mid-send leaves it
            store.set_delivery("email", "2025-W11", "sending", {})
        result = send(project)
        assert result.exit_code == 1 and "was interrupted and may have arrived" in result.output
        assert server.inbox.messages == []
        assert send(project, "--resend").exit_code == 0 and len(server.inbox.messages) == 1


def test_sending_needs_recipients_and_a_digest(project: Path):
    write_config(project)
    no_recipients = send(project)
    assert no_recipients.exit_code == 1 and "no recipients" in no_recipients.output
    write_config(
        project, extra='[email]\nrecipients = ["m@example.org"]\nport = ' + str(free_port())
    )
    no_digest = send(project)
    assert no_digest.exit_code == 1 and "no digest in" in no_digest.output


def test_a_digest_name_that_is_a_path_is_refused(project: Path):
    write_week(project)
    write_config(project, extra='[email]\nrecipients = ["m@example.org"]\n')
    result = send(project, "--digest", "../../etc/passwd")
    assert result.exit_code == 1 and "is not a digest name" in result.output
