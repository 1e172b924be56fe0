"""The week's proposals as one pull request against the list: `litradar propose`.

One branch per digest (`litradar/<name>`), rebuilt from the current base on each run, so
the pull request always shows the base list plus this week's entries and nothing else. A
re-run finds the open pull request and updates it; it never opens a second. A paper that is
on the list, or waits in another open litradar pull request, is not proposed again.
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass, field
from urllib.parse import unquote

from litradar import __version__
from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper, title_key
from litradar.curation.awesome_list import (
    ZERO_WIDTH_SPACE,
    AwesomeList,
    ListEntry,
    entry_for_paper,
    escape_markdown,
    markdown_text,
    parse_list,
    render_entry,
    safe_url,
)
from litradar.curation.git_repo import ListRepo
from litradar.curation.list_edit import insert_entry
from litradar.curation.list_match import match_entries
from litradar.curation.list_source import fetched_clone
from litradar.digests.digest import by_section
from litradar.digests.generations import StoredDigest
from litradar.publish.channels import Delivery, deliver
from litradar.publish.github_api import GitHub, GitHubError
from litradar.ranking.section_terms import describe_named
from litradar.storage.papers import MIN_TITLE_KEY
from litradar.storage.store import Store

log = logging.getLogger("litradar.publish")

CHANNEL = "github"
BRANCH_PREFIX = "litradar/"


@dataclass
class Proposal:
    paper: Paper
    section: str
    relevance: float
    rank: int
    section_probability: float
    close_to: list[tuple[str, float]]  # (list paper's arXiv id, similarity)
    short_name: str | None = None  # the digest's (an LLM's, or the fallback's)
    section_named: tuple[str, str] | None = None  # where the paper names the section's technique
    accepted_by: str | None = None  # the maintainer's decision that put it here (its origin)
    # The section litradar predicted, where the maintainer chose another: the probability
    # and what the paper names are evidence for that one, not for `section`.
    predicted_section: str | None = None


@dataclass
class ProposeReport:
    name: str
    branch: str
    # "opened", "updated", "unchanged", "nothing to propose"; left as it is (with a note):
    # "merged" or "closed" (feedback not yet read), "kept" (the maintainer's commits)
    status: str
    number: int | None = None
    url: str | None = None
    entries: list[str] = field(default_factory=list)  # keys of the papers in the request
    skipped: dict[str, str] = field(default_factory=dict)  # key -> why not proposed
    error: str | None = None  # why the request could not be opened (status "failed")
    note: str | None = None  # why an existing request was left as it is

    @classmethod
    def failed(cls, name: str, error: str) -> ProposeReport:
        """For a weekly run, where a failed request is reported and the next run retries."""
        return cls(name, f"{BRANCH_PREFIX}{name}", "failed", error=error)

    def summary(self) -> str:
        number = f"#{self.number} " if self.number else ""
        note = f" ({self.note})" if self.note else ""
        return self.error or f"{number}{self.status}{note}"


def recorded_report(config: Config, name: str) -> ProposeReport | None:
    """What the store records of digest `name`'s pull request, as a report ("recorded"),
    or None when none was opened."""
    if not config.store_path.is_file():
        return None
    with Store.open(config.store_path) as store:
        delivery = store.delivery(CHANNEL, name)
    if delivery is None or "number" not in delivery["detail"]:
        return None
    detail = delivery["detail"]
    return ProposeReport(
        name, detail.get("branch", f"{BRANCH_PREFIX}{name}"), "recorded",
        number=detail["number"], url=detail.get("url"), entries=list(detail.get("entries", {})),
    )  # fmt: skip


# What GitHub links in a pull request's text once its markdown is rendered (entities and
# escapes decoded first, so '&#64;' and '\\#' do not stop it): a mention, an issue or pull
# request number ('#12', 'owner/repo#12', 'GH-12'). A zero-width space after the '@', the
# '#' or the '-' leaves the text as it reads and links nothing (as Renovate writes them).
_REFERENCE = re.compile(rf"(?i)(@(?!{ZERO_WIDTH_SPACE})|(?<!&)#(?=\d)|\bGH-(?=\d))")


def inert(text: str) -> str:
    """Untrusted text for a pull request: escaped markdown that mentions nobody, links no
    issue and closes none ('fixes #123' in a merged body would)."""
    return _REFERENCE.sub(lambda m: m[0] + ZERO_WIDTH_SPACE, escape_markdown(text))


def load_proposals(
    config: Config, digest: StoredDigest, capped: bool = True
) -> tuple[list[Proposal], int, dict[str, str]]:
    """What the pull request adds, best first: the papers of the digest's window the
    maintainer accepted (`litradar label`, the web page), in the section and under the
    short name they chose; then the digest's proposals above `min_score` that nobody
    rejected. At most `max_entries` when `capped`, but an accepted paper is never cut
    (the pull request caps after it has left out what the list holds). Also the window's
    size, and the proposals left out because the maintainer rejected them (key -> why)."""
    document = digest.document
    with Store.open(config.store_path) as store:
        decisions = {label["key"]: label for label in store.labels()}
        names = store.short_names()
        accepted, wanted, rejected = [], [], {}
        for item in document["papers"]:
            decision = decisions.get(item["key"])
            if decision is not None and decision["relevant"]:
                accepted.append(item)
            elif decision is not None:
                if item["proposed"]:
                    rejected[item["key"]] = f"rejected by the maintainer ({decision['origin']})"
            elif item["proposed"] and item["relevance"] >= config.github.min_score:
                wanted.append(item)
        accepted.sort(key=_best_first)
        wanted.sort(key=_best_first)
        if capped:
            wanted = wanted[: max(0, config.github.max_entries - len(accepted))]
        proposals = []
        for item in accepted + wanted:
            paper = store.by_key(item["key"])
            if paper is None:
                continue
            decision = decisions.get(item["key"])
            section = (decision and decision["section"]) or item["section"]
            proposals.append(
                Proposal(
                    paper=paper,
                    section=section,
                    relevance=item["relevance"],
                    rank=item["rank"],
                    section_probability=item["section_probability"],
                    close_to=[(c["arxiv_id"], c["similarity"]) for c in item["close_to"]],
                    short_name=names.get(item["key"]) or item.get("short_name"),
                    # What the paper names is evidence for the predicted section only.
                    section_named=(
                        _named(item.get("section_named")) if section == item["section"] else None
                    ),
                    accepted_by=decision["origin"] if decision else None,
                    predicted_section=item["section"] if section != item["section"] else None,
                )
            )
    return proposals, len(document["papers"]), rejected


def _placement(p: Proposal) -> str:
    if p.predicted_section is not None:
        return (
            f"section chosen by the maintainer; litradar predicted {inert(p.predicted_section)} "
            f"(probability {p.section_probability:.2f})"
        )
    named = describe_named(p.section_named, inert)
    return f"section probability {p.section_probability:.2f}{named}"


def _unread_pull(api: GitHub, previous: dict | None, branch: str) -> dict | None:
    """{state: merged or closed, number, url} of the digest's recorded pull request when it
    has ended and `feedback` has not read it yet, else None. A number GitHub does not know
    (404), or one of another branch (the repository changed), is not this digest's."""
    detail = (previous or {}).get("detail") or {}
    number = detail.get("number")
    if (previous or {}).get("status") != "proposed" or not isinstance(number, int):
        return None
    try:
        pull = api.pull(number)
    except GitHubError as exc:
        if exc.status == 404:
            return None
        raise
    head = pull.get("head")
    if pull.get("state") == "open" or not isinstance(head, dict) or head.get("ref") != branch:
        return None
    state = "merged" if pull.get("merged_at") else "closed"
    return {"state": state, "number": number, "url": detail.get("url")}


