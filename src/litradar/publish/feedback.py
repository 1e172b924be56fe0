"""What the maintainer did with litradar's pull requests, stored as labels for `train`.

A pull request that is closed (merged or not) is decided: every entry it proposed that is
now on the list's base branch was accepted, in the section where the maintainer left it;
every other one was rejected (deleted from the branch before merging, or the pull request
closed unmerged). An open pull request is still waiting and teaches nothing yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import unquote

from litradar.config import Config
from litradar.curation.awesome_list import parse_list
from litradar.curation.list_match import match_entries
from litradar.publish.github_api import GitHubError
from litradar.publish.pull_request import CHANNEL, connect
from litradar.storage.store import Store


@dataclass
class FeedbackReport:
    accepted: dict[str, str] = field(default_factory=dict)  # key -> section chosen
    rejected: list[str] = field(default_factory=list)
    waiting: list[int] = field(default_factory=list)  # open pull request numbers
    # Recorded pull requests GitHub no longer finds (404): number -> why. Skipped, so one of
    # them does not stop the others being read; said on each run until it is found again.
    missing: dict[int, str] = field(default_factory=dict)
    error: str | None = None  # why the pull requests could not be read (a weekly run goes on)


def collect_feedback(config: Config) -> FeedbackReport:
    gh = config.github
    report = FeedbackReport()
    with Store.open(config.store_path) as store:
        pending = [d for d in store.deliveries(CHANNEL) if d["status"] == "proposed"]
    if not pending:
        return report
    api, repo = connect(config)
    with api, Store.open(config.store_path) as store:
        # Matched like every list read: an entry the maintainer relinked to the publisher's
        # page is still the accepted paper.
        base = match_entries(parse_list(repo.read(gh.base, gh.list_file)), store)
        placed = {e.key: e.section_name for e in base.entries if e.key}
        # Decoded: a link written by another release may encode other characters.
        placed_urls = {unquote(e.url): e.section_name for e in base.entries}
        for delivery in pending:
            detail = delivery["detail"]
            try:
                pull = api.pull(detail["number"])
            except GitHubError as exc:
                if exc.status != 404:
                    raise
                report.missing[detail["number"]] = str(exc)
                continue
            if pull.get("state") == "open":
                report.waiting.append(detail["number"])
                continue
            state = "merged" if pull.get("merged_at") else "closed"
            origin = f"pull request #{detail['number']} ({delivery['name']}, {state})"
            outcome: dict[str, str] = {}
            for key in detail["entries"]:
                paper = store.by_key(key)
                url = paper.abs_url if paper else None
                section = placed.get(key) or placed_urls.get(url or "")
                if section:
                    store.set_label(key, True, section, origin)
                    report.accepted[key] = section
                    outcome[key] = "accepted"
                else:
                    store.set_label(key, False, None, origin)
                    report.rejected.append(key)
                    outcome[key] = "rejected"
            store.set_delivery(
                CHANNEL, delivery["name"], "decided", detail | {"state": state, "outcome": outcome}
            )
    if report.missing and len(report.missing) == len(pending):
        # Not one recorded request found: a mistyped [github] repository, or one the token
        # cannot see, answers 404 for all of them. A failure, not "nothing learned".
        report.error = (
            f"GitHub finds none of the {len(pending)} recorded pull request(s) (404): is "
            f"[github] repository = {gh.repository!r} right, and can the token see it?"
        )
    return report
