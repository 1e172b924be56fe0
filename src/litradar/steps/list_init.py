"""`litradar init LIST`: a first `litradar.toml` and `taxonomy.toml` for a new list.

Everything in the draft comes from the list and its papers, nothing from the field
litradar started with:

- the sections are the list's own, each a class of one taxonomy dimension ("section"),
  with the phrases that set its papers apart from the list's other papers;
- the scope's two halves get the phrases that set the list's papers apart from the rest
  of the papers at hand (litradar.curation.draft_terms). A name or acronym ("LVLM", "GPT-4V") or
  a phrase ending in a word like "model" names what the papers study, and goes to the
  first half (`model_terms`); the other phrases name what they do, and go to the second
  (`internals_terms`). A draft: the maintainer reads and edits it;
- the contribution half ("the contribution is an analysis") is drafted only when the
  list's papers state findings clearly more often than the rest do; a list of methods
  (of mitigations, of systems) would be taught to reject its own kind of paper;
- the arXiv categories are those of the list's papers, the most common first, until nine
  in ten papers are covered.

The contrast needs papers besides the list's. Those are what the user has: the papers of
an existing store (`--config`), and arXiv bulk-metadata files (`--papers`, the format
`litradar ingest` reads), which also become the new config's `[sources] files`, so that
`litradar run` on the draft ingests them. Without any, there is nothing to contrast with,
and init says so rather than draft terms from the list's titles alone.
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from litradar.assist.term_suggest import Suggestion
from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.paper import Paper
from litradar.core.terms import ScopeTerms, compile_terms
from litradar.curation.awesome_list import AwesomeList, parse_list
from litradar.curation.draft_terms import DraftTerm, distinctive_terms
from litradar.curation.list_origin import ListOrigin
from litradar.sources.arxiv_jsonl import LineProblem, read_jsonl
from litradar.storage.store import Store

_ARXIV_LINK = re.compile(r"arxiv\.org/(?:abs|pdf)/", re.IGNORECASE)
CONFIG_NAME = "litradar.toml"
TAXONOMY_NAME = "taxonomy.toml"
LIST_COPY = "awesome_list.md"
MIN_REST = 20  # fewer papers besides the list's give no contrast worth a draft
PER_HALF = 15  # terms per scope half: more, and weak words ("visual") label half the store
# Last words of a phrase that names a kind of model or system, not a kind of work.
_SUBJECT_NOUNS = frozenset(
    ("model", "network", "transformer", "encoder", "decoder", "llm", "lm", "architecture",
     "agent", "system")
)  # fmt: skip
# How an abstract states its contribution: generic research English (the same words as
# the bundled taxonomy's, without its field's own), kept when the list is one of analyses.
ANALYSIS_TERMS = [
    "we find", "we found", "we show that", "we reveal", "reveals", "revealing", "we uncover",
    "uncovers", "we discover", "we identify", "we analyze", "we analyse", "we investigate",
    "we examine", "we study", "our analysis", "our findings", "our results reveal",
    "our results show", "findings", "insight", "shed light", "sheds light", "explain",
    "explanation", "analysis", "analyzing", "analysing", "investigation", "we ask",
    "surprisingly", "we hypothesize", "evidence",
]  # fmt: skip
METHOD_TERMS = [
    "we propose", "we present a novel", "we introduce a novel", "novel framework",
    "novel method", "training-free", "plug-and-play", "outperforms", "outperforming",
    "state-of-the-art", "SOTA", "accelerate", "accelerates", "acceleration", "speedup",
    "efficient", "efficiency", "surpasses", "achieves", "superior performance",
    "significantly improves", "extensive experiments",
]  # fmt: skip


@dataclass
class Draft:
    """What init found, and the two files' text."""

    awesome: AwesomeList
    list_papers: list[Paper]
    rest: int
    model_terms: list[DraftTerm]
    topic_terms: list[DraftTerm]
    section_terms: dict[str, list[DraftTerm]]
    categories: list[str]
    analysis: bool  # the contribution half is drafted
    analysis_share: tuple[float, float]  # share of list / other papers stating findings
    suggestion: Suggestion | None = None
    notes: list[str] = field(default_factory=list)


