"""One paper, one record: how two sources' records of the same paper combine.

arXiv (the API, the listing feed, the bulk files) is the authority for what the authors
wrote: title, abstract, authors, categories, versions, and the first version's date.
Semantic Scholar adds what arXiv does not know: the venue, its own id, a DOI. Neither
side's gaps erase the other's data.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from litradar.core.paper import Paper, normalise_doi
from litradar.core.plugins import has_arxiv_records


def is_arxiv_record(paper: Paper) -> bool:
    """From a source whose title, abstract and authors are arXiv's own (its class says so;
    the table of declared sources answers by name: litradar.core.plugins)."""
    return has_arxiv_records(paper.source) and paper.arxiv_id is not None


def can_be_same(stored: Paper, incoming: Paper) -> bool:
    """A DOI or title match is overruled by two different ids of the same kind."""
    for mine, theirs in (
        (stored.arxiv_id, incoming.arxiv_id),
        (stored.s2_id, incoming.s2_id),
        (normalise_doi(stored.doi), normalise_doi(incoming.doi)),
    ):
        if mine and theirs and mine != theirs:
            return False
    return True


def merge_papers(stored: Paper, incoming: Paper) -> Paper:
    """The stored record with what `incoming` adds. Returns `stored` unchanged (equal) when
    `incoming` adds nothing, which is how a re-run stays a no-op."""
    takes_text = is_arxiv_record(incoming) and (
        not is_arxiv_record(stored) or incoming.version > stored.version
    )
    base = incoming if takes_text else stored
    other = stored if takes_text else incoming
    return replace(
        stored,
        arxiv_id=stored.arxiv_id or incoming.arxiv_id,
        s2_id=stored.s2_id or incoming.s2_id,
        doi=stored.doi or normalise_doi(incoming.doi),
        title=base.title or other.title,
        abstract=base.abstract or other.abstract,
        authors=base.authors or other.authors,
        version=base.version,
        categories=base.categories or other.categories,
        comments=base.comments or other.comments,
        first_version_date=_first_version_date(stored, incoming),
        venue=incoming.venue or stored.venue,
        code_url=stored.code_url or incoming.code_url,
        source=base.source,
    )


def _first_version_date(stored: Paper, incoming: Paper) -> date:
    """arXiv's own date decides for an arXiv paper: S2's publication date (a workshop, a
    journal issue) may be months earlier and would move the paper out of its digest week.
    Between two arXiv records the earlier wins (the feed dates by announcement, the bulk
    file by submission); between two others, too."""
    mine, theirs = is_arxiv_record(stored), is_arxiv_record(incoming)
    if mine != theirs:
        return stored.first_version_date if mine else incoming.first_version_date
    return min(stored.first_version_date, incoming.first_version_date)
