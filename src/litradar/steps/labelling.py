"""`litradar label`: a maintainer's correction, checked before it is stored.

The same labels table holds what `litradar feedback` learns from pull requests; the
latest decision about a paper wins, and `train` applies them over the list and survey.
"""

from __future__ import annotations

from litradar.config import Config
from litradar.core.errors import LitradarError
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
    key = key.strip()
    if not key:
        raise LitradarError("no paper given: an arXiv id (or s2:<id>)")
    sections = read_list(config).awesome.section_names()
    if section is not None and section not in sections:
        raise LitradarError(f"section {section!r} is not a list section; choose from {sections}")
    if section is not None and relevant is False:
        raise LitradarError("--section goes with --relevant: a rejected paper has no section")
    parsed = _parse_tags(config, tags)
    with Store.open(config.store_path) as store:
        if store.by_key(key) is None:
            raise LitradarError(f"{key} is not in the store: ingest it first")
        store.decide(key, relevant, section, parsed, origin, short_name)
    parts = [key]
    if relevant is not None:
        parts.append(
            "relevant" + (f" in {section}" if section else "") if relevant else "not relevant"
        )
    parts += [f"{d}={', '.join(c)}" for d, c in parsed.items()]
    return "; ".join(parts)
