"""`litradar backtest`: replay a list's git history and ask what litradar would have done.

At each commit that changed the list, litradar trains on the list as it stood then (and
only on papers first published before that week: no peeking), ranks each of the
following weeks' papers in the store, and looks up the papers the maintainer added to
the list later: their rank in their week (recall at 10, 25 and 50), whether the predicted
section is where the maintainer put them, and how many weeks before the maintainer
litradar would have proposed them (a top-10 paper is proposed when its week's digest is
written, the Monday after). A TF-IDF + linear SVM ranker is scored on the same split.

A week of which the store holds only a few papers (the target and little else, because
only some weeks were ingested) would make any ranker look perfect: such weeks are shown,
with their targets, but not scored (`min_papers`).
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from litradar.config import Config
from litradar.core.atomic_files import atomic_write_bytes, atomic_write_text
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.core.progress import Reporter, SilentReporter
from litradar.core.terms import ScopeTerms
from litradar.curation.awesome_list import AwesomeList, parse_list
from litradar.embedding.encoders import TextEncoder, embed_papers
from litradar.ranking.baselines import rank_of
from litradar.ranking.labels import collect_labels
from litradar.ranking.section_terms import SectionTerms
from litradar.ranking.text_svm import TfidfSvm
from litradar.ranking.training import TrainingSet, fit_placement, fit_relevance
from litradar.steps.configured_inputs import (
    default_encoder,
    load_configured_taxonomy,
    scope_terms,
    section_terms,
)
from litradar.storage.store import Store

KS = (10, 25, 50)


@dataclass
class ListVersion:
    sha: str
    day: date
    awesome: AwesomeList


@dataclass
class Target:
    """A paper the maintainer added after the point in time being replayed."""

    key: str
    added_on: date
    section: str
    rank: int = 0
    baseline_rank: int = 0
    placed_right: bool | None = None


@dataclass
class WeekResult:
    point: str  # the commit replayed
    point_day: date
    week: date  # Monday
    papers: int
    trained_on: int  # list papers known at the point and in the store
    targets: list[Target] = field(default_factory=list)
    thin: bool = False  # too few papers in the store to score this week


def list_history(repo: Path, list_file: str) -> list[ListVersion]:
    """Every commit that touched the list file, oldest first, with the list it held."""
    try:
        log = subprocess.run(
            ["git", "log", "--reverse", "--format=%H %cs", "--", list_file],
            cwd=repo, capture_output=True, text=True, check=True,
        ).stdout  # fmt: skip
    except subprocess.CalledProcessError as exc:  # git's own reason, not the command line
        why = (exc.stderr or "").strip().splitlines() or [f"git exited {exc.returncode}"]
        why = why[-1].removeprefix("fatal: ")
        raise LitradarError(f"{repo} is not a git repository with {list_file}: {why}") from None
    except (FileNotFoundError, NotADirectoryError) as exc:
        raise LitradarError(
            f"{repo} is not a git repository with {list_file}: {exc.strerror}"
        ) from None
    versions = []
    for line in log.splitlines():
        sha, day = line.split()
        shown = subprocess.run(
            ["git", "show", f"{sha}:{list_file}"], cwd=repo, capture_output=True, check=False
        )
        if shown.returncode == 0:
            text = shown.stdout.decode("utf-8", "replace")
            versions.append(ListVersion(sha[:10], date.fromisoformat(day), parse_list(text)))
    if len(versions) < 2:
        raise LitradarError(f"{list_file} in {repo} has fewer than two versions to replay")
    return versions


def _additions(versions: list[ListVersion]) -> dict[str, tuple[date, str]]:
    """Paper -> (the day it first appeared on the list, the section it appeared in)."""
    first: dict[str, tuple[date, str]] = {}
    for version in versions:
        for entry in version.awesome.papers:
            if entry.arxiv_id and entry.arxiv_id not in first:
                first[entry.arxiv_id] = (version.day, entry.section_name)
    return first


def backtest(
    config: Config,
    repo: Path,
    list_file: str = "README.md",
    weeks: int = 4,
    min_papers: int = 100,
    encoder: TextEncoder | None = None,
    reporter: Reporter | None = None,
) -> list[WeekResult]:
    reporter = reporter or SilentReporter()
    encoder = encoder or default_encoder(config)
    taxonomy = load_configured_taxonomy(config)
    terms, scope = section_terms(taxonomy), scope_terms(taxonomy)
    versions = list_history(repo, list_file)
    added = _additions(versions)
    with Store.open(config.store_path) as store:
        papers = store.papers()
        vectors, _ = embed_papers(store, papers, encoder, reporter)
    row_of = {p.key: i for i, p in enumerate(papers)}
    results: list[WeekResult] = []
    with reporter.track("backtest", len(versions) - 1) as advance:
        for version in versions[:-1]:
            results += _replay_point(
                version, papers, vectors, row_of, added, weeks, min_papers, terms, scope
            )
            advance(1)
    return results


def _replay_point(
    version: ListVersion,
    papers: list[Paper],
    vectors: np.ndarray,
    row_of: dict[str, int],
    added: dict[str, tuple[date, str]],
    weeks: int,
    min_papers: int,
    terms: SectionTerms | None = None,
    scope: ScopeTerms | None = None,
) -> list[WeekResult]:
    start = version.day - timedelta(days=version.day.weekday())
    labels = collect_labels(version.awesome, None, {})
    known = [
        i for i, p in enumerate(papers) if p.first_version_date < start or p.key in labels.on_list
    ]
    data = TrainingSet.build([papers[i] for i in known], vectors[known], labels)
    if data.y.sum() < 2:
        return []
    relevance = fit_relevance(data, scope, calibrate=False)
    baseline_svm = TfidfSvm().fit(data.texts, data.y)  # TF-IDF + linear SVM alone
    try:
        placement = fit_placement(data, labels, terms)
    except ValueError:  # no list paper of this version is in the store
        placement = None
    results = []
    for week in range(weeks):
        monday = start + timedelta(days=7 * week)
        rows = [
            i for i, p in enumerate(papers)
            if monday <= p.first_version_date < monday + timedelta(days=7)
            and p.key not in labels.on_list
        ]  # fmt: skip
        if not rows:
            continue
        score = relevance.score([papers[i].text for i in rows], vectors[rows])
        baseline = baseline_svm.decision_function([papers[i].text for i in rows])
        result = WeekResult(version.sha, version.day, monday, len(rows), int(data.y.sum()))
        result.thin = len(rows) < min_papers
        week_papers = [papers[i] for i in rows]
        sections = placement.predict(vectors[rows], week_papers) if placement else None
        for position, i in enumerate(rows):
            key = papers[i].key
            if key in added and added[key][0] > version.day:
                day, section = added[key]
                target = Target(
                    key, day, section, rank_of(score, position), rank_of(baseline, position)
                )
                if placement is not None and section in placement.classes_:
                    target.placed_right = bool(sections[position] == section)
                result.targets.append(target)
        results.append(result)
    return results


def lead_weeks(target: Target, week: date) -> float:
    """Weeks between the digest that would have proposed it and the maintainer adding it."""
    return round((target.added_on - (week + timedelta(days=7))).days / 7, 1)


def summary(results: list[WeekResult]) -> dict:
    targets = [(r, t) for r in results if not r.thin for t in r.targets]
    unscored = sum(len(r.targets) for r in results if r.thin)
    if not targets:
        return {"targets": 0, "unscored_targets": unscored}
    ranks = np.array([t.rank for _, t in targets])
    base = np.array([t.baseline_rank for _, t in targets])
    placed = [t.placed_right for _, t in targets if t.placed_right is not None]
    leads = [lead_weeks(t, r.week) for r, t in targets if t.rank <= 10]
    return {
        "targets": len(targets),
        "unscored_targets": unscored,
        **{f"recall_at_{k}": round(float((ranks <= k).mean()), 3) for k in KS},
        **{f"baseline_recall_at_{k}": round(float((base <= k).mean()), 3) for k in KS},
        "placement_accuracy": round(sum(placed) / len(placed), 3) if placed else None,
        "median_lead_weeks": float(np.median(leads)) if leads else None,
    }


def render_report(results: list[WeekResult], repo: Path, plot_name: str) -> str:
    total = summary(results)
    lines = [
        f"# litradar backtest of {repo.name}",
        "",
        "Each row replays one commit of the list: trained on the list as it stood then, "
        "ranking one following week of papers in the store. Targets are papers the "
        "maintainer added later.",
        "",
    ]
    if total["unscored_targets"]:
        lines += [
            f"{total['unscored_targets']} paper(s) added later fall in weeks of which the store "
            "holds too few papers to rank them fairly; they are listed, not scored.",
            "",
        ]
    if not total["targets"]:
        lines += ["No paper added later falls in a week the store holds: nothing to score.", ""]
    else:
        lines += [
            f"Over {total['targets']} target paper{'' if total['targets'] == 1 else 's'}: "
            f"recall@10 {total['recall_at_10']}, "
            f"@25 {total['recall_at_25']}, @50 {total['recall_at_50']} (TF-IDF + linear SVM "
            f"alone: {total['baseline_recall_at_10']}, {total['baseline_recall_at_25']}, "
            f"{total['baseline_recall_at_50']}); section right: "
            f"{'-' if total['placement_accuracy'] is None else total['placement_accuracy']}; "
            f"median lead over the maintainer: {total['median_lead_weeks']} weeks.",
            "",
            f"![recall at k]({plot_name})",
            "",
        ]
    lines += [
        "| commit | week | papers | trained on | targets | R@10 | R@25 | R@50 | SVM R@10 | "
        "section right | ranks (SVM) | lead, weeks |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        ranks = np.array([t.rank for t in r.targets]) if r.targets else np.array([])

        def recall(k: int, values: np.ndarray = ranks) -> str:
            return f"{(values <= k).mean():.2f}" if len(values) else "-"

        base = np.array([t.baseline_rank for t in r.targets]) if r.targets else np.array([])
        placed = [t.placed_right for t in r.targets if t.placed_right is not None]
        leads = [str(lead_weeks(t, r.week)) for t in r.targets if t.rank <= 10]
        if r.thin:
            targets = ", ".join(t.key for t in r.targets) or "-"
            lines.append(
                f"| {r.point} ({r.point_day}) | {r.week} | {r.papers} | {r.trained_on} | "
                f"{len(r.targets)} | not scored: too few papers |"
                + " - |" * 4
                + f" {targets} | - |"
            )
            continue
        lines.append(
            f"| {r.point} ({r.point_day}) | {r.week} | {r.papers} | {r.trained_on} | "
            f"{len(r.targets)} | {recall(10)} | {recall(25)} | {recall(50)} | "
            f"{recall(10, base)} | {f'{sum(placed)}/{len(placed)}' if placed else '-'} | "
            f"{', '.join(f'{t.key}: {t.rank} ({t.baseline_rank})' for t in r.targets) or '-'} | "
            f"{', '.join(leads) or '-'} |"
        )
    return "\n".join(lines) + "\n"


def render_plot(results: list[WeekResult], path: Path) -> None:
    """Recall at k, k = 1..100, for litradar and the TF-IDF + linear SVM baseline."""
    import io

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    scored = [t for r in results if not r.thin for t in r.targets]
    ranks = np.array([t.rank for t in scored])
    base = np.array([t.baseline_rank for t in scored])
    ks = np.arange(1, 101)
    figure, axes = plt.subplots(figsize=(6, 4), dpi=100)
    if len(ranks):
        axes.plot(ks, [(ranks <= k).mean() for k in ks], label="litradar")
        axes.plot(ks, [(base <= k).mean() for k in ks], label="TF-IDF + linear SVM", ls="--")
    axes.set_xlabel("k (top k of the week)")
    axes.set_ylabel("recall of papers added later")
    axes.set_ylim(0, 1.02)
    axes.set_title(f"backtest: {len(ranks)} target paper{'' if len(ranks) == 1 else 's'}")
    axes.grid(alpha=0.3)
    if len(ranks):
        axes.legend(loc="lower right")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", bbox_inches="tight")
    plt.close(figure)
    atomic_write_bytes(path, buffer.getvalue())


def write_backtest(results: list[WeekResult], repo: Path, out: Path) -> tuple[Path, Path]:
    out.mkdir(parents=True, exist_ok=True)
    report, plot = out / "backtest.md", out / "backtest.png"
    render_plot(results, plot)
    atomic_write_text(report, render_report(results, repo, plot.name))
    return report, plot
