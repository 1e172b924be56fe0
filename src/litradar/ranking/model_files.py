"""Trained models on disk: plain arrays (`.npz`, loaded with allow_pickle=False) and JSON.

Pickle and joblib execute code on load; a models folder shared between machines should
not be able to do that. Everything a model needs is an array or a JSON value.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import tempfile
import zipfile
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from litradar.core.atomic_files import faultpoint, remove_stale_temporaries, temporary_prefix
from litradar.core.errors import LitradarError

if TYPE_CHECKING:  # imported where models are made: relevance imports scikit-learn (1-2 s)
    from litradar.ranking.placement import PlacementModel
    from litradar.ranking.relevance import RelevanceModel
    from litradar.ranking.taxonomy_model import TaxonomyModel

FORMAT_VERSION = 3  # 2: the scope has a third axis (contribution); 3: rejected papers kept
GENERATION = "generation"  # one stamp per save, in every model file
_FILES = ("relevance.npz", "relevance.json", "placement.npz", "placement.json", "metrics.json")
_TAXONOMY_FILES = ("taxonomy.npz", "taxonomy.json")


@dataclass
class TrainedModels:
    relevance: RelevanceModel
    placement: PlacementModel
    embedding_model: str
    list_ids: list[str]  # arXiv ids of the list papers, in the order of relevance.list_ vectors
    trained_at: str
    taxonomy: TaxonomyModel | None = None


def _write_json(path: Path, value: object) -> None:
    path.write_text(json.dumps(value, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


def save_models(directory: Path, models: TrainedModels, metrics: dict) -> None:
    """Write all files into a temporary folder, then move each into place. Every model file
    carries one generation stamp: a kill between the moves, or a reader between them,
    finds files of two trainings, and `load_models` refuses them rather than mixing them.
    A folder that a killed run left is removed here, by the next."""
    directory.mkdir(parents=True, exist_ok=True)
    remove_stale_temporaries(directory)
    prefix, suffix = temporary_prefix("models")
    stamp = {GENERATION: f"{models.trained_at}/{secrets.token_hex(4)}"}
    with tempfile.TemporaryDirectory(dir=directory, prefix=prefix, suffix=suffix) as tmp_name:
        tmp = Path(tmp_name)
        arrays, meta = models.relevance.to_arrays()
        np.savez_compressed(tmp / "relevance.npz", **arrays, **stamp)
        _write_json(
            tmp / "relevance.json",
            meta
            | stamp
            | {
                "format": FORMAT_VERSION,
                "embedding_model": models.embedding_model,
                "list_ids": models.list_ids,
                "trained_at": models.trained_at,
            },
        )
        arrays, meta = models.placement.to_arrays()
        np.savez_compressed(tmp / "placement.npz", **arrays, **stamp)
        _write_json(tmp / "placement.json", meta | stamp | {"format": FORMAT_VERSION})
        _write_json(tmp / "metrics.json", metrics)
        names = list(_FILES)
        if models.taxonomy is not None:
            arrays, meta = models.taxonomy.to_arrays()
            np.savez_compressed(tmp / "taxonomy.npz", **arrays, **stamp)
            _write_json(tmp / "taxonomy.json", meta | stamp | {"format": FORMAT_VERSION})
            names += list(_TAXONOMY_FILES)
        else:
            for stale in _TAXONOMY_FILES:
                (directory / stale).unlink(missing_ok=True)
        for n, name in enumerate(names):
            os.replace(tmp / name, directory / name)
            if n == 1:
                faultpoint("models.between-moves")  # files of two trainings side by side


def _load_npz(path: Path, generations: set[str]) -> dict[str, np.ndarray]:
    """The arrays, without the stamp, which goes into `generations`. A damaged file is a
    ValueError, as a damaged JSON file is (an .npz is a zip of deflated arrays)."""
    try:
        with np.load(path, allow_pickle=False) as data:
            arrays = {key: data[key] for key in data.files}
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
        raise ValueError(f"{path.name} is damaged: {exc}") from None
    except ValueError:  # neither a zip nor an array: numpy guesses a pickle, and says so
        raise ValueError(f"{path.name} is damaged: not an archive of arrays") from None
    generations.add(str(arrays.pop(GENERATION, "")))
    return arrays


def _load_json(path: Path, generations: set[str]) -> dict:
    meta = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(meta, dict):  # valid JSON of the wrong shape is a damaged file too
        raise ValueError(f"{path.name} is not a JSON object")
    generations.add(str(meta.get(GENERATION, "")))
    return meta


def _one_generation(directory: Path, generations: set[str]) -> None:
    if len(generations) > 1:
        raise LitradarError(
            f"the models in {directory} are of two trainings (a save was interrupted, or is "
            "under way): run 'litradar train'"
        )


def saved_files_sha256(directory: Path) -> list[str]:
    """One `sha256sum` line per model file in `directory`: recorded when training ends, they
    tell a run that the models are the ones it wrote, whole, without loading them (loading
    imports scikit-learn, 1-2 s of a run with nothing to train)."""
    lines = []
    for name in (*_FILES, *_TAXONOMY_FILES):
        path = directory / name
        if path.is_file():
            lines.append(f"{hashlib.sha256(path.read_bytes()).hexdigest()}  {name}")
    return lines


def load_models(directory: Path, embedding_model: str) -> TrainedModels:
    from litradar.ranking.placement import PlacementModel
    from litradar.ranking.relevance import RelevanceModel
    from litradar.ranking.taxonomy_model import TaxonomyModel

    if not (directory / "relevance.json").is_file():
        raise LitradarError(f"no trained models in {directory}: run 'litradar train' first")
    generations: set[str] = set()
    try:
        rel_meta = _load_json(directory / "relevance.json", generations)
        place_meta = _load_json(directory / "placement.json", generations)
        rel_arrays = _load_npz(directory / "relevance.npz", generations)
        place_arrays = _load_npz(directory / "placement.npz", generations)
    except (OSError, ValueError, KeyError, RecursionError) as exc:
        raise LitradarError(f"the models in {directory} are unreadable ({exc}); retrain") from None
    if rel_meta.get("format") != FORMAT_VERSION:
        raise LitradarError(f"the models in {directory} are of another format; retrain")
    if rel_meta.get("embedding_model") != embedding_model:
        raise LitradarError(
            f"the models in {directory} were trained with {rel_meta.get('embedding_model')!r}, "
            f"not the configured {embedding_model!r}; run 'litradar train'"
        )
    taxonomy = None
    if (directory / "taxonomy.json").is_file():
        try:
            tax_meta = _load_json(directory / "taxonomy.json", generations)
            tax_arrays = _load_npz(directory / "taxonomy.npz", generations)
            taxonomy = TaxonomyModel.from_arrays(tax_arrays, tax_meta)
        except (OSError, ValueError, KeyError, TypeError, AttributeError, RecursionError) as exc:
            raise LitradarError(
                f"the taxonomy model in {directory} is unreadable ({exc})"
            ) from None
    _one_generation(directory, generations)
    try:
        return TrainedModels(
            taxonomy=taxonomy,
            relevance=RelevanceModel.from_arrays(rel_arrays, rel_meta),
            placement=PlacementModel.from_arrays(place_arrays, place_meta),
            embedding_model=embedding_model,
            list_ids=list(rel_meta["list_ids"]),
            trained_at=rel_meta["trained_at"],
        )
    except (KeyError, ValueError, TypeError, AttributeError) as exc:
        raise LitradarError(
            f"the models in {directory} are unreadable ({exc!r}); retrain"
        ) from None


def load_metrics(directory: Path) -> dict:
    """{} when there are none; a damaged file is the caller's LitradarError ("retrain")."""
    path = directory / "metrics.json"
    if not path.is_file():
        return {}
    try:
        return _load_json(path, set())
    except (OSError, ValueError, RecursionError) as exc:
        raise LitradarError(
            f"the training metrics in {directory} are unreadable ({exc}); retrain"
        ) from None
