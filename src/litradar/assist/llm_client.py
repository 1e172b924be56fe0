"""A client for the OpenAI-compatible chat completions API, with a per-run budget.

Streaming off, JSON mode on (`response_format`), a timeout on every call, back-off on 429,
5xx and timeouts. The budget counts calls and tokens (the server's `usage` when it gives
one, else an estimate), and once spent every further call is refused, so a weekly run can
never cost more than configured. The key is sent as a bearer token and appears nowhere else.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import httpx

from litradar.config import LLMConfig
from litradar.core.errors import LitradarError, redact, remember_secret
from litradar.core.http_client import OwnsHttpClient, deadline_client
from litradar.core.retrying import Retryable, retry_after_seconds, with_retries


class LLMError(LitradarError):
    """The endpoint failed, refused, or the budget is spent: the caller falls back."""


class BudgetSpent(LLMError):
    pass


@dataclass
class Budget:
    max_calls: int
    max_tokens: int
    calls: int = 0
    tokens: int = 0

    def check(self, prompt_tokens: int) -> None:
        if self.calls >= self.max_calls:
            raise BudgetSpent(f"the LLM budget of {self.max_calls} calls is spent")
        if self.tokens + prompt_tokens > self.max_tokens:
            raise BudgetSpent(f"the LLM budget of {self.max_tokens} tokens is spent")

    def spend(self, tokens: int) -> None:
        self.calls += 1
        self.tokens += tokens


def estimate_tokens(text: str) -> int:
    """About four characters a token, for budgeting when the server reports no usage."""
    return max(1, len(text) // 4)


class ChatClient(OwnsHttpClient):
    def __init__(self, config: LLMConfig, api_key: str | None = None) -> None:
        self.config = config
        self.budget = Budget(config.max_calls, config.max_tokens)
        remember_secret(api_key)  # redacted from any error text this process keeps
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        # Each whole call ends within TOTAL_FACTOR times the timeout: a server that drips a
        # byte at a time never times out a read, and held a run for minutes per call.
        self._http = deadline_client(
            config.timeout_seconds, base_url=config.base_url.rstrip("/"), headers=headers
        )

    def complete(self, system: str, user: str) -> str:
        """The assistant's message text for one system + user exchange."""
        prompt_tokens = estimate_tokens(system + user)
        self.budget.check(prompt_tokens)
        request = {
            "model": self.config.model,
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": user}],
            "temperature": 0,
            "max_tokens": self.config.max_answer_tokens,
            "stream": False,
            "response_format": {"type": "json_object"},
        }

        def attempt() -> dict:
            try:
                response = self._http.post("/chat/completions", json=request)
            except httpx.HTTPError as exc:
                raise Retryable(f"{type(exc).__name__} {exc}".strip()) from None
            if response.status_code == 429 or response.status_code >= 500:
                asked = retry_after_seconds(response.headers.get("Retry-After"))
                raise Retryable(f"HTTP {response.status_code}", wait=asked)
            if response.status_code != 200:
                raise LLMError(f"the LLM endpoint answered HTTP {response.status_code}")
            try:
                return response.json()
            except ValueError:
                raise Retryable("a response that is not JSON") from None

        body = with_retries(self.config, f"LLM {self.config.model}", attempt, LLMError)
        try:
            text = body["choices"][0]["message"]["content"] or ""
        except (KeyError, IndexError, TypeError):
            raise LLMError("the LLM endpoint's answer has no choices[0].message.content") from None
        if not isinstance(text, str):  # a number or an object: not an answer
            raise LLMError("the LLM endpoint's choices[0].message.content is not text")
        self.budget.spend(_used_tokens(body, prompt_tokens + estimate_tokens(text)))
        # An endpoint that echoes its request (a proxy, a misconfigured server) must not
        # carry the key into the answer cache, a digest or an email; also not spelled with
        # JSON's \u escapes, which the answer's parse would turn back into the key.
        return redact(_unescaped(text))


def _used_tokens(body: object, estimate: int) -> int:
    """The server's `usage.total_tokens` when it is a count (a positive whole number: a
    negative figure stretched the budget, a string was a ValueError), else the estimate."""
    usage = body.get("usage") if isinstance(body, dict) else None
    total = usage.get("total_tokens") if isinstance(usage, dict) else None
    if isinstance(total, int) and not isinstance(total, bool) and total > 0:
        return total
    return estimate


def _unescaped(text: str) -> str:
    """A JSON answer written again without escapes (same meaning), so that what redaction
    reads is what the caller will read; any other text as it is."""
    try:
        value = json.loads(text)
    except ValueError:
        return text
    return json.dumps(value, ensure_ascii=False)