def _others_commits(repo: ListRepo, base: str, branch: str, pushed: str | None) -> int:
    """How many commits on the pull request's branch someone other than litradar made:
    beyond the commit litradar last pushed (`pushed`, recorded with the request), or, for a
    request recorded without it, those by another author than litradar's."""
    if not repo.has_branch(branch):
        return 0
    tip = f"refs/remotes/origin/{branch}"
    if pushed:
        if repo.git("rev-parse", tip).stdout.strip() == pushed:
            return 0
        known = repo.git("cat-file", "-e", f"{pushed}^{{commit}}", check=False).returncode == 0
        span = f"{pushed}..{tip}" if known else f"refs/remotes/origin/{base}..{tip}"
        return max(1, int(repo.git("rev-list", "--count", span).stdout.strip() or 0))
    authors = repo.git("log", "--format=%ae", f"refs/remotes/origin/{base}..{tip}").stdout.split()
    return sum(1 for email in authors if email != repo.author[1])


def _best_first(item: dict) -> tuple[float, str]:
    return -item["relevance"], item["key"]


def _named(value: object) -> tuple[str, str] | None:
    if isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value):
        return value[0], value[1]
    return None  # digests written before placement named techniques


def pull_request_body(
    name: str, proposals: list[Proposal], awesome: AwesomeList, window_size: int
) -> str:
    names = awesome.paper_names()
    lines = [
        f"litradar proposes {len(proposals)} paper(s) from its digest **{name}** "
        f"({window_size} papers read). Each entry is in the section litradar predicts, or "
        "the one the maintainer chose, in the list's own format and order.",
        "",
    ]
    for section, chosen in by_section(proposals, awesome.section_names()):
        lines += [f"### {inert(section)}", ""]
        for p in chosen:
            close = ", ".join(f"{inert(names.get(a, a))} ({s:.2f})" for a, s in p.close_to)
            found_by = "; ".join(inert(v.describe()) for v in p.paper.provenance) or "unknown"
            lines += [
                f"- [{inert(p.paper.title)}]({safe_url(p.paper.abs_url)}) "
                f"({p.paper.first_version_date.isoformat()})",
                f"  - score {p.relevance:.2f} (rank {p.rank} of {window_size}), "
                + _placement(p),
                f"  - close to: {close or 'none'}",
                f"  - found by: {found_by}",
                *([f"  - accepted by the maintainer ({inert(p.accepted_by)})"]
                  if p.accepted_by else []),
            ]  # fmt: skip
        lines.append("")
    lines += [
        "### Review checklist",
        "",
        "- [ ] Each paper belongs on the list (delete the entries that do not)",
        "- [ ] Each entry sits in the right section (move it if not)",
        "- [ ] Short names, titles, dates and links read right",
        "",
        f"Merged entries teach litradar what belongs; closing without merging tells it these "
        f"papers do not (`litradar feedback`). Opened by litradar {__version__}.",
    ]
    return "\n".join(lines) + "\n"


