import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from litradar.core.atomic_files import (
    atomic_write_bytes,
    atomic_write_text,
    remove_stale_temporaries,
)
from tests.conftest import ROOT


def test_a_write_replaces_the_file_and_leaves_no_temporary(tmp_path: Path):
    target = tmp_path / "digest.md"
    target.write_text("old")
    atomic_write_text(target, "new ✓")
    assert target.read_text(encoding="utf-8") == "new ✓"
    assert [p.name for p in tmp_path.iterdir()] == ["digest.md"]


def test_a_failed_write_keeps_the_old_file(tmp_path: Path):
    target = tmp_path / "index.faiss"
    target.write_bytes(b"old")

    with pytest.raises(TypeError):  # the write itself fails, after the temporary exists
        atomic_write_bytes(target, "not bytes")  # type: ignore[arg-type]
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["index.faiss"]


# Issue 13, hole 8: temporaries of killed runs are removed by the next run.

KILLED_AT_RENAME = """
import os, signal, sys
from pathlib import Path
os.replace = lambda *args: os.kill(os.getpid(), signal.SIGKILL)
what, folder = sys.argv[1], Path(sys.argv[2])
if what == "file":
    from litradar.core.atomic_files import atomic_write_text
    atomic_write_text(folder / "papers.hashing.json", "new")
else:
    from litradar.ranking.model_files import load_models, save_models
    save_models(folder, load_models(folder, "hashing"), {"relevance": {}})
"""


def killed_at_rename(what: str, folder: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", KILLED_AT_RENAME, what, str(folder)], cwd=ROOT, check=False,
        capture_output=True,
    )  # fmt: skip
    assert done.returncode == -signal.SIGKILL, done.stderr


def test_a_killed_atomic_write_leaves_a_temporary_that_the_next_write_removes(tmp_path: Path):
    target = tmp_path / "papers.hashing.json"
    target.write_text("old")
    killed_at_rename("file", tmp_path)
    assert target.read_text() == "old"
    assert len(list(tmp_path.iterdir())) == 2  # the killed run's temporary
    atomic_write_text(target, "newer")
    assert [p.name for p in tmp_path.iterdir()] == ["papers.hashing.json"]


def test_a_killed_train_leaves_a_folder_that_the_next_train_removes(
    trained_project: Path, tmp_path: Path
):
    from litradar.ranking.model_files import load_models, save_models

    folder = tmp_path / "classifiers"
    shutil.copytree(trained_project / "classifiers", folder)
    names = sorted(p.name for p in folder.iterdir())
    killed_at_rename("models", folder)
    assert len(list(folder.iterdir())) == len(names) + 1  # a half-written models folder
    save_models(folder, load_models(folder, "hashing"), {"relevance": {}})
    assert sorted(p.name for p in folder.iterdir()) == names


def test_a_live_writers_temporary_and_other_files_are_kept(tmp_path: Path):
    ours = tmp_path / f".digest.md.{os.getpid()}.abcd1234.tmp"
    ours.write_text("being written")
    (tmp_path / ".env.settings").write_text("not ours")
    old_style = tmp_path / ".digest.md.abcd1234"  # a temporary of an earlier release
    (tmp_path / "digest.md").write_text("x")
    old_style.write_text("left in 2025")
    os.utime(old_style, (0, 0))
    removed = remove_stale_temporaries(tmp_path)
    assert removed == [old_style] and ours.exists() and (tmp_path / ".env.settings").exists()
