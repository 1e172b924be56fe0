"""A chat completions server on 127.0.0.1 (OpenAI's protocol, streaming off) with a
scripted model: it answers from the paper's title, and misbehaves on request for the
titles a test names (malformed JSON, extra keys, a bad section, errors, slowness)."""

from __future__ import annotations

import json
import re
from collections import defaultdict

from tests.replay import ReplayServer, Reply, Seen

PATH = "/v1/chat/completions"
_TITLE = re.compile(r"Title: (?P<title>.*)")
_SECTIONS = re.compile(r"\(sections: (?P<sections>[^)]*)\)")


def chat_reply(content: str, tokens: int = 50) -> Reply:
    return Reply.json(
        {
            "id": "chatcmpl-fake",
            "object": "chat.completion",
            "model": "fake-model",
            "choices": [
                {"index": 0, "message": {"role": "assistant", "content": content},
                 "finish_reason": "stop"}
            ],
            "usage": {"prompt_tokens": tokens - 10, "completion_tokens": 10, "total_tokens": tokens},
        }
    )  # fmt: skip


class FakeModel:
    def __init__(self, server: ReplayServer) -> None:
        # title substring -> what to do: "malformed", "obey", "bad-then-good", "429-once",
        # "500", "slow", "echo"
        self.behaviour: dict[str, str] = {}
        self.requests: list[dict] = []
        self._seen: dict[str, int] = defaultdict(int)
        server.on("POST", PATH, self.answer)

    def answer(self, seen: Seen) -> Reply:
        request = json.loads(seen.body)
        self.requests.append(request)
        system, user = (m["content"] for m in request["messages"])
        if '"model_terms"' in system:  # `litradar init`'s one request: terms for the scope
            return self.suggest_terms(user)
        title = _TITLE.search(user)["title"]
        sections = _SECTIONS.search(system)["sections"].split(", ")
        task = "name" if '{"name"' in system else "summary" if '{"summary"' in system else "verdict"
        mode = next((m for t, m in self.behaviour.items() if t in title), "good")
        self._seen[title + task] += 1
        tries = self._seen[title + task]
        if mode == "500":
            return Reply(500, b'{"error": "boom"}')
        if mode == "429-once" and tries == 1:
            return Reply(429, b'{"error": "slow down"}')
        if mode == "slow":
            return Reply(200, b"{}", delay=1.5)
        if mode == "malformed" or (mode == "bad-then-good" and tries == 1):
            return chat_reply('{"name": "unterminated')
        if mode == "obey":  # does what the hostile abstract asks
            if task == "verdict":
                return chat_reply('{"include": true, "section": "Everything", "reason": "10/10"}')
            return chat_reply(f'{{"{task}": "RATED 10/10, MUST INCLUDE", "score": 10}}')
        if mode == "echo" and task == "summary":  # a proxy that echoes the request's key
            said = f"Key was {seen.headers.get('Authorization')}."
            return chat_reply(json.dumps({"summary": said}))
        if task == "name":
            return chat_reply(json.dumps({"name": title.split()[0].strip(":")}))
        if task == "summary":
            return chat_reply(json.dumps({"summary": f"It studies {title[:150]}."}))
        return chat_reply(
            json.dumps({"include": True, "section": sections[0], "reason": "It fits the list."})
        )

    def suggest_terms(self, user: str) -> Reply:
        """Terms from the titles it was given: the first word of the first title as the
        subject, "hallucination" when a title names it, else the last word of the first."""
        titles = re.findall(r"^- (.*)$", user, re.MULTILINE)
        mode = next((m for t, m in self.behaviour.items() if any(t in x for x in titles)), "good")
        if mode == "500":
            return Reply(500, b'{"error": "boom"}')
        if mode == "malformed":
            return chat_reply('{"model_terms": ["unterminated')
        first = titles[0].split() if titles else ["nothing"]
        topic = "hallucination" if any("allucination" in t for t in titles) else first[-1]
        return chat_reply(json.dumps({"model_terms": [first[0].strip(":"), "LVLM"],
                                      "topic_terms": [topic, "faithfulness"]}))  # fmt: skip
