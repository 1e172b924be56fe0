"""`litradar propose`: a real git remote, a fake GitHub on 127.0.0.1 built from the
recorded API responses, and the exact README diff checked."""

from __future__ import annotations

import difflib
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from typer.testing import CliRunner

from litradar.cli import app
from litradar.config import load_config
from litradar.core.paper import Paper, Provenance
from litradar.curation.awesome_list import (
    entry_for_paper,
    escape_markdown,
    load_list,
    parse_list,
    render_entry,
)
from litradar.curation.list_edit import insert_entry
from litradar.digests.generations import write_digest
from litradar.storage.store import Store
from tests.conftest import DEMO, write_config
from tests.digests import build_digest
from tests.fake_github import NAME, OWNER, PULLS, FakeGitHub, git, make_remote
from tests.replay import ReplayServer, Reply
from tests.test_digest import scored

runner = CliRunner()
TOKEN = "ghp_fakeTOKEN1234567890"
LIST_TEXT = (DEMO / "awesome_list.md").read_text(encoding="utf-8")

PAPERS = [
    (Paper("2503.04242", "Logit Lens Meets LLaVA: Reading Hidden States", "Abs.", ("A",),
           date(2025, 3, 12), provenance=(Provenance("cites", "Beyond Logit Lens"),)),
     "Logit Lens", 0.91),
    (Paper("2503.05555", "Tracing @octocat <b>Causes</b> | in `VLMs` ](http://x)", "Abs.", ("B",),
           date(2025, 3, 10), provenance=(Provenance("arxiv", "cs.CV"),)),
     "Causal Tracing", 0.80),
    (Paper("2411.19187", "Beyond Logit Lens (already on the list)", "Abs.", ("C",),
           date(2024, 11, 28)), "Logit Lens", 0.70),
]  # fmt: skip


def write_week(project: Path, name_since: date = date(2025, 3, 10)) -> None:
    config = load_config(project / "litradar.toml", environ={})
    awesome = load_list(DEMO / "awesome_list.md")
    with Store.open(config.store_path, create=True) as store:
        store.upsert([p for p, _, _ in PAPERS])
    items = []
    named = {"2503.04242": ("title", "Logit Lens"), "2503.05555": ("title", "<b>Causes</b>")}
    for paper, section, score in PAPERS:
        item = scored(paper)
        items.append(
            replace(item, section=section, relevance=score, section_named=named.get(paper.key))
        )
    digest = build_digest(items, awesome, name_since, date(2025, 3, 17), 5, 0.0, "t", [])
    write_digest(digest, awesome, project / "digests")


def github_config(server: ReplayServer, remote: Path) -> str:
    return (
        f'[github]\nrepository = "{OWNER}/{NAME}"\napi_url = "{server.url}"\n'
        f'git_url = "{remote}"\nbase = "main"\nmax_entries = 5\nmax_wait_seconds = 0\n'
    )


def propose(project: Path, *args: str):
    return runner.invoke(
        app,
        ["propose", *args, "--config", str(project / "litradar.toml")],
        env={"GITHUB_TOKEN": TOKEN},
    )


@pytest.fixture
def setup(project: Path, tmp_path: Path):
    remote = make_remote(tmp_path, LIST_TEXT)
    with ReplayServer() as server:
        fake = FakeGitHub(server)
        write_config(project, extra=github_config(server, remote))
        write_week(project)
        yield project, remote, server, fake


