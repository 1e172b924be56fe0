"""What a user of the wheel gets: build it, install it (not editable) into a fresh virtual
environment, and run the command line on the demo data with the hashing encoder.

The editable install the tests otherwise run against hides a package missing from the
wheel (it once shipped without litradar.publish and litradar.assist). The new environment
gets litradar only from the wheel; its dependencies come from the running environment's
site-packages through a path-only .pth line (no editable finder is activated that way), so
the test needs no network and no second 1.7 GB install.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.conftest import DEMO, ROOT, write_config

pytestmark = pytest.mark.slow


def _run(*args: str | Path, cwd: Path | None = None, env: dict | None = None) -> str:
    done = subprocess.run(
        [str(a) for a in args], cwd=cwd, env=env, capture_output=True, text=True, timeout=900
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = out / "source"
    # A copy of the tracked sources, so the build leaves nothing in the checkout.
    files = _run("git", "ls-files", "--cached", "--others", "--exclude-standard", cwd=ROOT)
    for name in files.splitlines():
        target = source / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if (ROOT / name).is_file():
            shutil.copy2(ROOT / name, target)
    _run(
        sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
        "--quiet", "-w", out, source,
    )  # fmt: skip
    (built,) = out.glob("litradar-*.whl")
    return built


def test_the_wheel_holds_every_package_of_the_source_tree(wheel: Path):
    names = zipfile.ZipFile(wheel).namelist()
    shipped = {n.rsplit("/", 1)[0] for n in names if n.endswith("/__init__.py")}
    expected = {
        p.parent.relative_to(ROOT / "src").as_posix()
        for p in (ROOT / "src" / "litradar").rglob("__init__.py")
    } | {"litradar/flows"}
    assert expected <= shipped, sorted(expected - shipped)
    assert "litradar/py.typed" in names
    web = ROOT / "src" / "litradar" / "web"
    data = {f.relative_to(ROOT / "src").as_posix() for d in ("templates", "static")
            for f in (web / d).iterdir()}  # fmt: skip
    assert data and data <= set(names), sorted(data - set(names))  # the page's files


def test_the_installed_wheel_runs_the_demo_without_the_source_tree(wheel: Path, tmp_path: Path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    python = env_dir / "bin" / "python"
    site = Path(
        _run(python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])").strip()
    )
    (site / "deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    _run(sys.executable, "-m", "pip", "--python", python, "install", "--no-deps", "--quiet", wheel)

    project = tmp_path / "project"
    shutil.copytree(DEMO, project / "data")
    write_config(project)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    env["HF_HUB_OFFLINE"] = "1"
    where = _run(python, "-c", "import litradar; print(litradar.__file__)", cwd=tmp_path, env=env)
    assert where.strip().startswith(str(site)), where

    litradar = [env_dir / "bin" / "litradar"]  # the console script the wheel declares
    config = ["--config", project / "litradar.toml"]
    data = project / "data"
    _run(*litradar, "ingest", data / "arxiv_seed.jsonl", data / "weeks/2025-03-10.jsonl",
         *config, cwd=tmp_path, env=env)  # fmt: skip
    _run(*litradar, "index", *config, cwd=tmp_path, env=env)
    _run(*litradar, "train", *config, cwd=tmp_path, env=env)
    _run(*litradar, "digest", "--since", "2025-03-10", "--until", "2025-03-17", *config,
         cwd=tmp_path, env=env)  # fmt: skip
    assert (project / "digests" / "2025-W11.md").is_file()
    found = _run(*litradar, "find", "logit lens", "-k", "3", *config, cwd=tmp_path, env=env)
    assert "arxiv.org" in found
    listed = _run(*litradar, "list", *config, cwd=tmp_path, env=env)
    assert " identified (arxiv " in listed
    # `init --github-actions` in a list's clone whose config keeps its data under .litradar.
    clone = tmp_path / "list-clone"
    _run("git", "init", "--quiet", clone, cwd=tmp_path, env=env)
    (clone / ".litradar").mkdir()
    (clone / ".litradar" / "litradar.toml").write_text(
        '[paths]\ndata_dir = "data/index"\nclassifiers_dir = "data/classifiers"\n'
        'digests_dir = "data/digests"\nlist = "../README.md"\n',
        encoding="utf-8",
    )
    _run(*litradar, "init", "--github-actions", "--repo", clone, "--config",
         clone / ".litradar" / "litradar.toml", cwd=tmp_path, env=env)  # fmt: skip
    assert "litradar run --config" in (clone / ".github/workflows/litradar.yml").read_text()
    # `init LIST`: a new list's config and taxonomy, drafted by the installed package.
    _run(*litradar, "init", data / "awesome_list.md", "--out", tmp_path / "new-list",
         "--papers", data / "arxiv_seed.jsonl", "--papers", data / "weeks/2025-03-10.jsonl",
         cwd=tmp_path, env=env)  # fmt: skip
    assert "[scope]" in (tmp_path / "new-list" / "taxonomy.toml").read_text(encoding="utf-8")
    # The flow module ships too: the weekly flow's import is what `litradar run` needs.
    _run(python, "-c", "import litradar.flows.weekly", cwd=tmp_path, env=env)
