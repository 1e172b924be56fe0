"""`litradar send` against a real SMTP server (aiosmtpd) on 127.0.0.1 with real TLS."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from datetime import date, timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.core.paper import Paper, Provenance
from litradar.curation.awesome_list import load_list
from litradar.digests.generations import write_digest
from litradar.publish.mail import render_html
from litradar.storage.store import Store
from tests.browser import artifacts_dir, chromium, needs_chromium
from tests.conftest import DEMO, write_config
from tests.digests import build_digest
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


def write_digest_of(project: Path, name_since: date, papers: list[Paper], threshold: float):
    awesome = load_list(DEMO / "awesome_list.md")
    items = [
        replace(scored(p), tags={"technique": [("logit lens", 0.81), ("causal tracing", 0.2)]})
        for p in papers
    ]
    digest = build_digest(
        items, awesome, name_since, name_since + timedelta(days=7), 5, threshold, "t", []
    )
    write_digest(digest, awesome, project / "digests")
    # A digest comes from a store, where its sends are recorded: make the store it implies.
    Store.open(project / "index" / "litradar.sqlite", create=True).close()
    return digest


CODE_PAPER = Paper(
    arxiv_id="2503.05555",
    title="Tracing Causes in VLMs",
    abstract="We trace causes. Code: https://github.com/example/tracing",
    authors=("Bo Li",),
    first_version_date=date(2025, 3, 12),
    provenance=(Provenance("arxiv", "cs.CV"),),
)


def _html_of(project: Path, name: str) -> str:
    config = load_config(project / "litradar.toml", environ={})
    markdown = (config.digests_dir / f"{name}.md").read_text(encoding="utf-8")
    return render_html(markdown, name)


def test_each_detail_is_a_line_and_badges_are_links_not_remote_images(project: Path):
    write_digest_of(project, date(2025, 3, 10), [CODE_PAPER], 0.0)
    html = _html_of(project, "2025-W11")
    assert "<img" not in html and "shields.io" not in html
    assert '<a href="https://arxiv.org/abs/2503.05555">arXiv</a>' in html
    assert '<a href="https://github.com/example/tracing">Star</a>' in html
    details = re.search(r"score 0\.90.*?</p>", html, re.S)[0]  # type: ignore[index]
    lines = [line.strip() for line in details.split("<br />")]
    assert [line.split(" ")[0] for line in lines] == ["score", "about", "found", "tags:"]


def test_a_week_with_nothing_proposed_is_sent_only_when_asked_and_never_silently(
    project: Path, tmp_path: Path
):
    write_digest_of(project, date(2025, 3, 10), [CODE_PAPER], 0.0)  # 2025-W11: 1 proposed
    quiet = replace(CODE_PAPER, arxiv_id="2503.11111", first_version_date=date(2025, 3, 18))
    time.sleep(0.02)  # the newest digest is the one written last
    write_digest_of(project, date(2025, 3, 17), [quiet], 2.0)  # 2025-W12: nothing clears 2.0
    with SmtpServer(tmp_path) as server:
        write_config(project, extra=server.email_config())
        skipped = send(project)
        assert skipped.exit_code == 0, skipped.output
        assert "digest 2025-W12 proposes nothing: not sent ([email] send_empty = true" in skipped.output
        assert (
            "note: the newest digest with proposals is 2025-W11, not sent yet: "
            "litradar send --digest 2025-W11" in skipped.output
        )
        assert server.inbox.messages == []
        assert send(project, "--digest", "2025-W11").exit_code == 0
        again = send(project)
        assert "the newest digest with proposals, 2025-W11, was sent" in again.output
        assert len(server.inbox.messages) == 1

        write_config(project, extra=server.email_config() + "send_empty = true\n")
        empty = send(project)
        assert empty.exit_code == 0, empty.output
        assert "sent digest 2025-W12 (nothing this week) to 2 recipient(s)" in empty.output
        assert "already sent" in send(project).output and len(server.inbox.messages) == 2
    message = server.inbox.messages[1]
    assert message["Subject"] == "[litradar] digest 2025-W12: nothing this week"
    text = message.get_body(("plain",)).get_content().strip()
    assert text.count("\n") == 0 and text.startswith("Nothing this week: litradar read 1 paper")
    assert "2025-03-17 to 2025-03-23" in text and "(threshold 2.00)" in text  # as its header
    assert text in message.get_body(("html",)).get_content()
    html = message.get_body(("html",)).get_content()  # its title said "0 proposed"
    assert "<title>[litradar] digest 2025-W12: nothing this week</title>" in html


@needs_chromium
def test_the_email_reads_well_in_chromium(project: Path, tmp_path: Path):
    from selenium.webdriver.common.by import By

    hostile = replace(CODE_PAPER, arxiv_id="2503.04242", title=HOSTILE_TITLE)
    write_digest_of(project, date(2025, 3, 10), [CODE_PAPER, hostile], 0.0)
    page = tmp_path / "email.html"
    page.write_text(_html_of(project, "2025-W11"), encoding="utf-8")
    with chromium() as driver:
        driver.get(page.as_uri())
        assert driver.execute_script("return document.images.length") == 0
        assert driver.execute_script("return document.scripts.length") == 0
        fetched = driver.execute_script("return performance.getEntriesByType('resource').length")
        assert fetched == 0  # nothing remote, nothing that shows broken offline
        items = driver.find_elements(By.CSS_SELECTOR, "li")
        assert len(items) == 2
        for item in items:
            lines = [line.strip() for line in item.text.splitlines() if line.strip()]
            starts = [line.split(" ")[0] for line in lines]
            # entry, badges, then each detail on its own line
            assert starts[-4:] == ["score", "about", "found", "tags:"], lines
            assert lines[1].startswith("arXiv")
        links = {a.text: a.get_attribute("href") for a in driver.find_elements(By.TAG_NAME, "a")}
        assert links["Star"] == "https://github.com/example/tracing"
        assert "alert('x')" in driver.find_element(By.TAG_NAME, "body").text  # as text
        driver.save_screenshot(str(artifacts_dir() / "email.png"))


def test_a_send_that_times_out_after_the_message_went_is_not_sent_again(
    project: Path, tmp_path: Path
):
    """A relay that queues the message, then answers late: the send timed out, was recorded
    "failed", and the next run sent the digest a second time."""
    import asyncio

    write_week(project)
    with SmtpServer(tmp_path) as server:
        took = server.inbox.handle_DATA

        async def slow_answer(*args):  # type: ignore[no-untyped-def]
            answer = await took(*args)  # queued: in the inbox
            await asyncio.sleep(6)
            return answer

        server.inbox.handle_DATA = slow_answer  # type: ignore[method-assign]
        write_config(project, extra=server.email_config())
        env = {"LITRADAR_SMTP_PASSWORD": PASSWORD, "LITRADAR_EMAIL__TIMEOUT_SECONDS": "2"}
        args = ["send", "--config", str(project / "litradar.toml")]
        first = runner.invoke(app, args, env=env)
        assert first.exit_code == 1, first.output
        assert "it may have arrived" in first.output and "next run tries again" not in first.output
        again = runner.invoke(app, args, env=env)
        assert again.exit_code == 1
        assert "'litradar send --digest 2025-W11 --resend'" in again.output
        assert len(server.inbox.messages) == 1


def test_a_ca_file_that_is_not_there_is_named(project: Path, tmp_path: Path):
    write_week(project)
    with SmtpServer(tmp_path) as server:
        write_config(project, extra=server.email_config())
        missing = tmp_path / "nowhere.pem"
        result = runner.invoke(
            app, ["send", "--config", str(project / "litradar.toml")],
            env={"LITRADAR_SMTP_PASSWORD": PASSWORD, "LITRADAR_EMAIL__CA_FILE": str(missing)},
        )  # fmt: skip
    assert result.exit_code == 1
    assert f"[email] ca_file {missing}: No such file or directory" in result.output


def test_a_message_the_server_refuses_is_retried_and_a_refused_recipient_is_said(
    project: Path, tmp_path: Path
):
    """A 554 to the message is an answer: nothing was taken, the next run sends again. A
    recipient the server refuses does not stop the others, and the output names it."""
    write_week(project)
    with SmtpServer(tmp_path) as server:
        took = server.inbox.handle_DATA

        async def refuse(*args):  # type: ignore[no-untyped-def]
            return "554 5.7.1 message rejected"

        server.inbox.handle_DATA = refuse  # type: ignore[method-assign]
        write_config(project, extra=server.email_config())
        rejected = send(project)
        assert rejected.exit_code == 1 and "SMTP 554" in rejected.output
        assert "may have arrived" not in rejected.output
        config = load_config(project / "litradar.toml", environ={})
        with Store.open(config.store_path) as store:
            assert store.delivery("email", "2025-W11")["status"] == "failed"

        async def one_unknown(server_, session, envelope, address, options):  # type: ignore[no-untyped-def]
            if address.startswith("co-"):
                return "550 5.1.1 no such user"
            envelope.rcpt_tos.append(address)
            return "250 OK"

        server.inbox.handle_DATA = took  # type: ignore[method-assign]
        server.inbox.handle_RCPT = one_unknown  # type: ignore[attr-defined]
        sent = send(project)
    assert sent.exit_code == 0, sent.output
    assert "note: refused by the server: co-maintainer@example.org" in sent.output
    assert len(server.inbox.messages) == 1
