"""The GitHub client against servers on 127.0.0.1: the token goes to the configured API and
nowhere else, and whatever GitHub's headers say is one line, never a traceback
(issue 13, holes 3 and 9)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from litradar.config import GitHubConfig
from litradar.publish.github_api import GitHub, GitHubError
from tests.fake_github import NAME, OWNER, PULLS
from tests.replay import ReplayServer, Reply

PULL = {"number": 1, "head": {"ref": "litradar/2025-W11"}}

TOKEN = "ghp_canaryTOKEN0123456789"


def client(server: ReplayServer, **overrides) -> GitHub:
    settings = {"repository": f"{OWNER}/{NAME}", "api_url": server.url, "max_wait_seconds": 5}
    return GitHub(GitHubConfig(**(settings | overrides)), TOKEN)


def test_link_pagination_is_followed_on_the_api_and_the_token_sent_nowhere_else():
    with ReplayServer() as api, ReplayServer() as elsewhere:
        elsewhere.on("GET", PULLS, Reply.json([{"number": 99}]))
        next_page = f'<{api.url}{PULLS}?page=2>; rel="next"'
        elsewhere_page = f'<{elsewhere.url}{PULLS}?page=3>; rel="next"'
        api.on(
            "GET",
            PULLS,
            Reply(200, b'[{"number": 1}]', {"Link": next_page}),
            Reply(200, b'[{"number": 2}]', {"Link": elsewhere_page}),
        )
        with client(api) as gh, pytest.raises(GitHubError) as caught:
            gh.open_pulls()
        assert [s.query.get("page") for s in api.seen] == [None, "2"]
        assert all(s.headers["Authorization"] == f"Bearer {TOKEN}" for s in api.seen)
        assert elsewhere.seen == []  # the canary token never left for another origin
    message = str(caught.value)
    assert "another host" in message and TOKEN not in message and "\n" not in message


@pytest.mark.parametrize("when", ["seconds", "http-date"])
def test_a_retry_after_in_either_form_is_waited_out_once(when: str):
    soon = datetime.now(UTC) + timedelta(seconds=2)
    value = "1" if when == "seconds" else format_datetime(soon, usegmt=True)
    with ReplayServer() as api:
        api.on("GET", PULLS, Reply(429, b"{}", {"Retry-After": value}), Reply.json([PULL]))
        with client(api) as gh:
            assert gh.open_pulls() == [PULL]
        assert len(api.seen) == 2


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("Wed, 21 Oct 2099 07:28:00 GMT", "asks to wait until 2099-10-21 07:28 UTC"),
        ("soon-ish", "asks to wait 'soon-ish'"),
    ],
)
def test_a_retry_after_too_far_or_unreadable_is_one_line(value: str, message: str):
    with ReplayServer() as api:
        api.on("GET", PULLS, Reply(403, b'{"message": "slow down"}', {"Retry-After": value}))
        with client(api) as gh, pytest.raises(GitHubError, match=message) as caught:
            gh.open_pulls()
    assert "\n" not in str(caught.value)