def check_list(origin: ListOrigin) -> AwesomeList:
    """The list, or one line saying why it is not one litradar can learn from."""
    awesome = parse_list(origin.text)
    if awesome.arxiv_ids:
        unfiled = [e for e in awesome.papers if not e.section_name]
        if unfiled:  # its section would be a class with no name, refused by `train` later
            raise LitradarError(
                f"{origin.shown}: line {unfiled[0].line_no}: {len(unfiled)} entr"
                f"{'y stands' if len(unfiled) == 1 else 'ies stand'} under no section heading; "
                "litradar proposes papers into the list's sections: put one ('## Papers') "
                "above them"
            )
        return awesome
    if links := len(_ARXIV_LINK.findall(origin.text)):
        raise LitradarError(
            f"{origin.shown}: {links} arXiv link{'' if links == 1 else 's'}, but none in an "
            "entry litradar reads ('- [Title](link)', with '+', '*' or '1.' too, a bold name "
            "before the link and a date, venue or badges after it, under headings)"
        )
    if not awesome.entries:
        if not awesome.sections and "](" not in origin.text:
            raise LitradarError(f"{origin.shown} is not a markdown list: no linked entries found")
        raise LitradarError(
            f"{origin.shown}: no entries found (litradar reads entries as '- [Title](link)' "
            "lines, with '+', '*' or '1.' too, under headings)"
        )
    raise LitradarError(
        f"{origin.shown}: none of its {len(awesome.entries)} entries links to arXiv; "
        "litradar learns a list from its arXiv papers"
    )


def gather_papers(files: Sequence[Path], store: Path | None) -> tuple[dict[str, Paper], list[str]]:
    """arXiv id (or key) -> paper, from the files and the store; and the bad lines skipped
    ("file:line: why", as `ingest` says them)."""
    papers: dict[str, Paper] = {}
    problems: list[str] = []
    if store is not None:
        with Store.open(store) as opened:
            for paper in opened.papers():
                papers[paper.key] = paper
    for path in files:
        for item in read_jsonl(path):
            if isinstance(item, LineProblem):
                problems.append(str(item))
            else:
                papers[item.key] = item
    return papers, problems


def _text(paper: Paper) -> str:
    return f"{paper.title}. {paper.abstract}"


def _is_subject(term: DraftTerm) -> bool:
    return term.is_name or term.term.lower().split()[-1] in _SUBJECT_NOUNS


def list_categories(papers: Iterable[Paper], cover: float = 0.9) -> list[str]:
    """The list papers' categories, most common first, until `cover` of them have one."""
    papers = list(papers)
    counts = Counter(c for p in papers for c in p.categories)
    chosen: list[str] = []
    for category, _ in counts.most_common():
        covered = sum(1 for p in papers if set(p.categories) & set(chosen))
        if papers and covered >= cover * len(papers):
            break
        chosen.append(category)
    return chosen