def _commit_message(name: str, proposals: list[Proposal]) -> str:
    """Ids only: titles are untrusted and a commit message is forever."""
    keys = "\n".join(f"- {p.paper.key}" for p in proposals)
    return f"litradar: add {len(proposals)} paper(s) proposed in digest {name}\n\n{keys}\n"


def _on_list(paper: Paper, awesome: AwesomeList) -> bool:
    """The paper is on this list: by key (any link the entry matched by), by its arXiv
    link as written, or by its normalised title."""
    titles = {title_key(markdown_text(e.title)) for e in awesome.entries}
    urls = {unquote(e.url) for e in awesome.entries}  # however the link was encoded
    return (
        paper.key in awesome.keys
        or paper.abs_url in urls
        or (len(title_key(paper.title)) >= MIN_TITLE_KEY and title_key(paper.title) in titles)
    )


def _in_other_pulls(repo: ListRepo, pulls: list[dict], branch: str, list_file: str,
                    on_list: set[str], store: Store) -> dict[str, int]:  # fmt: skip
    waiting: dict[str, int] = {}
    for pull in pulls:
        ref = pull["head"]["ref"]
        if not ref.startswith(BRANCH_PREFIX) or ref == branch or not repo.has_branch(ref):
            continue
        for entry in match_entries(parse_list(repo.read(ref, list_file)), store).entries:
            if entry.key and entry.key not in on_list:
                waiting.setdefault(entry.key, pull["number"])
    return waiting


def connect(config: Config) -> tuple[GitHub, ListRepo]:
    """The API client (which checks `[github] repository` first) and the list's repository,
    fetched once per run (the fetch the list was read from, if it was), both with the token
    from the environment."""
    gh = config.github
    api = GitHub(gh, os.environ.get(gh.token_env) or None)
    try:
        repo = fetched_clone(config)
        if not repo.has_branch(gh.base):
            raise LitradarError(f"the list repository has no branch '{gh.base}' ([github] base)")
    except LitradarError:
        api.close()
        raise
    return api, repo


def propose(config: Config, name: str | None = None) -> ProposeReport:
    return deliver(PullRequestChannel(), config, name)


@dataclass
class PullRequestChannel:
    """The week's proposals as a pull request, opened or brought up to date on each run
    (see litradar.publish.channels)."""

    name: str = CHANNEL
    title: str = "pull request"

    def enabled(self, config: Config) -> bool:
        return config.github.enabled

    def check(self, config: Config) -> None:
        """A missing token is said before anything is sent (a local remote and an API that
        asks for none still work, so it is a warning); the clone is checked when it
        connects."""
        gh = config.github
        if not gh.repository:  # no pull request can go anywhere: say that, not the token
            raise LitradarError("set [github] repository = 'owner/name' in litradar.toml")
        if not os.environ.get(gh.token_env):
            log.warning(
                f"warning: ${gh.token_env} is not set: the pull request goes to {gh.api_url} "
                "without a token, which GitHub refuses ([github] token_env names the variable)"
            )

    def failed(self, digest: str, error: str) -> ProposeReport:
        return ProposeReport.failed(digest, error)

    def deliver(self, config: Config, delivery: Delivery) -> ProposeReport:
        return _open_or_update(config, delivery)