def test_one_pull_request_with_the_exact_readme_change_then_a_rerun_changes_nothing(setup):
    project, remote, server, fake = setup
    first = propose(project)
    assert first.exit_code == 0, first.output
    assert "pull request #1 opened: 2 paper(s) on branch litradar/2025-W11" in first.output

    # The README on the branch is the base plus exactly the two entries, in place.
    branch_text = git(remote, "show", "litradar/2025-W11:README.md")
    awesome = parse_list(LIST_TEXT)
    expected = [render_entry(entry_for_paper(p, awesome.section_path(s))) for p, s, _ in PAPERS[:2]]
    diff = list(difflib.ndiff(LIST_TEXT.splitlines(True), branch_text.splitlines(True)))
    assert not [d for d in diff if d.startswith("- ")]
    added = "".join(d[2:] for d in diff if d.startswith("+ "))
    assert all(f"{e}\n" in added for e in expected)
    assert len([d for d in diff if d.startswith("+ ")]) == 2 * 3  # 2 lines and a blank each
    logit = [e.arxiv_id for e in parse_list(branch_text).entries if e.section_name == "Logit Lens"]
    assert logit[0] == "2503.04242"  # the newest goes first in its section
    assert git(remote, "log", "--format=%s%n%b", "-1", "litradar/2025-W11").startswith(
        "litradar: add 2 paper(s) proposed in digest 2025-W11"
    )

    [pull] = fake.pulls
    assert pull["head"]["ref"] == "litradar/2025-W11" and pull["base"]["ref"] == "main"
    body = pull["body"]
    assert "score 0.91 (rank 1 of 3), section probability 0.80 (title says “Logit Lens”)" in body
    assert "close to: SAE 4 LMM (0.71)" in body
    assert "found by: cites: Beyond Logit Lens" in body and "- [ ] Each paper belongs" in body
    assert "@octocat" not in body and "<b>" not in body and "@&#8203;octocat" in body
    assert all(s.headers["Authorization"] == f"Bearer {TOKEN}" for s in server.seen)

    sha = git(remote, "rev-parse", "litradar/2025-W11")
    second = propose(project)
    assert second.exit_code == 0, second.output
    assert "pull request #1 unchanged" in second.output
    assert len(fake.pulls) == 1 and git(remote, "rev-parse", "litradar/2025-W11") == sha
    assert [s.method for s in server.seen].count("POST") == 1

    # The token is nowhere but in the Authorization header.
    workdir = project / "index" / "list-repo"
    for text in (
        first.output,
        second.output,
        body,
        (workdir / ".git" / "config").read_text(),
        git(remote, "log", "--all", "--format=%an %ae %s %b"),
        *(s.body.decode() for s in server.seen),
    ):
        assert TOKEN not in text


def test_a_paper_the_maintainer_added_meanwhile_is_not_proposed(project: Path, tmp_path: Path):
    awesome = parse_list(LIST_TEXT)
    paper, section, _ = PAPERS[1]
    by_hand = insert_entry(LIST_TEXT, entry_for_paper(paper, awesome.section_path(section)))
    remote = make_remote(tmp_path, by_hand)
    with ReplayServer() as server:
        fake = FakeGitHub(server)
        write_config(project, extra=github_config(server, remote))
        write_week(project)
        result = propose(project)
    assert result.exit_code == 0, result.output
    assert "not proposed: 2503.05555: already on the list" in result.output
    assert "pull request #1 opened: 1 paper(s)" in result.output and len(fake.pulls) == 1


DASH_LIST = """# Awesome Lenses

## Papers
### Logit Lens
- [Beyond Logit Lens](https://arxiv.org/abs/2411.19187) - ICLR 2025
- [Devils in Middle Layers](https://arxiv.org/abs/2411.16724)

### Causal Tracing
- [Understanding Multimodal LLMs](https://arxiv.org/abs/2411.10950), NeurIPS 2024
"""


def test_a_list_in_another_style_gets_its_entries_in_that_style(project: Path, tmp_path: Path):
    """The proposals follow the list's own entries ('- [Title](url)': no name, date, badge
    or blank line), at the end of their sections (a list without dates has no order to
    keep), and nothing else in the README changes."""
    remote = make_remote(tmp_path, DASH_LIST)
    with ReplayServer() as server:
        FakeGitHub(server)
        write_config(project, extra=github_config(server, remote))
        write_week(project)
        result = propose(project)
    assert result.exit_code == 0, result.output
    lens, tracing = (p for p, _, _ in PAPERS[:2])
    expected = DASH_LIST.replace(
        "(https://arxiv.org/abs/2411.16724)\n",
        f"(https://arxiv.org/abs/2411.16724)\n- [{escape_markdown(lens.title)}]({lens.abs_url})\n",
    ).replace(
        "NeurIPS 2024\n", f"NeurIPS 2024\n- [{escape_markdown(tracing.title)}]({tracing.abs_url})\n"
    )
    assert git(remote, "show", "litradar/2025-W11:README.md") == expected