def draft(awesome: AwesomeList, papers: dict[str, Paper]) -> Draft:
    """The draft for `awesome` from `papers` (key -> paper): the list's own among them
    are contrasted with all the others."""
    ids = awesome.arxiv_ids
    ours = [p for key, p in papers.items() if key in ids]
    rest = [p for key, p in papers.items() if key not in ids]
    if not ours:
        raise LitradarError(
            f"none of the list's {len(ids)} arXiv papers is among the {len(papers)} papers "
            "given: --papers needs their arXiv metadata (the format 'litradar ingest' reads)"
        )
    if len(rest) < MIN_REST:
        raise LitradarError(
            f"only {len(rest)} papers besides the list's: the terms are drafted by contrast "
            f"with the rest of the field, so give at least {MIN_REST} more (--papers)"
        )
    terms = distinctive_terms(
        [_text(p) for p in ours], [_text(p) for p in rest], limit=40, min_z=4.0
    )
    by_section: dict[str, list[Paper]] = {}
    for entry in awesome.papers:
        if entry.arxiv_id and entry.arxiv_id in papers:
            by_section.setdefault(entry.section_name, []).append(papers[entry.arxiv_id])
    section_terms = {
        section: _section_terms(section, by_section) for section in awesome.section_names()
    }
    contribution = ScopeTerms(analysis=ANALYSIS_TERMS, method=METHOD_TERMS)
    share_ours = _finding_share(contribution, ours)
    share_rest = _finding_share(contribution, rest)
    notes = []
    if missing := len(ids) - len(ours):
        notes.append(f"{missing} of the list's {len(ids)} arXiv papers are not in the papers given")
    model_terms = [t for t in terms if _is_subject(t)][:PER_HALF]
    topic_terms = [t for t in terms if not _is_subject(t)][:PER_HALF]
    for half, found in (("model_terms", model_terms), ("internals_terms", topic_terms)):
        if not found:
            notes.append(f"no phrase stood out for {half}: the list and its papers alone teach it")
    return Draft(
        awesome=awesome,
        list_papers=ours,
        rest=len(rest),
        model_terms=model_terms,
        topic_terms=topic_terms,
        section_terms=section_terms,
        categories=list_categories(ours),
        analysis=share_ours >= 0.2 and share_ours >= 1.5 * share_rest,
        analysis_share=(round(share_ours, 2), round(share_rest, 2)),
        notes=notes,
    )


def _section_terms(section: str, by_section: dict[str, list[Paper]]) -> list[DraftTerm]:
    """The section's own name when its papers use it ("Logit Lens"), and the phrases that
    at least half of its papers use and the list's other papers much less; for a section
    of surveys or tools, the words by which a title says it is one."""
    inside = by_section.get(section, [])
    others = [p for name, ps in by_section.items() if name != section for p in ps]
    if own := _named_only_terms(section):  # placed only when its title names it
        return [DraftTerm(term, 0, 0, 0.0) for term in own]
    name = section.lower().removesuffix("s") if section.lower().endswith("ys") else section.lower()
    pattern = compile_terms([name])
    used = [p for p in inside if pattern is not None and pattern.search(_text(p))]
    named = [DraftTerm(name, len(used), 0, 0.0)] if used else []
    if len(inside) < 2 or not others:
        return named
    texts = ([_text(p) for p in inside], [_text(p) for p in others])
    drafted = distinctive_terms(*texts, limit=4, min_share=0.5, min_z=3.0)
    return named + [t for t in drafted if t.term.lower() != name]


def _finding_share(terms: ScopeTerms, papers: Sequence[Paper]) -> float:
    positive, _ = terms.weak_labels(papers)["contribution"]
    return float(positive.mean()) if len(papers) else 0.0


def _toml_list(values: Iterable[str], indent: str = "") -> str:
    items = [json.dumps(v, ensure_ascii=False) for v in values]
    lines, line = [], ""
    for item in items:
        if line and len(indent) + len(line) + len(item) > 90:
            lines.append(line.rstrip())
            line = ""
        line += item + ", "
    if line:
        lines.append(line.rstrip().rstrip(","))
    if len(lines) <= 1:
        return "[" + (lines[0] if lines else "") + "]"
    body = "\n".join(f"{indent}  {part}" for part in lines)
    return f"[\n{body}\n{indent}]"


def _evidence(terms: Sequence[DraftTerm], n_list: int, n_rest: int) -> str:
    shown = ", ".join(f"{t.term} {t.in_list}/{n_list} vs {t.in_rest}/{n_rest}" for t in terms[:6])
    return f"# list papers vs the rest using each: {shown}" if shown else "# none stood out"


