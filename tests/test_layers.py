"""Imports run one way: from the command line and the flows down to the data types.

Every module of the package sits in a layer; a module may import from its own layer or a
lower one, never a higher one (lazy imports inside functions and TYPE_CHECKING imports
included), and the imports that run have no cycle. A new module must be given a layer here:
the test says so rather than letting it land anywhere.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# Lowest first. A name covers the module and, for a package, everything in it.
LAYERS: list[tuple[str, tuple[str, ...]]] = [
    (
        "data types and plumbing",
        (
            "errors", "paper", "extractive", "files", "progress", "http_client", "lexical",
            "terms", "query_encoder", "prefect_env", "window",
        ),
    ),
    (
        "configuration, storage and formats",
        (
            "config", "retrying", "merge", "store", "index", "awesome_list", "taxonomy",
            "list_edit", "sources.registry", "list_source", "list_match", "publish.git_repo",
            "list_origin",
        ),
    ),
    (
        "components",
        (
            "sources", "embed", "ranking", "assist", "selection", "quality", "leave_week_out",
            "draft_terms",
        ),
    ),
    ("what several commands share", ("loaders", "search", "digest", "labelling", "backfill")),
    (
        "steps",
        (
            "pipeline", "evaluation", "replay", "backtest", "publish", "run_result", "scaffold",
            "list_init",
        ),
    ),
    ("entry points", ("flows", "web", "cli", "__main__")),
]  # fmt: skip


def _modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    roots = ((ROOT / "src" / "litradar", ["litradar"]), (ROOT / "flows", ["litradar", "flows"]))
    for base, prefix in roots:
        for path in base.rglob("*.py"):
            parts = [p for p in path.relative_to(base).with_suffix("").parts if p != "__init__"]
            found[".".join(prefix + parts)] = path
    return found


MODULES = _modules()


def _layer(module: str) -> int | None:
    """The layer of the longest name that covers `module`; None for the package itself."""
    relative = module.removeprefix("litradar").removeprefix(".")
    best: tuple[int, int] | None = None
    for level, (_, names) in enumerate(LAYERS):
        for name in names:
            covers = relative == name or relative.startswith(name + ".")
            if covers and (best is None or len(name) > best[1]):
                best = (level, len(name))
    return None if best is None else best[0]


def _type_only(tree: ast.AST) -> set[int]:
    """The nodes under `if TYPE_CHECKING:`: read by type checkers, never run."""
    inside: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            inside |= {id(n) for child in node.body for n in ast.walk(child)}
    return inside


def _imports(module: str, runtime_only: bool = False) -> set[str]:
    """The package's modules that `module` imports, anywhere in its body (with
    `runtime_only`, leaving out the imports under `if TYPE_CHECKING:`)."""
    tree = ast.parse(MODULES[module].read_text(encoding="utf-8"))
    skip = _type_only(tree) if runtime_only else set()
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            if node.module.split(".")[0] != "litradar":
                continue
            for alias in node.names:
                whole = f"{node.module}.{alias.name}"
                found.add(whole if whole in MODULES else node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "litradar"}
    return {name for name in found if name in MODULES and name not in (module, "litradar")}


def test_every_module_has_a_layer():
    unplaced = [m for m in MODULES if m != "litradar" and _layer(m) is None]
    assert not unplaced, f"give these modules a layer in tests/test_layers.py: {unplaced}"


def test_no_module_imports_from_a_higher_layer():
    upward = [
        f"{module} ({LAYERS[low][0]}) imports {target} ({LAYERS[high][0]})"
        for module in MODULES
        if (low := _layer(module)) is not None
        for target in sorted(_imports(module))
        if (high := _layer(target)) is not None and high > low
    ]
    assert not upward, "\n".join(upward)


def test_the_import_graph_has_no_cycle():
    """Of the imports that run: two modules of one layer may name each other's types."""
    graph = {module: _imports(module, runtime_only=True) for module in MODULES}
    try:
        graphlib.TopologicalSorter(graph).prepare()
    except graphlib.CycleError as exc:
        raise AssertionError(f"import cycle: {' -> '.join(exc.args[1])}") from None


def test_the_checks_see_an_upward_import(tmp_path: Path):
    """The scan finds a lazy import inside a function, so the two tests above can fail."""
    probe = tmp_path / "probe.py"
    probe.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from litradar.web import app\n"
        "def f():\n    from litradar.cli import app\n",
        encoding="utf-8",
    )
    MODULES["litradar.paper_probe"] = probe
    try:
        assert _imports("litradar.paper_probe") == {"litradar.cli", "litradar.web.app"}
        assert _imports("litradar.paper_probe", runtime_only=True) == {"litradar.cli"}
        assert _layer("litradar.paper_probe") is None  # not covered by "paper"
        assert _layer("litradar.cli") == len(LAYERS) - 1
    finally:
        del MODULES["litradar.paper_probe"]


def test_every_module_imports():
    """What the scan reads is what Python finds: a module moved without its importers
    fails here (in a fresh process, so that importing the flows configures nothing here)."""
    names = sorted(m for m in MODULES if m != "litradar")
    script = "import importlib, sys\nfor name in sys.argv[1:]:\n    importlib.import_module(name)\n"
    done = subprocess.run(
        [sys.executable, "-c", script, *names], capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr[-2000:]