def test_a_paper_waiting_in_another_open_pull_request_is_not_proposed_again(setup):
    project, _remote, _server, fake = setup
    assert propose(project).exit_code == 0
    write_week(project, name_since=date(2025, 3, 10))  # same papers...
    digests = project / "digests"
    for suffix in ("md", "json"):  # ... as next week's digest
        (digests / f"2025-W12.{suffix}").write_text(
            (digests / f"2025-W11.{suffix}").read_text().replace("2025-W11", "2025-W12")
        )
    nextweek = propose(project, "--digest", "2025-W12")
    assert nextweek.exit_code == 0, nextweek.output
    assert "2503.04242: waiting in pull request #1" in nextweek.output
    assert "nothing to propose" in nextweek.output and len(fake.pulls) == 1


def test_github_errors_are_one_line(project: Path, tmp_path: Path):
    remote = make_remote(tmp_path, LIST_TEXT)
    cases = [
        ("POST", "github_api/error_422_validation_failed.octokit.json",
         "422 Validation Failed (Label color invalid)"),
        ("GET", "github_api/error_403_rate_limit_exceeded_unauth.pygithub.json",
         "rate limit exhausted (0 of 60 requests left)"),
        ("GET", "github_api/error_403_secondary_rate_limit_search_retry_after.pygithub.json",
         "asks to wait 60 s"),
    ]  # fmt: skip
    for method, fixture, message in cases:
        with ReplayServer() as server:
            if method == "POST":
                server.on("GET", PULLS, Reply.json([]))
            server.on(method, PULLS, Reply.recorded(fixture))
            write_config(project, extra=github_config(server, remote))
            write_week(project)
            result = propose(project)
        assert result.exit_code == 1, result.output
        assert message in result.output and "Traceback" not in result.output
        assert TOKEN not in result.output


def test_merge_then_feedback_then_train_learns_what_was_accepted_and_rejected(setup):
    """The full path: propose, the maintainer deletes one entry from the branch and merges,
    `feedback` records the decisions, `train` learns from them, the next digest reports."""
    project, remote, _server, fake = setup
    args = ["--config", str(project / "litradar.toml")]
    assert runner.invoke(app, ["ingest", *args]).exit_code == 1  # nothing named
    data = project / "data"
    assert runner.invoke(app, ["ingest", str(data / "arxiv_seed.jsonl"), *args]).exit_code == 0
    assert runner.invoke(app, ["index", *args]).exit_code == 0
    assert runner.invoke(app, ["train", *args]).exit_code == 0
    metrics_file = project / "classifiers" / "metrics.json"
    positives_before = json.loads(metrics_file.read_text())["relevance"]["positives"]
    assert propose(project).exit_code == 0

    # The maintainer removes the Causal Tracing entry on the branch, then merges.
    work = remote.parent / "maintainer"
    git(remote.parent, "clone", "--quiet", "--branch", "litradar/2025-W11", str(remote), str(work))
    readme = (work / "README.md").read_text(encoding="utf-8")
    kept = [line for line in readme.split("\n") if "2503.05555" not in line]
    (work / "README.md").write_text("\n".join(kept), encoding="utf-8")
    git(work, "-c", "user.name=M", "-c", "user.email=m@example.org", "commit", "-qam", "drop one")
    git(work, "push", "--quiet", "origin", "litradar/2025-W11")
    before = runner.invoke(app, ["feedback", *args], env={"GITHUB_TOKEN": TOKEN})
    assert "pull requests still open: #1" in before.output
    fake.merge(1, remote)

    result = runner.invoke(app, ["feedback", *args], env={"GITHUB_TOKEN": TOKEN})
    assert result.exit_code == 0, result.output
    assert "accepted: 2503.04242 in Logit Lens" in result.output
    assert "rejected: 2503.05555" in result.output
    assert "feedback: 1 accepted, 1 rejected; pull requests still open: none" in result.output
    again = runner.invoke(app, ["feedback", *args], env={"GITHUB_TOKEN": TOKEN})
    assert "feedback: 0 accepted, 0 rejected" in again.output  # decided once

    trained = runner.invoke(app, ["train", *args])
    assert trained.exit_code == 0, trained.output
    assert "maintainer decisions learned from: 1 accepted, 1 rejected" in trained.output
    metrics = json.loads(metrics_file.read_text())
    assert metrics["relevance"]["positives"] == positives_before + 1  # 2503.04242 now counts
    assert metrics["decisions"] == {"accepted": 1, "rejected": 1}
    digest = runner.invoke(app, ["digest", "--since", "2025-03-17", "--until", "2025-03-24", *args])
    assert digest.exit_code == 0, digest.output
    markdown = (project / "digests" / "2025-W12.md").read_text()
    assert "- 2025-W11 (pull request #1, merged): 1 accepted, 1 rejected" in markdown


