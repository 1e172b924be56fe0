"""The few GitHub REST calls litradar makes: list, create, update and read pull requests.

The token goes in the Authorization header and nowhere else: no error message, log line
or exception built here contains it. Rate limits: a Retry-After short enough is waited
out once; an exhausted primary limit is an error that says when it resets.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

from litradar import __version__
from litradar.config import GitHubConfig
from litradar.core.errors import LitradarError
from litradar.core.http_client import OwnsHttpClient
from litradar.core.retrying import retry_after_seconds


class GitHubError(LitradarError):
    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status  # the HTTP status GitHub answered, where it answered one


def _origin(url: str) -> tuple[str, str, int | None]:
    parsed = httpx.URL(url)
    return parsed.scheme, parsed.host, parsed.port


class GitHub(OwnsHttpClient):
    def __init__(self, config: GitHubConfig, token: str | None) -> None:
        if not config.repository:
            raise GitHubError("set [github] repository = 'owner/name' in litradar.toml")
        self.config = config
        self._token = token
        headers = {
            "Accept": "application/vnd.github+json",
            "X-GitHub-Api-Version": "2022-11-28",
            "User-Agent": f"litradar/{__version__}",
        }
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self._http = httpx.Client(
            base_url=config.api_url.rstrip("/"), headers=headers, timeout=config.timeout_seconds
        )
        self.repo_path = f"/repos/{config.repository}"
        self._api_origin = _origin(str(self._http.base_url))

    def _request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        waited = False
        while True:
            try:
                response = self._http.request(method, url, **kwargs)
            except httpx.HTTPError as exc:
                raise GitHubError(f"GitHub {method} {url} failed: {type(exc).__name__}") from None
            if response.status_code < 400:
                return response
            retry_after = retry_after_seconds(response.headers.get("Retry-After"))
            if (
                response.status_code in (403, 429)
                and retry_after is not None
                and not waited
                and retry_after <= self.config.max_wait_seconds
            ):
                time.sleep(retry_after)
                waited = True
                continue
            raise GitHubError(self._explain(method, url, response), response.status_code) from None

    def _explain(self, method: str, url: str, response: httpx.Response) -> str:
        status = response.status_code
        try:
            body = response.json()
        except ValueError:
            body = {}
        if not isinstance(body, dict):
            body = {}
        message = str(body.get("message") or response.reason_phrase)
        if status == 401:
            return f"GitHub rejected the token in ${self.config.token_env} (401 {message})"
        if status in (403, 429) and response.headers.get("x-ratelimit-remaining") == "0":
            reset = response.headers.get("x-ratelimit-reset")
            when = (
                datetime.fromtimestamp(int(reset), UTC).strftime("%Y-%m-%d %H:%M UTC")
                if reset and reset.isdigit()
                else "later"
            )
            limit = response.headers.get("x-ratelimit-limit", "?")
            return f"GitHub rate limit exhausted (0 of {limit} requests left); it resets {when}"
        if status in (403, 429) and response.headers.get("Retry-After"):
            raw = response.headers["Retry-After"]
            seconds = retry_after_seconds(raw)
            if seconds is None:
                wait = f"asks to wait {' '.join(raw.split())[:60]!r} (not a Retry-After it reads)"
            elif raw.strip().isdigit():
                wait = f"asks to wait {raw.strip()} s"
            else:
                wait = f"asks to wait until {parsedate_to_datetime(raw):%Y-%m-%d %H:%M UTC}"
            return (
                f"GitHub {wait} (secondary rate limit), more than [github] "
                f"max_wait_seconds = {self.config.max_wait_seconds:g}"
            )
        details = "; ".join(
            " ".join(str(e.get(k)) for k in ("resource", "field", "code", "message") if e.get(k))
            for e in body.get("errors") or []
            if isinstance(e, dict)
        )
        return f"GitHub {method} {url}: {status} {message}" + (f" ({details})" if details else "")

    def _json(self, method: str, url: str, response: httpx.Response, kind: type) -> Any:
        """The answer's JSON, checked to be what GitHub answers there (an object, or a list
        of objects): a proxy's HTML page or a wrong `api_url` is one line, not a
        JSONDecodeError or a TypeError further on."""
        try:
            body = response.json()
        except ValueError:
            body = None
        fits = isinstance(body, kind) and (
            kind is dict or all(isinstance(item, dict) for item in body)
        )
        if not fits:
            what = response.headers.get("content-type", "no content type").split(";")[0]
            raise GitHubError(
                f"GitHub {method} {url}: {response.status_code} answered {what}, not the "
                f"JSON {'object' if kind is dict else 'list'} of GitHub's API "
                "(is [github] api_url the API, not the web site?)"
            )
        return body

    def _pull(self, method: str, url: str, response: httpx.Response) -> dict:
        """One pull request's answer (read, opened, updated): an object with its number."""
        pull = self._json(method, url, response, dict)
        if not isinstance(pull.get("number"), int):
            raise GitHubError(f"GitHub {method} {url}: the answer names no pull request number")
        return pull

    # pull requests ----------------------------------------------------------------------

    def open_pulls(self) -> list[dict]:
        """Every open pull request, following the Link header's pages, but only on the
        configured API's origin: the token goes with each request, and a next page on
        another host would receive it."""
        found: list[dict] = []
        url: str | None = f"{self.repo_path}/pulls"
        params: dict | None = {"state": "open", "per_page": 100}
        while url:
            response = self._request("GET", url, params=params)
            found += self._json("GET", url, response, list)
            url, params = response.links.get("next", {}).get("url"), None
            if url and _origin(str(self._http.base_url.join(url))) != self._api_origin:
                raise GitHubError(
                    f"GitHub's next page of pull requests is on another host "
                    f"({httpx.URL(url).host or url[:80]}), not {self.config.api_url}: "
                    "not sending the token there"
                )
        for pull in found:
            head = pull.get("head")
            if not isinstance(pull.get("number"), int) or not (
                isinstance(head, dict) and isinstance(head.get("ref"), str)
            ):
                raise GitHubError(
                    f"GitHub GET {self.repo_path}/pulls: a pull request without a number or "
                    "a head branch (is [github] api_url GitHub's API?)"
                )
        return found

    def pull(self, number: int) -> dict:
        url = f"{self.repo_path}/pulls/{number}"
        return self._pull("GET", url, self._request("GET", url))

    def create_pull(self, title: str, body: str, head: str, base: str) -> dict:
        url = f"{self.repo_path}/pulls"
        sent = {"title": title, "body": body, "head": head, "base": base}
        return self._pull("POST", url, self._request("POST", url, json=sent))

    def update_pull(self, number: int, title: str, body: str) -> dict:
        url = f"{self.repo_path}/pulls/{number}"
        sent = {"title": title, "body": body}
        return self._pull("PATCH", url, self._request("PATCH", url, json=sent))
