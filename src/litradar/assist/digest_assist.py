"""Which papers of a week get which help: every proposal a short name and a summary, and
the papers either side of the cut-off a second opinion. Works on the selection, before the
digest exists, so that the digest is built once with the help in it."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from litradar.assist.llm_client import ChatClient
from litradar.assist.tasks import Assistant, Assisted
from litradar.config import LLMConfig
from litradar.ranking.selection import Selection
from litradar.storage.store import Store


@dataclass(frozen=True)
class Assistance:
    """Short names, summaries and second opinions by key, and what produced them."""

    assisted: dict[str, Assisted] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    model: str | None = None  # None: extractive, no LLM


def assist_selection(
    config: LLMConfig, selection: Selection, sections: list[str], store: Store
) -> Assistance:
    """Never changes a score or a rank: the help is shown beside them."""
    client = ChatClient(config, os.environ.get(config.api_key_env)) if config.enabled else None
    assistant = Assistant(
        store, sections, client, config.model if client else "", config.base_url.rstrip("/")
    )
    near = set(selection.near_the_last_proposal(config.verdict_margin)) if client else set()
    by_key = {s.paper.key: s.paper for s in selection.ranked}
    assisted: dict[str, Assisted] = {}
    wanted = [s.paper.key for s in selection.ranked if s.paper.key in selection.proposed_ids | near]
    try:
        for key in wanted:  # best first, so a spent budget spares the top of the digest
            assisted[key] = assistant.assist(
                by_key[key], want_verdict=key in near, describe=key in selection.proposed_ids
            )
    finally:
        if client is not None:
            client.close()
    if client is None:
        notes = ["short names and summaries are extractive (no LLM configured)"]
        return Assistance(assisted, notes, None)
    used = client.budget
    notes = [
        f"short names, summaries and second opinions by {config.model} where marked "
        f"(the others extractive): {used.calls} call(s), about {used.tokens} tokens, "
        f"{assistant.calls_avoided} answer(s) from the cache",
        *assistant.notes,
    ]
    return Assistance(assisted, notes, config.model)
