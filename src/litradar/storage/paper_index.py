"""The FAISS index of paper embeddings, persisted beside the store.

The index holds store row ids as FAISS ids, so a hit maps straight back to a paper. It
grows: new papers are added and changed ones replaced, not the whole index rebuilt. Up to
`[index] exact_up_to` papers it is exact (FlatIP: 100k vectors build in 0.1 s and answer
one query in 20-60 ms); above that an inverted-file index (IVFFlat, inner product), which answers
in milliseconds at a million papers, takes adds and removals without retraining, and is
retrained when it has grown `retrain_growth` times past the papers it was trained on.
(HNSW was not chosen: it cannot remove a changed paper and builds about 6x slower here.)

On disk: `papers.<model>.json` names one generation of `papers.<model>.g<id>.faiss` and
its `.entries.npy` (each indexed paper's row id and text hash). A save writes a new
generation, then replaces the JSON, then deletes older generations, so a kill at any
point leaves a JSON that names complete files. Anything that does not check out on load
(a truncated file, garbage JSON, a count that does not match) is `IndexDamaged`, and
`litradar index` rebuilds from the store. Searching maps the files into memory
(faiss.IO_FLAG_MMAP) instead of reading them whole.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

from litradar.core.atomic_files import (
    atomic_write_bytes,
    faultpoint,
    remove_stale_temporaries,
    temporary_prefix,
)
from litradar.core.errors import LitradarError

FORMAT = 2
# Memory-mapped loading: IVF lists with IO_FLAG_MMAP; a flat index's codes with
# IO_FLAG_MMAP_IFC (the two cannot be combined: IVF refuses the pair).
_MMAP = {"ivf": faiss.IO_FLAG_MMAP, "flat": getattr(faiss, "IO_FLAG_MMAP_IFC", faiss.IO_FLAG_MMAP)}


class IndexDamaged(LitradarError):
    """The index files are missing pieces, truncated or inconsistent; rebuild from the store."""


@dataclass(frozen=True)
class IndexSettings:
    """`[index]` in litradar.toml."""

    exact_up_to: int = 100_000  # papers; above this, an IVF index
    nlist: int = 0  # IVF lists; 0: sqrt(papers), between 64 and 4096
    nprobe: int = 48  # IVF lists searched per query: more is slower and closer to exact
    retrain_growth: float = 4.0  # retrain the IVF once it holds this many times its training size

    def kind_for(self, size: int) -> str:
        return "flat" if size <= self.exact_up_to else "ivf"

    def lists_for(self, size: int) -> int:
        return self.nlist or int(min(4096, max(64, round(size**0.5))))


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", model).strip("_") or "model"


def content_fingerprint(ids: list[int], shas: list[str]) -> str:
    pairs = sorted(zip(ids, shas, strict=True))
    return hashlib.sha256("".join(f"{i}:{sha};" for i, sha in pairs).encode()).hexdigest()


def short_hashes(shas: list[str]) -> np.ndarray:
    """The first 64 bits of each text hash: enough to notice a changed text."""
    if not shas:
        return np.zeros(0, dtype=np.uint64)
    prefixes = "".join(s[:16].rjust(16, "0") for s in shas)
    return np.frombuffer(bytes.fromhex(prefixes), dtype=">u8").astype(np.uint64)


@dataclass
class PaperIndex:
    model: str
    index: faiss.Index
    fingerprint: str
    kind: str = "flat"
    trained_on: int = 0
    nprobe: int = IndexSettings.nprobe
    entry_ids: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    entry_hashes: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))

    # building and growing -------------------------------------------------------------

    @classmethod
    def build(
        cls,
        model: str,
        ids: list[int] | np.ndarray,
        vectors: np.ndarray,
        content: str,
        shas: list[str] | None = None,
        settings: IndexSettings | None = None,
    ) -> PaperIndex:
        """A new index of `vectors` under store row `ids`, of the kind their number calls for."""
        settings = settings or IndexSettings()
        dim = int(vectors.shape[1]) if vectors.size else 0
        if dim == 0:
            raise LitradarError("nothing to index: the store has no papers")
        ids = np.asarray(ids, dtype=np.int64)
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        kind = settings.kind_for(len(ids))
        if kind == "flat":
            index: faiss.Index = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        else:
            index = faiss.IndexIVFFlat(
                faiss.IndexFlatIP(dim),
                dim,
                settings.lists_for(len(ids)),
                faiss.METRIC_INNER_PRODUCT,
            )
            sample = min(len(ids), 64 * index.nlist)
            rows = np.random.default_rng(0).choice(len(ids), size=sample, replace=False)
            index.train(vectors[np.sort(rows)])
            # reconstruct(store id) and remove_ids need a direct map from ids to lists.
            index.set_direct_map_type(faiss.DirectMap.Hashtable)
        for start in range(0, len(ids), 100_000):
            index.add_with_ids(vectors[start : start + 100_000], ids[start : start + 100_000])
        hashes = short_hashes(shas) if shas is not None else np.zeros(len(ids), dtype=np.uint64)
        return cls(
            model=model,
            index=index,
            fingerprint=content,
            kind=kind,
            trained_on=len(ids),
            nprobe=settings.nprobe,
            entry_ids=ids,
            entry_hashes=hashes,
        )

    def needs_rebuild(self, size: int, settings: IndexSettings) -> bool:
        """A different kind for this size, or an IVF grown far past what it was trained on."""
        if settings.kind_for(size) != self.kind:
            return True
        return self.kind == "ivf" and size > self.trained_on * settings.retrain_growth

    def changes(self, ids: np.ndarray, shas: list[str]) -> tuple[np.ndarray, np.ndarray]:
        """(ids to remove, ids to add) to make this index hold exactly `ids` with these texts."""
        ids = np.asarray(ids, dtype=np.int64)
        hashes = short_hashes(shas)
        order = np.argsort(self.entry_ids)
        held, held_hashes = self.entry_ids[order], self.entry_hashes[order]
        if len(held) == 0:
            return np.zeros(0, dtype=np.int64), ids
        at = np.minimum(np.searchsorted(held, ids), len(held) - 1)
        present = held[at] == ids
        changed = ids[present & (held_hashes[at] != hashes)]
        gone = held[~np.isin(held, ids)]
        return np.concatenate([gone, changed]), np.concatenate([ids[~present], changed])

    def apply(
        self,
        remove: np.ndarray,
        add: Iterator[tuple[np.ndarray, np.ndarray]],
        ids: np.ndarray,
        shas: list[str],
        content: str,
    ) -> int:
        """Remove, then add (row ids, vectors) chunks; the entries become `ids`/`shas` of
        what is now held. Returns how many vectors were added."""
        if len(remove):
            self.index.remove_ids(faiss.IDSelectorArray(remove))
        added = 0
        for chunk_ids, vectors in add:
            self.index.add_with_ids(np.ascontiguousarray(vectors, dtype=np.float32), chunk_ids)
            added += len(chunk_ids)
        self.entry_ids = np.asarray(ids, dtype=np.int64)
        self.entry_hashes = short_hashes(shas)
        self.fingerprint = content
        return added

    @property
    def size(self) -> int:
        return int(self.index.ntotal)

    # files ----------------------------------------------------------------------------

    @staticmethod
    def paths(data_dir: Path, model: str) -> tuple[Path, Path]:
        """(the index file the metadata names now, or the legacy name; the metadata)."""
        meta_path = data_dir / f"papers.{_slug(model)}.json"
        try:
            name = json.loads(meta_path.read_text())["index_file"]
            return data_dir / name, meta_path
        except (OSError, ValueError, KeyError, TypeError):
            return data_dir / f"papers.{_slug(model)}.faiss", meta_path

    def save(self, data_dir: Path) -> None:
        data_dir.mkdir(parents=True, exist_ok=True)
        slug = _slug(self.model)
        generation = f"g{secrets.token_hex(6)}"
        index_path = data_dir / f"papers.{slug}.{generation}.faiss"
        entries_path = data_dir / f"papers.{slug}.{generation}.entries.npy"
        remove_stale_temporaries(data_dir)
        prefix, suffix = temporary_prefix(index_path.name)
        fd, name = tempfile.mkstemp(dir=data_dir, prefix=prefix, suffix=suffix)
        os.close(fd)
        tmp = Path(name)
        try:
            _write_faiss(self.index, tmp, data_dir)
            with open(tmp, "rb+") as handle:
                os.fsync(handle.fileno())
            faultpoint("index.written")
            os.replace(tmp, index_path)
        finally:
            tmp.unlink(missing_ok=True)
        entries = np.stack([self.entry_ids, self.entry_hashes.view(np.int64)])
        blob = _npy_bytes(entries)
        atomic_write_bytes(entries_path, blob)
        meta = {
            "format": FORMAT,
            "model": self.model,
            "kind": self.kind,
            "dim": int(self.index.d),
            "count": self.size,
            "fingerprint": self.fingerprint,
            "trained_on": self.trained_on,
            "nprobe": self.nprobe,
            "index_file": index_path.name,
            "index_bytes": index_path.stat().st_size,
            "entries_file": entries_path.name,
            "entries_bytes": len(blob),
        }
        faultpoint("index.before-meta")
        atomic_write_bytes(data_dir / f"papers.{slug}.json", json.dumps(meta, indent=2).encode())
        faultpoint("index.after-meta")
        self.sweep(data_dir, self.model)

    @staticmethod
    def sweep(data_dir: Path, model: str) -> list[Path]:
        """Remove what a killed save left: temporaries of dead writers, and generations the
        metadata no longer names (a kill between writing the JSON and deleting the old pair
        would otherwise keep them, 1.5 GB at a million papers, through every "up to date"
        run). Nothing is removed while the metadata is unreadable: the rebuild that follows
        saves a new generation, and that save sweeps."""
        removed = remove_stale_temporaries(data_dir)
        slug = _slug(model)
        try:
            meta = json.loads((data_dir / f"papers.{slug}.json").read_text(encoding="utf-8"))
            keep = {meta["index_file"], meta["entries_file"]}
        except (OSError, ValueError, KeyError, TypeError):
            return removed
        name = rf"^\.?papers\.{re.escape(slug)}\.(g[0-9a-f]{{12}}\.)?(faiss|entries\.npy)"
        stale = re.compile(name)
        for path in data_dir.iterdir():
            if stale.match(path.name) and path.name not in keep:
                path.unlink(missing_ok=True)
                removed.append(path)
        return removed

    @classmethod
    def load(
        cls, data_dir: Path, model: str, mmap: bool = True, nprobe: int | None = None
    ) -> PaperIndex | None:
        """None when no index was built yet; IndexDamaged when the files do not check out.
        `mmap`: map the index into memory (for searching) instead of reading it whole
        (for changing it)."""
        meta_path = data_dir / f"papers.{_slug(model)}.json"
        if not meta_path.exists():
            return None

        def damaged(why: str) -> IndexDamaged:
            return IndexDamaged(
                f"the index in {data_dir} is damaged ({why}); run 'litradar index' to rebuild it"
            )

        try:
            meta = json.loads(meta_path.read_text(encoding="utf-8"))
            if not isinstance(meta, dict) or meta.get("format") != FORMAT:
                raise damaged("written by another litradar version")
            if meta.get("model", model) != model:  # one vector space per index, checked here
                raise damaged(f"it holds {meta['model']} vectors, not {model}")
            index_path = data_dir / meta["index_file"]
            entries_path = data_dir / meta["entries_file"]
            sizes = ((index_path, meta["index_bytes"]), (entries_path, meta["entries_bytes"]))
            for path, size in sizes:
                if not path.is_file() or path.stat().st_size != size:
                    raise damaged(f"{path.name} is missing or has the wrong size")
            index = faiss.read_index(str(index_path), _MMAP[meta["kind"]] if mmap else 0)
            if index.ntotal != meta["count"] or index.d != meta["dim"]:
                raise damaged("the index does not hold what its metadata says")
        except IndexDamaged:
            raise
        except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
            why = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
            raise damaged(why) from None
        loaded = cls(
            model=meta.get("model", model),
            index=index,
            fingerprint=meta["fingerprint"],
            kind=meta["kind"],
            trained_on=int(meta["trained_on"]),
            nprobe=int(nprobe if nprobe is not None else meta["nprobe"]),
        )
        loaded._entries_path = entries_path  # read on demand: a search never needs them
        return loaded

    @staticmethod
    def built_for(data_dir: Path) -> list[str]:
        """The encoders an index in `data_dir` was built for (a config that names another
        finds none of its own; this says which there are)."""
        models = []
        for meta_path in sorted(data_dir.glob("papers.*.json")):
            try:
                meta = json.loads(meta_path.read_text(encoding="utf-8"))
            except (OSError, ValueError, RecursionError):
                continue
            if isinstance(meta, dict) and isinstance(meta.get("model"), str):
                models.append(meta["model"])
        return models

    def load_entries(self) -> None:
        path = getattr(self, "_entries_path", None)
        if path is None:
            return
        try:
            entries = np.load(path, allow_pickle=False)
            if entries.shape != (2, self.size):
                raise ValueError("entries do not match the index")
        except (OSError, ValueError) as exc:
            raise IndexDamaged(
                f"the index entries {path.name} are unreadable ({exc}); "
                "run 'litradar index' to rebuild it"
            ) from None
        self.entry_ids = entries[0].astype(np.int64)
        self.entry_hashes = entries[1].view(np.uint64)

    # searching ------------------------------------------------------------------------

    def search(
        self, queries: np.ndarray, k: int, allowed: list[int] | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """(scores, store ids), each (n_queries, k); missing hits have id -1.
        `allowed` restricts the search to those store ids (e.g. papers since a date)."""
        if self.size == 0:
            raise LitradarError("the index is empty: ingest papers and run 'litradar index' first")
        queries = np.ascontiguousarray(np.atleast_2d(queries), dtype=np.float32)
        selector = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.asarray(allowed, dtype=np.int64))
        options = {"sel": selector} if selector is not None else {}
        if self.kind == "ivf":
            params: faiss.SearchParameters = faiss.SearchParametersIVF(
                nprobe=self.nprobe, **options
            )
        else:
            params = faiss.SearchParameters(**options)
        if len(queries) > 1:
            return self.index.search(queries, min(k, self.size), params=params)
        # One query (find): OpenMP's threads cost more than they save, twice the time on
        # a loaded machine (100k flat: 61 ms on one thread, 138 ms on two; bench_index.py).
        threads = faiss.omp_get_max_threads()
        faiss.omp_set_num_threads(1)
        try:
            return self.index.search(queries, min(k, self.size), params=params)
        finally:
            faiss.omp_set_num_threads(threads)


def _npy_bytes(array: np.ndarray) -> bytes:
    import io

    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _write_faiss(index: faiss.Index, path: Path, data_dir: Path) -> None:
    """FAISS reports a failed write (a full disk, a file size limit) as a RuntimeError
    holding its C++ location; it is the user's to fix, so it is one line like any OSError."""
    try:
        faiss.write_index(index, str(path))
    except RuntimeError as exc:
        reason = re.findall(r"\(([^()]+)\)\s*$", str(exc).strip()) or ["write error"]
        raise LitradarError(f"cannot write the index in {data_dir}: {reason[-1]}") from None
