"""What a reader of a digest's JSON may rely on: the page, `send` and `propose` read fields
by name and format them as numbers, so a file edited by hand, half-written by another
tool, or of another program is refused in one line naming the first bad field, not met as
a KeyError or a format error halfway through a page (json_document writes it)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, ValidationError


class _Model(BaseModel):
    # Strict: "0.3" is not a score. Other fields are not checked: newer releases add some.
    model_config = ConfigDict(strict=True, extra="ignore")


class _CloseTo(_Model):
    arxiv_id: str
    similarity: float


class _Paper(_Model):
    key: str
    title: str
    first_version_date: str
    rank: int
    relevance: float
    section: str
    section_probability: float
    proposed: bool
    near_cut: bool
    close_to: list[_CloseTo]  # read by name by the pull request
    provenance: list[str] = []
    venue: str | None = None
    section_named: tuple[str, str] | None = None
    section_uncertain: list[str] | None = None
    signals: dict[str, float] = {}
    signal_labels: dict[str, str] = {}
    top_terms: dict[str, list[str]] = {}
    tags: dict[str, list[tuple[str, float]]] = {}
    short_name: str | None = None
    summary: str | None = None
    verdict: dict | None = None


class _Document(_Model):
    papers: list[_Paper]
    proposed: int
    papers_read: int = 0
    threshold: float = 0.0
    held_back: int = 0
    since: str = ""
    until: str = ""


def digest_json_problem(text: str) -> str | None:
    """Why `text` is not a litradar digest's JSON ('papers.3.rank: Field required'), or
    None when it is one."""
    try:
        _Document.model_validate_json(text)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        return f"{where}: {first['msg']}" if where else first["msg"]
    return None