def test_propose_without_a_repository_or_a_digest_is_one_line(project: Path):
    args = ["propose", "--config", str(project / "litradar.toml")]
    # No repository: that, and not a warning about a token for a request never made.
    result = runner.invoke(app, args, env={"GITHUB_TOKEN": ""})
    assert result.exit_code == 1 and "GITHUB_TOKEN" not in result.output
    assert result.output.strip() == "error: set [github] repository = 'owner/name' in litradar.toml"
    repository = {"GITHUB_TOKEN": TOKEN, "LITRADAR_GITHUB__REPOSITORY": "o/list"}
    result = runner.invoke(app, args, env=repository)
    assert result.exit_code == 1 and "no digest in" in result.output


def test_the_maintainers_decisions_shape_the_pull_request(project: Path, tmp_path: Path):
    """Accepted (here a near-the-cut paper) goes in, in the chosen section and under the
    chosen short name; a rejected proposal stays out and the output says why."""
    remote = make_remote(tmp_path, LIST_TEXT)
    config = load_config(project / "litradar.toml", environ={})
    awesome = load_list(DEMO / "awesome_list.md")
    with ReplayServer() as server:
        fake = FakeGitHub(server)
        write_config(project, extra=github_config(server, remote))
        with Store.open(config.store_path, create=True) as store:
            store.upsert([p for p, _, _ in PAPERS])
        items = [replace(scored(p), section=s, relevance=r) for p, s, r in PAPERS]
        digest = build_digest(items, awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.85, "t")
        write_digest(digest, awesome, project / "digests")
        assert digest.proposed_ids == {"2503.04242"} and "2503.05555" in digest.near_cut_ids

        args = ["--config", str(project / "litradar.toml")]
        labelled = runner.invoke(
            app, ["label", "2503.05555", "--relevant", "--section", "Neuron Analysis", *args]
        )
        assert labelled.exit_code == 0, labelled.output
        with Store.open(config.store_path) as store:
            store.set_short_name("2503.05555", "TraceVLM", "web")
            store.set_label("2503.04242", False, None, "web")
        result = propose(project)

    assert result.exit_code == 0, result.output
    assert "not proposed: 2503.04242: rejected by the maintainer (web)" in result.output
    assert "pull request #1 opened: 1 paper(s)" in result.output
    branch = parse_list(git(remote, "show", "litradar/2025-W11:README.md"))
    added = [e for e in branch.entries if e.arxiv_id in {"2503.04242", "2503.05555"}]
    assert [(e.arxiv_id, e.section_name, e.short_name) for e in added] == [
        ("2503.05555", "Neuron Analysis", "TraceVLM")
    ]
    [pull] = fake.pulls
    assert "accepted by the maintainer (litradar label)" in pull["body"]
    assert "### Neuron Analysis" in pull["body"] and "### Causal Tracing" not in pull["body"]
    # The probability is litradar's for its own section, not for the maintainer's choice.
    assert "section chosen by the maintainer; litradar predicted Causal Tracing" in pull["body"]
    assert "no technique named" not in pull["body"]


def test_papers_already_on_the_list_take_no_place_of_new_ones(project: Path, tmp_path: Path):
    """A merged paper of the window is an accepted one (feedback stores it so): counted
    against `max_entries` before the list was read, it took the place of a new proposal,
    which was left out without a word."""
    remote = make_remote(tmp_path, LIST_TEXT)
    config = load_config(project / "litradar.toml", environ={})
    with ReplayServer() as server:
        fake = FakeGitHub(server)
        extra = github_config(server, remote).replace("max_entries = 5", "max_entries = 1")
        write_config(project, extra=extra)
        write_week(project)
        with Store.open(config.store_path) as store:
            store.set_label("2411.19187", True, "Logit Lens", "feedback")  # merged before
        result = propose(project)
    assert result.exit_code == 0, result.output
    assert "not proposed: 2411.19187: already on the list" in result.output
    assert "pull request #1 opened: 1 paper(s)" in result.output
    assert "not proposed: 2503.05555: beyond [github] max_entries (1)" in result.output
    [pull] = fake.pulls
    assert "2503.04242" in pull["body"] and "2503.05555" not in pull["body"]


