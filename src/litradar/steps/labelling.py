"""`litradar label`: a maintainer's correction, checked before it is stored.

The same labels table holds what `litradar feedback` learns from pull requests; the
latest decision about a paper wins, and `train` applies them over the list and survey.
"""

from __future__ import annotations

import re

from litradar.config import Config
from litradar.core.errors import LitradarError
from litradar.core.paper import is_arxiv_id, split_version
from litradar.curation.list_source import read_list
from litradar.steps.configured_inputs import load_configured_taxonomy
from litradar.storage.store import Store

ORIGIN = "litradar label"


def _parse_tags(config: Config, tags: list[str]) -> dict[str, list[str]]:
    taxonomy = load_configured_taxonomy(config)
    if tags and taxonomy is None:
        raise LitradarError("no taxonomy configured ([paths] taxonomy): tags cannot be checked")
    parsed: dict[str, list[str]] = {}
    for tag in tags:
        dimension, sep, class_name = tag.partition("=")
        if not sep or not class_name.strip():
            raise LitradarError(f"--tag {tag!r}: write it as DIMENSION=CLASS")
        assert taxonomy is not None
        known = [c.name for c in taxonomy.dimension(dimension.strip()).classes]
        if class_name.strip() not in known:
            raise LitradarError(f"--tag {tag!r}: {dimension} has no class {class_name!r}; {known}")
        classes = parsed.setdefault(dimension.strip(), [])
        if class_name.strip() not in classes:  # the same tag twice is said once
            classes.append(class_name.strip())
    return parsed


_ARXIV_FORM = re.compile(
    r"^(?:arxiv:|https?://(?:www\.|export\.)?arxiv\.org/(?:abs|pdf)/)(?P<id>.+?)(?:\.pdf)?/?$",
    re.IGNORECASE,
)


def _as_key(text: str) -> str:
    """'arXiv:2503.10602', '2503.10602v2' or its abs/pdf link as the stored key
    '2503.10602'; any other key (s2:..., doi:...) as given."""
    text = text.strip()
    found = _ARXIV_FORM.match(text)
    candidate = found["id"] if found else text
    return split_version(candidate)[0] if is_arxiv_id(candidate) else text


def record_label(
    config: Config,
    key: str,
    relevant: bool | None,
    section: str | None,
    tags: list[str],
    origin: str = ORIGIN,
    short_name: tuple[str | None] | None = None,
) -> str:
    """Stores the decision and returns a one-line description of it. `origin` says where
    it was made (the command line, the web page); a `short_name` given (a 1-tuple; None in
    it: litradar's own) is stored in the same transaction."""
    key = _as_key(key)
    if not key:
        raise LitradarError("no paper given: an arXiv id (or s2:<id>)")
    sections = read_list(config).awesome.section_names()
    if section is not None and section not in sections:
        raise LitradarError(f"section {section!r} is not a list section; choose from {sections}")
    if section is not None and relevant is False:
        raise LitradarError("--section goes with --relevant: a rejected paper has no section")
    parsed = _parse_tags(config, tags)
    with Store.open(config.store_path) as store:
        paper = store.by_key(key)
        if paper is None:
            raise LitradarError(f"{key} is not in the store: ingest it first")
        # Under the paper's own key (its arXiv id when it has one), whichever key named it
        # (doi:..., s2:...): training and the pull request look decisions up by that key,
        # and a second row under another key was a decision that never applied.
        key = paper.key
        store.decide(key, relevant, section, parsed, origin, short_name)
    parts = [key]
    if relevant is not None:
        parts.append(
            "relevant" + (f" in {section}" if section else "") if relevant else "not relevant"
        )
    parts += [f"{d}={', '.join(c)}" for d, c in parsed.items()]
    return "; ".join(parts)
