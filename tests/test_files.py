from pathlib import Path

import pytest

from litradar.files import atomic_write_bytes, atomic_write_text


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
