"""Imports run one way: from the command line and the flows down to the data types.

The folders are the layers: a module's layer is the folder it sits in under
`src/litradar/` (or `flows/`, installed as `litradar.flows`), with no exception. A module
may import from its own layer or a lower one, never a higher one (lazy imports inside
functions and TYPE_CHECKING imports included), and the imports that run have no cycle.
`LAYERS` below is the one declaration of the architecture; README's picture follows it.
"""

from __future__ import annotations

import ast
import graphlib
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

# The architecture, lowest first: one folder (or top-level module) per layer. A module's
# layer is its folder's (the first name under `litradar`), so moving a file moves it between
# layers, and a new folder must be placed here. README's picture is drawn in this order.
LAYERS: list[tuple[str, str]] = [
    ("core", "data types and plumbing: the paper record, errors, files, progress, retries"),
    ("config", "litradar.toml, read and checked"),
    ("storage", "the store (the one writer of state), its merge, the vector and bm25 indexes"),
    ("curation", "the list and the taxonomy: format, edits, clone, match to the store"),
    ("sources", "live services and file formats, the runner and its watermarks"),
    ("embedding", "encoders and the ONNX query encoder"),
    ("ranking", "the models trained from the list, selection, evaluation figures"),
    ("assist", "the optional LLM's short names and summaries"),
    ("digests", "the weekly digest: its model, renderings, and generations on disk"),
    ("publish", "the channels: email, the list's pull request, feedback from it"),
    ("steps", "what a command runs: ingest, index, train, digest, search, evaluate, backfill"),
    ("web", "the maintainer's page"),
    ("flows", "the Prefect flows: orchestration only"),
    ("cli", "the command line"),
]
LAYER_NAMES = [name for name, _ in LAYERS]


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
    """The layer of `module`: the index of its folder (or top-level module) under
    `litradar`; None for the package itself and for a name no layer holds."""
    relative = module.removeprefix("litradar").removeprefix(".")
    top = relative.split(".")[0]
    return LAYER_NAMES.index(top) if top in LAYER_NAMES else None


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
    assert not unplaced, f"move these modules into a layer's folder: {unplaced}"


def test_the_top_of_the_package_holds_at_most_five_modules():
    top = sorted(p.name for p in (ROOT / "src" / "litradar").glob("*.py"))
    assert len(top) <= 5, top


def test_every_folder_of_the_package_is_a_layer():
    folders = {
        p.parent.name for p in (ROOT / "src" / "litradar").glob("*/__init__.py")
    } | {"flows"}
    assert folders <= set(LAYER_NAMES), sorted(folders - set(LAYER_NAMES))


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


def test_readmes_module_map_is_drawn_in_the_order_of_the_layers():
    """README's module map names each layer once, in LAYERS' order: the picture a newcomer
    reads is the architecture the test checks."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    start = readme.index("<!-- layers: drawn from LAYERS in tests/test_layers.py -->")
    block = readme[start : readme.index("<!-- /layers -->", start)]
    drawn = [
        cell.strip("`").removesuffix("/").removesuffix(".py")
        for line in block.splitlines()
        if line.startswith("| `")
        for cell in [line.split("|")[1].strip()]
    ]
    assert drawn == LAYER_NAMES


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
        assert _layer("litradar.paper_probe") is None  # at the top, in no layer
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