def _open_or_update(config: Config, delivery: Delivery) -> ProposeReport:
    gh, name = config.github, delivery.digest.name
    # Capped below, among the papers that go in: merged papers of the window are accepted
    # ones too, and counted before the list was read they took the places of new ones.
    proposals, window_size, rejected = load_proposals(config, delivery.digest, capped=False)
    api, repo = connect(config)
    base_text = repo.read(gh.base, gh.list_file)
    branch = f"{BRANCH_PREFIX}{name}"
    report = ProposeReport(name, branch, "nothing to propose", skipped=dict(rejected))
    with api, Store.open(config.store_path) as store:
        awesome = match_entries(parse_list(base_text), store)
        pulls = api.open_pulls()
        ours = next((p for p in pulls if p["head"]["ref"] == branch), None)
        previous = delivery.previous()
        if ours is None and (ended := _unread_pull(api, previous, branch)) is not None:
            # The maintainer merged or closed this digest's request and `feedback` has not
            # read it yet: a new request would propose what they just turned down and take
            # the record their decisions are read from. Once read (status "decided"), their
            # answer is stored as labels, and a new request holds only what is left.
            report.status, report.number, report.url = ended["state"], ended["number"], ended["url"]
            report.note = (
                f"the maintainer {ended['state']} it; run 'litradar feedback' first (the weekly "
                "run does), which stores their decisions: then a new request can hold the rest"
            )
            return report
        head = ((previous or {}).get("detail") or {}).get("head")
        if ours is not None and (edits := _others_commits(repo, gh.base, branch, head)):
            # Their review edits (an entry moved, renamed, deleted) are on the branch: a
            # rebuilt branch would force-push them away.
            report.status, report.number, report.url = "kept", ours["number"], ours.get("html_url")
            report.note = (
                f"its branch has {edits} commit(s) litradar did not make (the maintainer's "
                "edits): left as it is"
            )
            return report
        waiting = _in_other_pulls(repo, pulls, branch, gh.list_file, awesome.keys, store)
        sections = set(awesome.section_names())
        chosen: list[Proposal] = []
        entries: list[ListEntry] = []
        new_text = base_text
        for p in proposals:
            key = p.paper.key
            if _on_list(p.paper, match_entries(parse_list(new_text), store)):
                # Checked against the file being written, with each entry added so far: a
                # paper the list holds under any link, or twice in a digest, goes in once.
                report.skipped[key] = "already on the list"
            elif key in waiting:
                report.skipped[key] = f"waiting in pull request #{waiting[key]}"
            elif p.section not in sections:
                report.skipped[key] = f"section '{p.section}' is not in the list"
            elif p.accepted_by is None and len(chosen) >= gh.max_entries:
                report.skipped[key] = f"beyond [github] max_entries ({gh.max_entries})"
            else:
                entry = entry_for_paper(
                    p.paper, awesome.section_path(p.section), p.short_name, awesome.style
                )
                new_text = insert_entry(new_text, entry)
                chosen.append(p)
                entries.append(entry)
        if not chosen:
            return report
        title = f"litradar: {len(chosen)} paper(s) proposed from digest {name}"
        body = pull_request_body(name, chosen, awesome, window_size)
        pushed = False
        if not (repo.has_branch(branch) and repo.read(branch, gh.list_file) == new_text):
            head = repo.commit_and_push(
                branch, gh.base, gh.list_file, new_text, _commit_message(name, chosen)
            )
            pushed = True
        elif not head:  # unchanged, recorded by a release before heads: the branch's tip
            head = repo.git("rev-parse", f"refs/remotes/origin/{branch}").stdout.strip()
        if ours is None:
            try:
                ours = api.create_pull(title, body, branch, gh.base)
                report.status = "opened"
            except GitHubError as exc:
                if "already exists" not in str(exc):
                    raise
                ours = next(p for p in api.open_pulls() if p["head"]["ref"] == branch)
        if report.status != "opened":
            if ours.get("title") != title or ours.get("body") != body:
                ours = api.update_pull(ours["number"], title, body)
                report.status = "updated"
            else:
                report.status = "updated" if pushed else "unchanged"
    report.number, report.url = ours["number"], ours.get("html_url")
    report.entries = [p.paper.key for p in chosen]
    delivery.record(
        "proposed",
        {
            "number": report.number,
            "url": report.url,
            "branch": branch,
            "head": head,  # what litradar pushed: any other tip is someone else's commits
            "entries": {p.paper.key: p.section for p in chosen},
            "lines": {
                p.paper.key: render_entry(e, awesome.style)
                for p, e in zip(chosen, entries, strict=True)
            },
        },
    )
    return report
