"""Which papers of a digest get which help: every proposal a short name and a summary, and
the papers either side of the cut-off a second opinion."""

from __future__ import annotations

import os

from litradar.assist.llm_client import ChatClient
from litradar.assist.tasks import Assistant, Assisted
from litradar.config import LLMConfig
from litradar.digest import Digest
from litradar.store import Store


def near_the_cut(digest: Digest, margin: int) -> list[str]:
    """Keys ranked within `margin` places of the last proposal, on either side of it."""
    order = [s.paper.key for s in digest.ranked if s.paper.key not in digest.on_list]
    proposed = [i for i, key in enumerate(order) if key in digest.proposed_ids]
    if not proposed or margin == 0:
        return []
    last = proposed[-1]
    return order[max(0, last + 1 - margin) : last + 1 + margin]


def assist_digest(config: LLMConfig, digest: Digest, store: Store) -> None:
    """Fills `digest.assisted` and `digest.assist_notes`; never changes a score or a rank."""
    client = ChatClient(config, os.environ.get(config.api_key_env)) if config.enabled else None
    assistant = Assistant(store, digest.sections, client, config.model if client else "")
    near = set(near_the_cut(digest, config.verdict_margin)) if client else set()
    by_key = {s.paper.key: s.paper for s in digest.ranked}
    assisted: dict[str, Assisted] = {}
    wanted = [s.paper.key for s in digest.ranked if s.paper.key in digest.proposed_ids | near]
    try:
        for key in wanted:  # best first, so a spent budget spares the top of the digest
            assisted[key] = assistant.assist(
                by_key[key], want_verdict=key in near, describe=key in digest.proposed_ids
            )
    finally:
        if client is not None:
            client.close()
    digest.assisted = assisted
    if client is None:
        digest.assist_notes = ["short names and summaries are extractive (no LLM configured)"]
    else:
        used = client.budget
        digest.assist_notes = [
            f"short names, summaries and second opinions by {config.model}: {used.calls} "
            f"call(s), about {used.tokens} tokens, {assistant.calls_avoided} answer(s) "
            "from the cache",
            *assistant.notes,
        ]
    digest.assist_model = config.model if client else None
