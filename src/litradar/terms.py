"""How a taxonomy term is found in a paper's text.

A term matches as a whole word or phrase, with an optional plural ("neuron" finds
"neurons", not "neuronal"; "probe" finds "probes"). A term written with capitals is an
acronym or a name and matches only as written ("CLIP" is the model, "clip" a video clip);
one in lower case ignores case. The terms are data (`taxonomy.toml`), so a list on
another field brings its own.
"""

from __future__ import annotations

import re
from collections.abc import Iterable


def compile_terms(terms: Iterable[str]) -> re.Pattern[str] | None:
    """One pattern for all `terms`, longest first; None when there are none."""
    alternatives = []
    for term in sorted({t.strip() for t in terms if t.strip()}, key=len, reverse=True):
        plural = re.escape(term) + "(?:e?s)?"
        alternatives.append(plural if term != term.lower() else f"(?i:{plural})")
    if not alternatives:
        return None
    return re.compile(r"(?<!\w)(?:" + "|".join(alternatives) + r")(?!\w)")
