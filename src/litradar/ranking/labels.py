"""What is known to be relevant, and where: labels from the list and from the survey."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from litradar.core.errors import LitradarError
from litradar.curation.awesome_list import AwesomeList


@dataclass
class Labels:
    """Relevant arXiv ids, the subset that is on the list, and known sections."""

    relevant: set[str] = field(default_factory=set)
    on_list: set[str] = field(default_factory=set)
    section: dict[str, str] = field(default_factory=dict)
    list_sections: list[str] = field(default_factory=list)
    # The maintainer's own decisions (feedback on pull requests, `litradar label`).
    accepted: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)


def load_survey_citations(path: Path) -> dict[str, list[str]]:
    """arXiv id -> the survey sections citing it ('4.6 Sparse Autoencoders: ...')."""
    if not path.is_file():
        raise LitradarError(f"survey bibliography not found: {path}")
    cited: dict[str, list[str]] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        message = f"{path}: not UTF-8 text (a survey bibliography is JSON lines)"
        raise LitradarError(message) from None
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except (json.JSONDecodeError, RecursionError):
            raise LitradarError(f"{path}:{line_no}: malformed JSON") from None
        if not isinstance(record, dict):
            raise LitradarError(f"{path}:{line_no}: not a JSON object")
        arxiv_id = record.get("arxiv_id")
        if isinstance(arxiv_id, str) and arxiv_id:
            sections = record.get("survey_sections_all") or [record.get("survey_section") or ""]
            if not isinstance(sections, list):
                raise LitradarError(f"{path}:{line_no}: survey_sections_all is not a list")
            cited.setdefault(arxiv_id, []).extend(s for s in sections if isinstance(s, str) and s)
    return cited


def map_survey_section(section: str, mapping: dict[str, str]) -> str | None:
    """'4.6 Sparse Autoencoders: ...' -> the list section configured for '4.6' (or for '4')."""
    number = section.split(" ", 1)[0]
    best = None
    for prefix, target in mapping.items():
        if (number == prefix or number.startswith(prefix + ".")) and (
            best is None or len(prefix) > len(best[0])
        ):
            best = (prefix, target)
    return best[1] if best else None


def collect_labels(
    awesome: AwesomeList,
    survey: dict[str, list[str]] | None,
    survey_map: dict[str, str],
) -> Labels:
    labels = Labels(list_sections=awesome.section_names())
    for entry in awesome.papers:
        assert entry.key is not None
        labels.relevant.add(entry.key)
        labels.on_list.add(entry.key)
        labels.section.setdefault(entry.key, entry.section_name)
    for arxiv_id, sections in (survey or {}).items():
        labels.relevant.add(arxiv_id)
        if arxiv_id in labels.section:
            continue
        for section in sections:
            target = map_survey_section(section, survey_map)
            if target in labels.list_sections:
                labels.section[arxiv_id] = target
                break
    return labels


def apply_decisions(labels: Labels, decisions: list[dict]) -> Labels:
    """A maintainer's decision overrides what the list file and the survey imply: an
    accepted paper counts as on the list, in the section the maintainer chose; a rejected
    one counts as not relevant, even if the survey cites it."""
    for decision in decisions:
        key = decision["key"]
        if decision["relevant"]:
            labels.accepted.add(key)
            labels.rejected.discard(key)
            labels.relevant.add(key)
            labels.on_list.add(key)
            if decision.get("section") in labels.list_sections:
                labels.section[key] = decision["section"]
        else:
            labels.rejected.add(key)
            labels.accepted.discard(key)
            labels.relevant.discard(key)
            labels.on_list.discard(key)
            labels.section.pop(key, None)
    return labels