def render_taxonomy(d: Draft) -> str:
    n, r = len(d.list_papers), d.rest
    out = [
        "# A draft taxonomy, written by `litradar init` from the list and its papers: read",
        "# it, edit it, and keep what is right. Each term matches as a whole word or phrase",
        "# with an optional plural; one written with capitals matches only as written.",
        f"# Drafted from {n} of the list's papers against {r} other papers.",
        "",
    ]
    named_only = [s for s in d.awesome.section_names() if _named_only(s)]
    out.append(f"named_only_sections = {_toml_list(named_only)}")
    out += ["", "[[dimension]]", 'name = "section"', 'title = "List section"']
    for section in d.awesome.section_names():
        terms = d.section_terms.get(section, [])
        out += [
            "",
            "  [[dimension.class]]",
            f"  name = {json.dumps(section, ensure_ascii=False)}",
            f"  description = {json.dumps(f'Papers the list files under {section}.')}",
            f"  terms = {_toml_list([t.term for t in terms], '  ')}",
        ]
    out += ["", "[list_sections]"]
    for section in d.awesome.section_names():
        name = json.dumps(section, ensure_ascii=False)
        out.append(f"{name} = [{name}]")
    out += [
        "",
        "# The list's scope, as two halves that must both hold: what its papers study",
        "# (model_terms) and what they do (internals_terms). A paper whose title names a",
        "# term of a half, or whose abstract names them often enough, is a weak positive",
        "# of that half; one that names none, a weak negative. The list and the",
        "# maintainer's decisions override them.",
        "[scope]",
        _evidence(d.model_terms, n, r),
    ]
    out += _suggested(d, "model_terms")
    out.append(f"model_terms = {_toml_list([t.term for t in d.model_terms])}")
    out += ["model_abstract_mentions = 2", _evidence(d.topic_terms, n, r)]
    out += _suggested(d, "topic_terms")
    out.append(f"internals_terms = {_toml_list([t.term for t in d.topic_terms])}")
    out.append("internals_abstract_mentions = 3")
    ours, rest = d.analysis_share
    if d.analysis:
        out += [
            f"# The contribution half: {ours:.0%} of the list's papers state findings",
            f'# ("we find", "we show that"), against {rest:.0%} of the rest.',
            f"analysis_terms = {_toml_list(ANALYSIS_TERMS)}",
            f"method_terms = {_toml_list(METHOD_TERMS)}",
        ]
    else:
        out += [
            f"# No contribution half: {ours:.0%} of the list's papers state findings",
            f'# ("we find", "we show that"), against {rest:.0%} of the rest, so the list',
            "# is not one of analyses. Add analysis_terms and method_terms if it is.",
            "analysis_terms = []",
            "method_terms = []",
        ]
    out += [
        "# How the digest names each half beside its probability: put the list's own words.",
        "[scope.labels]",
        'model = "about the list\'s subject"',
        'internals = "on the list\'s topic"',
        'contribution = "states findings, not a method"',
    ]
    return "\n".join(out) + "\n"


# Sections a paper goes in only when it names them (a paper on a survey's topic is not a
# survey), by a word in the section's name -> the words by which a paper names them.
_NAMED_ONLY = {
    "survey": ["survey", "review"], "review": ["survey", "review"],
    "tool": ["tool", "toolkit", "library"], "librar": ["tool", "toolkit", "library"],
}  # fmt: skip


def _named_only(section: str) -> bool:
    return bool(_named_only_terms(section))


def _named_only_terms(section: str) -> list[str]:
    lower = section.lower()
    return next((terms for word, terms in _NAMED_ONLY.items() if word in lower), [])


def _suggested(d: Draft, key: str) -> list[str]:
    s = d.suggestion
    if s is None:
        return []
    if s.terms is None:
        return [f"# No LLM suggestion: {s.note}"]
    terms = getattr(s.terms, key)
    return [f"# The LLM ({s.model}) suggests: {', '.join(terms) or 'nothing'}"]