def test_a_paper_listed_under_a_publisher_link_is_not_added_again(project: Path, tmp_path: Path):
    """Concept Sliders is on the list by its Springer link only, and the week proposes it
    (the digest was written without the store's match): the list file of the branch being
    written is matched against the store, so the paper is not added a second time."""
    sliders = Paper(
        "2311.12092",
        "Concept Sliders: LoRA Adaptors for Precise Control in Diffusion Models",
        "Abs.",
        ("R. Gandikota",),
        date(2025, 3, 11),
    )
    remote = make_remote(tmp_path, LIST_TEXT)
    with ReplayServer() as server:
        fake = FakeGitHub(server)
        write_config(project, extra=github_config(server, remote))
        config = load_config(project / "litradar.toml", environ={})
        with Store.open(config.store_path, create=True) as store:
            store.upsert([sliders, PAPERS[0][0]])
        awesome = load_list(DEMO / "awesome_list.md")
        assert "2311.12092" not in awesome.keys  # the digest's list, unmatched
        items = [replace(scored(p), section="Logit Lens", relevance=s)
                 for p, s in ((sliders, 0.95), (PAPERS[0][0], 0.9))]  # fmt: skip
        digest = build_digest(items, awesome, date(2025, 3, 10), date(2025, 3, 17), 5, 0.0, "t")
        write_digest(digest, awesome, project / "digests")
        result = propose(project)
    assert result.exit_code == 0, result.output
    assert "not proposed: 2311.12092: already on the list" in result.output
    assert "pull request #1 opened: 1 paper(s)" in result.output and len(fake.pulls) == 1
    branch = parse_list(git(remote, "show", "litradar/2025-W11:README.md"))
    assert "2311.12092" not in {e.arxiv_id for e in branch.entries}
    assert [e.arxiv_id for e in branch.entries].count("2503.04242") == 1


def test_a_missing_token_is_warned_about_before_anything_is_sent(setup):
    project, _remote, server, fake = setup
    result = runner.invoke(
        app, ["propose", "--config", str(project / "litradar.toml")], env={"GITHUB_TOKEN": None}
    )
    assert result.exit_code == 0, result.output  # the fake GitHub asks for no token
    warning = "warning: $GITHUB_TOKEN is not set: the pull request goes to"
    assert warning in result.stderr
    assert result.output.index(warning) < result.output.index("pull request #1 opened")
    assert all("Authorization" not in s.headers for s in server.seen)
    with_token = propose(project)
    assert "GITHUB_TOKEN is not set" not in with_token.output and len(fake.pulls) == 1


def test_a_doi_link_is_on_the_list_however_its_characters_were_encoded():
    """A release that encoded fewer characters wrote `<` raw; this one writes %3C: the
    paper is the same, and neither proposing it again nor reading its merge should miss."""
    from litradar.publish.pull_request import _on_list

    paper = Paper(None, "A DOI-only paper", "x", ("A",), date(2025, 3, 11),
                  doi="10.1002/(sici)1097-4571<3::aid-asi2>3.0.co;2-u", s2_id="abc")  # fmt: skip
    for written in (
        "https://doi.org/10.1002/%28sici%291097-4571<3::aid-asi2>3.0.co;2-u",
        "https://doi.org/10.1002/%28sici%291097-4571%3C3::aid-asi2%3E3.0.co;2-u",
    ):
        awesome = parse_list(f"## Papers\n### Tool\n+ [Another title]({written}) (2025)\n")
        assert _on_list(paper, awesome), written


def test_a_closed_or_merged_request_is_not_opened_again_and_its_decisions_wait_for_feedback(
    setup,
):
    """Re-running `propose` for a digest whose request the maintainer closed opened a second
    one with the papers they had just turned down, and took the record `feedback` reads
    their decisions from: they were lost."""
    project, _remote, server, fake = setup
    assert propose(project).exit_code == 0
    fake.close(1)
    again = propose(project)
    assert again.exit_code == 0, again.output
    assert "pull request #1 closed: the maintainer closed it; run 'litradar feedback' first" in (
        again.output
    )
    assert len(fake.pulls) == 1 and [s.method for s in server.seen].count("POST") == 1
    args = ["--config", str(project / "litradar.toml")]
    learned = runner.invoke(app, ["feedback", *args], env={"GITHUB_TOKEN": TOKEN})
    assert "feedback: 0 accepted, 2 rejected" in learned.output, learned.output
    after = propose(project)  # their answer is stored: the rejected papers stay out
    assert "digest 2025-W11: nothing to propose" in after.output and len(fake.pulls) == 1
    # A paper of the week they accept afterwards reaches a new request, alone.
    labelled = runner.invoke(app, ["label", "2503.05555", "--relevant", *args])
    assert labelled.exit_code == 0, labelled.output
    late = propose(project)
    assert "pull request #2 opened: 1 paper(s)" in late.output, late.output


