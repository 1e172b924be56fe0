"""Phrases that set one set of papers apart from another: the draft of a new list's terms.

The method is the log-odds ratio of document frequencies with its z-score (as in Monroe,
Colaresi and Quinn's "Fightin' Words", 2008, with the add-one-half prior): for each word
or phrase of one to three words, how much more often the list's papers use it than the
rest of the store, divided by its standard error. The z-score, not the raw ratio, ranks
them: a phrase that three list papers use and no other paper has a large ratio and a
large error, one that forty list papers use against a handful elsewhere is the field's
word. It needs no model and no tuning, and its output is a draft the maintainer reads.

Phrases hold no stop word and no word every abstract uses ("of the", "we propose",
"results" are not terms), no bare number, and do not cross punctuation; a phrase inside a
better one with about the same support is dropped ("object" beside "object
hallucination"). Words are singularised by a plain rule, so
that "LVLMs" and "LVLM" count as one; `compile_terms` finds the plural again.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

_TOKEN = re.compile(r"[A-Za-z][A-Za-z0-9]*(?:[-'][A-Za-z0-9]+)*")
# Words that every research abstract uses: never a term's first or last word.
_FILLER = frozenset(
    [
        "paper",
        "papers",
        "propose",
        "proposed",
        "proposes",
        "method",
        "methods",
        "approach",
        "approaches",
        "result",
        "results",
        "show",
        "shows",
        "shown",
        "use",
        "used",
        "using",
        "based",
        "novel",
        "new",
        "work",
        "works",
        "existing",
        "demonstrate",
        "demonstrates",
        "performance",
        "task",
        "tasks",
        "study",
        "studies",
        "present",
        "presents",
        "introduce",
        "introduces",
        "introduced",
        "furthermore",
        "moreover",
        "however",
        "specifically",
        "significantly",
        "effectively",
        "effective",
        "various",
        "different",
        "extensive",
        "experiment",
        "experiments",
        "finally",
        "recent",
        "recently",
        "code",
        "available",
        "github",
        "com",
        "https",
        "http",
        "www",
        "leverage",
        "leverages",
        "including",
        "include",
        "includes",
        "achieve",
        "achieves",
    ]
)
_STOP = frozenset(ENGLISH_STOP_WORDS) | _FILLER


@dataclass(frozen=True)
class DraftTerm:
    """A phrase as it should be written in taxonomy.toml, and the evidence for it."""

    term: str  # the most common surface form: "LVLM", "object hallucination"
    in_list: int  # list papers that use it
    in_rest: int  # other papers that use it
    z: float  # the log-odds ratio's z-score

    @property
    def is_name(self) -> bool:
        """Holds a name or an acronym ("LLaVA", "GPT-4V", "LVLM"): matched as written,
        where a lower-case phrase ignores case."""
        return any(_is_name(word) for word in self.term.split())


_NOT_PLURAL = frozenset(("lens", "news", "series", "species", "always", "physics", "bias"))


def _singular(word: str) -> str:
    lower = word.lower()
    if lower in _NOT_PLURAL:
        return word
    if len(word) > 4 and lower.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and lower.endswith("s") and not lower.endswith(("ss", "us", "is", "as")):
        return word[:-1]
    return word


_URL = re.compile(r"\S+://\S+|\S+\.(?:com|org|io)/\S*")
_SEGMENT = re.compile(r"[.,;:!?()\[\]{}\"]+\s*")


def _is_name(word: str) -> bool:
    """'LVLM', 'LLaVA', 'GPT-4V': capitals past a part's first letter (not a title's)."""
    return any(
        (len(part) > 1 and part.isupper()) or any(c.isupper() for c in part[1:])
        for part in word.split("-")
    )


def _phrases(text: str, longest: int = 3) -> dict[str, str]:
    """Lower-cased phrase -> its form in this text (names keep their capitals, other words
    are lower-cased), for each phrase of one to `longest` words within a clause (never
    across punctuation, so "models (LVLMs)" is no phrase), without stop words, and not
    ending in "-ed" or "-ly" when longer than a word ("have demonstrated")."""
    found: dict[str, str] = {}
    for segment in _SEGMENT.split(_URL.sub(" ", text)):
        words = [_singular(w) for w in _TOKEN.findall(segment)]
        shown = [w if _is_name(w) else w.lower() for w in words]
        for n in range(1, longest + 1):
            for i in range(len(words) - n + 1):
                gram = [w.lower() for w in words[i : i + n]]
                if any(w in _STOP or len(w) < 2 for w in gram):
                    continue
                if n > 1 and gram[-1].endswith(("ed", "ly")):
                    continue
                found.setdefault(" ".join(gram), " ".join(shown[i : i + n]))
    return found


def _surface(forms: Counter[str]) -> str:
    """The form most uses write."""
    return forms.most_common(1)[0][0]


def distinctive_terms(
    ours: Sequence[str],
    rest: Sequence[str],
    limit: int = 20,
    min_share: float = 0.1,
    min_z: float = 3.0,
) -> list[DraftTerm]:
    """The phrases of `ours` (texts) that set them apart from `rest`, best first: used by
    at least `min_share` of `ours` (and two of them), z-score at least `min_z`."""
    ours_df: Counter[str] = Counter()
    rest_df: Counter[str] = Counter()
    forms: dict[str, Counter[str]] = {}
    for text in ours:
        for key, form in _phrases(text).items():
            ours_df[key] += 1
            forms.setdefault(key, Counter())[form] += 1
    least = max(2, math.ceil(min_share * len(ours)))
    wanted = {k for k, n in ours_df.items() if n >= least}
    for text in rest:
        rest_df.update(k for k in _phrases(text) if k in wanted)
    n_ours, n_rest = len(ours), len(rest)
    scored = []
    for key in wanted:
        a, b = ours_df[key], rest_df[key]
        delta = math.log((a + 0.5) / (n_ours - a + 0.5)) - math.log((b + 0.5) / (n_rest - b + 0.5))
        var = 1 / (a + 0.5) + 1 / (n_ours - a + 0.5) + 1 / (b + 0.5) + 1 / (n_rest - b + 0.5)
        z = delta / math.sqrt(var)
        if z >= min_z:
            scored.append(DraftTerm(_surface(forms[key]), a, b, round(z, 2)))
    scored.sort(key=lambda t: (-t.z, -len(t.term), t.term))
    kept: list[DraftTerm] = []
    for term in scored:
        if not any(_redundant(term, k) for k in kept):
            kept.append(term)
        if len(kept) == limit:
            break
    return kept


def _contains(longer: str, shorter: str) -> bool:
    return bool(re.search(rf"(?<!\w){re.escape(shorter.lower())}(?!\w)", longer.lower()))


def _redundant(term: DraftTerm, kept: DraftTerm) -> bool:
    """A phrase around a kept term adds no match (the kept one finds it already); one
    inside a kept term with about its support adds only noise."""
    return _contains(term.term, kept.term) or (
        _contains(kept.term, term.term) and term.in_list <= 1.25 * kept.in_list
    )