def render_config(
    d: Draft, origin: ListOrigin, out_dir: Path, paper_files: Sequence[Path], llm: Config | None
) -> str:
    """The config for the new list; paths relative to `out_dir`, where it is written."""

    def rel(path: Path) -> str:
        return Path(os.path.relpath(path.resolve(), out_dir.resolve())).as_posix()

    list_path = rel(origin.file) if origin.file else LIST_COPY
    files = [rel(p) for p in paper_files]
    out = [
        "# litradar configuration for this list, drafted by `litradar init`. Paths are",
        "# relative to this file. `litradar run --since D --until D` runs the weekly flow.",
        "",
        "[paths]",
        'data_dir = "index"',
        f"list = {json.dumps(list_path)}",
        'survey_bibliography = ""   # none; a survey\'s bibliography (JSON lines) teaches more',
        f"taxonomy = {json.dumps(TAXONOMY_NAME)}",
        'classifiers_dir = "classifiers"',
        'digests_dir = "digests"',
        "",
        "[sources]",
        f"files = {_toml_list(files)}",
        "# The categories the list's papers come from (how many of them carry each: "
        + ", ".join(f"{c} {sum(c in p.categories for p in d.list_papers)}" for c in d.categories)
        + ").",
        f"categories = {_toml_list(d.categories)}",
        'live = []   # in production: ["arxiv", "feed", "s2"]',
        "",
        "# What the live sources search for, from the drafted terms (the defaults are",
        "# another field's): the first words of each half together.",
        "[sources.arxiv]",
        f"queries = {_toml_list(arxiv_queries(d))}",
        "",
        "[sources.s2]",
        f"queries = {_toml_list(s2_queries(d))}",
        "",
        "[embedding]",
        'model = "all-MiniLM-L6-v2"   # "hashing": a torch-free encoder for tests',
        "",
        "[digest]",
        "size = 15",
        "near_cut = 5",
        "",
        "[schedule]",
        'cron = "0 7 * * 1"',
        'timezone = "UTC"',
    ]
    if origin.git_url:
        out += [
            "",
            "# The list is read from its repository's base branch (the file above is the",
            "# offline fallback). Set enabled = true to open pull requests against it.",
            "[github]",
            "enabled = false",
            f"repository = {json.dumps(origin.repository)}",
            f"git_url = {json.dumps(origin.git_url)}",
            f"base = {json.dumps(origin.base or 'main')}",
            f"list_file = {json.dumps(origin.list_file)}",
        ]
    if llm is not None and llm.llm.enabled:
        out += [
            "",
            "[llm]",
            "enabled = true",
            f"base_url = {json.dumps(llm.llm.base_url)}",
            f"model = {json.dumps(llm.llm.model)}",
        ]
    return "\n".join(out) + "\n"


def _query_pairs(d: Draft, n: int = 3) -> list[tuple[str, str | None]]:
    subject = d.model_terms[0].term if d.model_terms else None
    topics = [t.term for t in d.topic_terms[:n]] or [t.term for t in d.model_terms[:n]]
    return [(topic, subject if subject != topic else None) for topic in topics]


def arxiv_queries(d: Draft) -> list[str]:
    """'abs:"object hallucination" AND abs:"LVLM"': the arXiv API's search syntax."""
    return [
        f'abs:"{topic}"' + (f' AND abs:"{subject}"' if subject else "")
        for topic, subject in _query_pairs(d)
    ]


def s2_queries(d: Draft) -> list[str]:
    """Semantic Scholar's keyword search takes plain words."""
    return [f"{topic} {subject}" if subject else topic for topic, subject in _query_pairs(d)]


def check_writable(out_dir: Path, names: Iterable[str], force: bool) -> None:
    """Refuse early, before any work, to replace the maintainer's files."""
    if out_dir.exists() and not out_dir.is_dir():
        raise LitradarError(
            f"--out {out_dir} is a file: give the folder to write litradar.toml and "
            "taxonomy.toml into"
        )
    for name in names:
        if (out_dir / name).exists() and not force:
            raise LitradarError(f"{out_dir / name} exists; --force replaces it")


def write_files(out_dir: Path, files: dict[str, str], force: bool) -> list[Path]:
    """Write each file into `out_dir`; none is written when one exists, unless `force`."""
    check_writable(out_dir, files, force)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        (out_dir / name).write_text(text, encoding="utf-8")
        written.append(out_dir / name)
    return written
