"""Writing a file so that a reader sees the old content or the new, never half of it; and
removing what a writer killed halfway (kill -9, a power cut) left behind.

Every temporary litradar makes is named `.<target>.<pid>.<random>.tmp`, beside its target:
the next writer in that folder removes those whose process is gone.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from litradar.core.errors import LitradarError

_TEMPORARY = re.compile(r"^\.(?P<target>.+)\.(?P<pid>\d+)\.[a-z0-9_]+\.tmp$")
# Names the releases before this one used (no pid in them): `.tmp-<random>` folders of the
# models, `.<sibling>.<random>` files of an atomic write; removed once an hour old.
_OLD_TEMPORARY = re.compile(r"^\.(?:tmp-|(?P<target>.+)\.)[a-z0-9_]{8}$")
_OLD_AGE_SECONDS = 3600


FAULTPOINT_ENV = "LITRADAR_FAULTPOINT"
FAULTPOINT_READY_ENV = "LITRADAR_FAULTPOINT_READY"


def faultpoint(name: str) -> None:
    """A named moment inside a step's critical window (between a write and the commit that
    makes it count). Test-only: when $LITRADAR_FAULTPOINT names this point, the process
    writes its pid to $LITRADAR_FAULTPOINT_READY and waits there for the test's kill -9, so
    the kill lands exactly in the window instead of at a time that may fall after it.
    Otherwise (always, outside tests) it does nothing but read one variable."""
    if os.environ.get(FAULTPOINT_ENV) != name:
        return
    ready = os.environ.get(FAULTPOINT_READY_ENV)
    if ready:
        Path(ready).write_text(str(os.getpid()), encoding="utf-8")
    while True:
        time.sleep(60)


def temporary_prefix(target: str) -> tuple[str, str]:
    """(prefix, suffix) for `tempfile.mkstemp` / `mkdtemp` / `TemporaryDirectory`."""
    return f".{target}.{os.getpid()}.", ".tmp"


def process_alive(pid: int) -> bool:
    """Whether a process of this machine has that id (a zombie still counts)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError):
        return True
    return True


def remove_path(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, ignore_errors=True)
    else:
        path.unlink(missing_ok=True)


def remove_stale_temporaries(directory: Path) -> list[Path]:
    """Remove the temporaries in `directory` whose writer is no longer running."""
    removed: list[Path] = []
    if not directory.is_dir():
        return removed
    now = time.time()
    for entry in directory.iterdir():
        match = _TEMPORARY.match(entry.name)
        if match:
            stale = not process_alive(int(match["pid"]))
        elif old := _OLD_TEMPORARY.match(entry.name):
            ours = (directory / old["target"]).exists() if old["target"] else entry.is_dir()
            try:
                stale = ours and now - entry.lstat().st_mtime > _OLD_AGE_SECONDS
            except OSError:
                stale = False
        else:
            continue
        if stale:
            remove_path(entry)
            removed.append(entry)
    return removed


def fsync_directory(directory: Path) -> None:
    """Make a rename in `directory` durable (where the platform allows it)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write_bytes(path: Path, data: bytes) -> None:
    """Write beside the target, fsync, then rename over it: a crash or a full disk leaves the
    previous file intact. The temporary name is unique, so two writers never share it; one
    that a killed writer left is removed here, by the next write into the same folder."""
    remove_stale_temporaries(path.parent)
    prefix, suffix = temporary_prefix(path.name)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=prefix, suffix=suffix)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: Path, text: str) -> None:
    atomic_write_bytes(path, text.encode("utf-8"))


def read_text(path: Path) -> str:
    """A file the user gave (config, list, taxonomy) as UTF-8 text; anything else (UTF-16,
    a binary file) is one line that says so, not a UnicodeDecodeError."""
    data = path.read_bytes()
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise LitradarError(
            f"{path} is not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start}); "
            "save it as UTF-8"
        ) from None