def test_the_maintainers_commits_on_the_requests_branch_are_kept(setup):
    """The checklist asks the maintainer to move and delete entries on the branch; a re-run
    rebuilt the branch from the base and force-pushed their commits away."""
    project, remote, _server, fake = setup
    assert propose(project).exit_code == 0
    work = remote.parent / "maintainer"
    git(remote.parent, "clone", "--quiet", "--branch", "litradar/2025-W11", str(remote), str(work))
    readme = (work / "README.md").read_text(encoding="utf-8")
    (work / "README.md").write_text(readme.replace("2503.05555", "2503.05555 "), encoding="utf-8")
    # Under litradar's own address (a bot account of the maintainer's): told apart by the
    # commit litradar recorded pushing, not by who wrote it.
    bot = "user.email=litradar@users.noreply.github.com"
    git(work, "-c", "user.name=M", "-c", bot, "commit", "-qam", "edit")
    git(work, "push", "--quiet", "origin", "litradar/2025-W11")
    edited = git(remote, "rev-parse", "litradar/2025-W11")
    body = fake.pulls[0]["body"]
    again = propose(project)
    assert again.exit_code == 0, again.output
    assert "pull request #1 kept: its branch has 1 commit(s) litradar did not make" in again.output
    assert git(remote, "rev-parse", "litradar/2025-W11") == edited
    assert fake.pulls[0]["body"] == body and len(fake.pulls) == 1


@pytest.mark.parametrize(
    "answer",
    [
        Reply(200, b"<html>a proxy's sign-in page</html>", {"Content-Type": "text/html"}),
        Reply.json({"message": "an object, not a list"}),
        Reply.json([{"number": 1}]),  # no head branch
    ],
)
def test_an_api_answer_that_is_not_githubs_is_one_line(project: Path, tmp_path: Path, answer):
    remote = make_remote(tmp_path, LIST_TEXT)
    with ReplayServer() as server:
        server.on("GET", PULLS, answer)
        write_config(project, extra=github_config(server, remote))
        write_week(project)
        result = propose(project)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert "error:" in result.output and "GitHub GET" in result.output


def test_a_list_file_missing_on_the_base_is_said_in_litradars_words(setup):
    project, *_ = setup
    result = runner.invoke(
        app,
        ["propose", "--config", str(project / "litradar.toml")],
        env={"GITHUB_TOKEN": TOKEN, "LITRADAR_GITHUB__LIST_FILE": "LIST.md"},
    )
    assert result.exit_code == 1, result.output
    assert "LIST.md is not on branch main of" in result.output
    assert "fatal:" not in result.output and "Traceback" not in result.output


def test_one_recorded_request_github_no_longer_finds_does_not_stop_feedback(setup):
    """A 404 for one recorded request failed every `feedback` run, so the other requests'
    decisions were never read."""
    project, _remote, _server, fake = setup
    assert propose(project).exit_code == 0
    config = load_config(project / "litradar.toml", environ={})
    with Store.open(config.store_path) as store:  # an earlier week's request, gone since
        store.set_delivery("github", "2025-W10", "proposed", {"number": 2, "entries": {}})
    fake.close(1)
    args = ["--config", str(project / "litradar.toml")]
    learned = runner.invoke(app, ["feedback", *args], env={"GITHUB_TOKEN": TOKEN})
    assert learned.exit_code == 0, learned.output
    assert "warning: pull request #2 skipped: GitHub GET" in learned.output
    assert "404" in learned.output and "feedback: 0 accepted, 2 rejected" in learned.output
    # Now every request still to read is unknown to GitHub: a wrong repository, a failure.
    lost = runner.invoke(app, ["feedback", *args], env={"GITHUB_TOKEN": TOKEN})
    assert lost.exit_code == 1
    assert "GitHub finds none of the 1 recorded pull request(s) (404)" in lost.output
