"""Issue 21's moves: the folders of src/litradar/ become the layers (re-runnable).

Moves each module with `git mv` (so that git sees the renames), gives each new folder an
`__init__.py`, then rewrites every reference to a moved module in the tracked Python,
shell, TOML and markdown files: the dotted name (`litradar.store` ->
`litradar.storage.store`, in imports, `mock.patch` strings and prose alike), the form
`from litradar import store`, and the file path (`src/litradar/store.py`).

Run from anywhere: `python scripts/relayer.py`. A module already moved is skipped, and a
rewrite finds nothing left to rewrite, so a second run (after merging work that still uses
the old names, or adds files that do) changes only what still needs it.

After merging work written before the moves: run this, then `ruff check --select I --fix
src flows tests benchmarks` (import order), and keep this branch's tests/test_layers.py
(the layers are the folders: a new module needs no entry there, only the right folder).
Names this script does not know (a module split here, like digests/digest.py into
digest, markdown, json_document and generations, or storage/store.py into its parts)
need their importers pointed at the new module by hand; ruff and tests/test_layers.py's
import check find them.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "litradar"

# old module (dotted, under litradar) -> new module. Lowest layer first.
MOVES: dict[str, str] = {
    # core: the data types and plumbing every layer uses
    "errors": "core.errors",
    "paper": "core.paper",
    "extractive": "core.extractive",
    "files": "core.atomic_files",
    "progress": "core.progress",
    "http_client": "core.http_client",
    "retrying": "core.retrying",
    "terms": "core.terms",
    "window": "core.digest_window",
    "prefect_env": "core.prefect_env",
    # storage: the one connection, the record merge, the vector and lexical indexes
    "store": "storage.store",
    "merge": "storage.merge",
    "index": "storage.paper_index",
    "lexical": "storage.lexical",
    # curation: the list's format and edits, its clone, the match to the store, taxonomy
    "awesome_list": "curation.awesome_list",
    "list_edit": "curation.list_edit",
    "list_match": "curation.list_match",
    "list_source": "curation.list_source",
    "publish.git_repo": "curation.git_repo",
    "taxonomy": "curation.taxonomy",
    # (`litradar init LIST`, landing on main beside this step: moved when merged)
    "list_origin": "curation.list_origin",
    "draft_terms": "curation.draft_terms",
    # sources
    "sources.live": "sources.source_error",
    # embedding
    "embed": "embedding.encoders",
    "query_encoder": "embedding.query_encoder",
    # ranking (+ what it selects and the figures it records)
    "selection": "ranking.selection",
    "quality": "ranking.quality_figures",
    "leave_week_out": "ranking.leave_week_out",
    # digests
    "digest": "digests.digest",
    # steps: what the commands, the flows and the page run
    "loaders": "steps.configured_inputs",
    "pipeline": "steps.pipeline",
    "search": "steps.search",
    "evaluation": "steps.evaluation",
    "replay": "steps.replay",
    "backtest": "steps.backtest",
    "labelling": "steps.labelling",
    "backfill": "steps.backfill",
    "run_result": "steps.run_result",
    "scaffold": "steps.scaffold",
    "list_init": "steps.list_init",
}

NEW_PACKAGES = {
    "core": "The data types and plumbing every layer uses: no litradar import but each other.",
    "storage": "The store (the one module that writes state), its merge, and the indexes.",
    "curation": "The list and the taxonomy: their formats, edits, clone, and match to the store.",
    "embedding": "Encoders: sentence-transformers, hashing, and the ONNX query encoder.",
    "digests": "The weekly digest: what it holds, its renderings, and its generations on disk.",
    "steps": "What the commands, the flows and the page run: one function per step.",
}

SUFFIXES = {".py", ".sh", ".toml", ".md", ".cfg", ".txt"}
SKIP = ("scripts/relayer.py",)


def _path(module: str) -> Path:
    return PACKAGE.joinpath(*module.split(".")).with_suffix(".py")


def _git(*args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=ROOT, check=True, capture_output=True, text=True
    ).stdout


def move() -> None:
    for package, doc in NEW_PACKAGES.items():
        init = PACKAGE / package / "__init__.py"
        if not init.exists():
            init.parent.mkdir(parents=True, exist_ok=True)
            init.write_text(f'"""{doc}"""\n', encoding="utf-8")
            _git("add", str(init.relative_to(ROOT)))
    for old, new in MOVES.items():
        source, target = _path(old), _path(new)
        if source.exists() and not target.exists():
            _git("mv", str(source.relative_to(ROOT)), str(target.relative_to(ROOT)))


_DOTTED = re.compile(
    r"(?<![\w.])litradar\.("
    + "|".join(re.escape(o) for o in sorted(MOVES, key=len, reverse=True))
    + r")(?![\w])"
)
_FILE = re.compile(
    r"src/litradar/("
    + "|".join(re.escape(o.replace(".", "/")) for o in sorted(MOVES, key=len, reverse=True))
    + r")\.py\b"
)
_FROM_PACKAGE = re.compile(r"^(\s*)from litradar import ([\w, ]+?)(\s*(?:#.*)?)$", re.M)


def _from_package(match: re.Match[str]) -> str:
    indent, names, tail = match.groups()
    kept: list[str] = []
    lines: list[str] = []
    for name in (n.strip() for n in names.split(",")):
        if name in MOVES:
            parent, _, leaf = MOVES[name].rpartition(".")
            lines.append(
                f"{indent}from litradar.{parent} import {leaf}"
                + (f" as {name}" if leaf != name else "")
                + tail
            )
        else:
            kept.append(name)
    if not lines:
        return match.group(0)
    if kept:
        lines.insert(0, f"{indent}from litradar import {', '.join(kept)}{tail}")
    return "\n".join(lines)


def rewrite(text: str) -> str:
    text = _FROM_PACKAGE.sub(_from_package, text)
    # A logger's name is what the log shows: it stays as it was ("litradar.embed"), where
    # it is named and where a test reads it.
    text = "".join(
        line if "getLogger(" in line or "r.name ==" in line else _DOTTED.sub(_dotted, line)
        for line in text.splitlines(keepends=True)
    )
    return _FILE.sub(_file, text)


def _dotted(match: re.Match[str]) -> str:
    return "litradar." + MOVES[match.group(1)]


def _file(match: re.Match[str]) -> str:
    new = MOVES[match.group(1).replace("/", ".")].replace(".", "/")
    return f"src/litradar/{new}.py"


def rewrite_all() -> list[str]:
    changed = []
    for name in _git("ls-files", "--cached", "--others", "--exclude-standard").splitlines():
        path = ROOT / name
        if path.suffix not in SUFFIXES or name in SKIP or not path.is_file():
            continue
        text = path.read_text(encoding="utf-8")
        new = rewrite(text)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(name)
    return changed


def main() -> int:
    move()
    for name in rewrite_all():
        print(f"rewrote {name}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
