"""The query encoder of `find`: the index's own sentence-transformers model, exported once
to ONNX beside the index and run with onnxruntime and the `tokenizers` package.

Importing torch and sentence-transformers costs 5-7 s, about all of a cold `find`. The
export needs torch, so it happens where torch is loaded anyway (`litradar index`, which
embeds), never at query time. The ONNX graph is the model's transformer alone; tokenizing
(the model's own tokenizer.json, truncated to its max_seq_length), mean pooling over the
attention mask and L2 normalisation are done here exactly as sentence-transformers does
them, and every export is checked against the torch encoder before it is kept.

Two variants (`[embedding] backend`): `onnx` is the export as it is (fp32: the torch
encoder's vectors, cosine >= 0.999), and `onnx-int8` the same export with its graph
optimised for BERT (onnxruntime's transformer optimizer: fused attention, LayerNorm and
GELU) and its weights quantised to int8 per channel (onnxruntime's dynamic quantisation),
which embeds about twice as fast on the CPU (benchmarks/bench_encoders.py). int8 vectors
are close to torch's (cosine about 0.995) but not equal, so they are their own vector
space: stored and indexed under their own name (`embed.vector_space`), never mixed.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import tempfile
import warnings
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from litradar.core.atomic_files import faultpoint, remove_stale_temporaries, temporary_prefix

# 2: the weights in `model.onnx.data` beside the graph (ONNX external data), which
# onnxruntime maps instead of parsing them out of one 90 MB protobuf: a new session in
# 0.10 s instead of 0.23 s, most of what a cold `find` waits for. 1: one file; still read
# (its vectors are the same), and the next `litradar index` exports again.
FORMAT = 2
READABLE_FORMATS = (1, 2)
WEIGHTS = "model.onnx.data"
# An fp32 export must give the torch encoder's vectors: cosine at least this on every text.
MIN_COSINE = 0.999
# The int8 export's floor on every checked text: it guards against a broken export (a
# wrong graph gives cosines far below); what int8 does to rankings is measured by
# `litradar evaluate` (benchmarks/bench_encoders.py), not by this check.
MIN_COSINE_INT8 = 0.98
VARIANTS = ("fp32", "int8")
_CONFIG = "encoder.json"


def _slug(model: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", model).strip("_") or "model"


def export_dir(data_dir: Path, model: str) -> Path:
    return data_dir / f"query-encoder.{_slug(model)}"


def export_ready(data_dir: Path, model: str) -> bool:
    """Whether an export of `model` is there (cheap: reads its config, loads nothing)."""
    try:
        config = json.loads((export_dir(data_dir, model) / _CONFIG).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        isinstance(config, dict)
        and config.get("format") == FORMAT
        and config.get("model") == model
        and (export_dir(data_dir, model) / "model.onnx").is_file()
        and (export_dir(data_dir, model) / WEIGHTS).is_file()
    )


def default_threads() -> int:
    """OMP_NUM_THREADS when set, as torch and FAISS read it: a machine shared by several
    processes (parallel tests, Dask workers) gives each fewer threads, and onnxruntime's
    spinning threads would otherwise take the cores from each other. Else up to 4 cores."""
    wanted = os.environ.get("OMP_NUM_THREADS", "")
    if wanted.isdigit() and int(wanted) > 0:
        return int(wanted)
    return min(4, os.cpu_count() or 1)


class OnnxEncoder:
    """Unit-length float32 vectors from the exported model, with no torch."""

    def __init__(
        self, directory: Path, config: dict, threads: int | None = None, batch_size: int = 32
    ) -> None:
        import onnxruntime
        from tokenizers import Tokenizer

        self.name: str = config["model"]
        self.variant: str = config.get("variant", "fp32")
        self.dim: int = int(config["dim"])
        self.directory = directory
        self.batch_size = batch_size
        self._tokenizer = Tokenizer.from_file(str(directory / "tokenizer.json"))
        self._tokenizer.enable_truncation(int(config["max_seq_length"]))
        self._tokenizer.no_padding()  # each batch is padded to its own longest text below
        self._pad_id = int(config["pad_id"])
        self._lower = bool(config.get("do_lower_case", False))
        options = onnxruntime.SessionOptions()
        # One batch at a time, its matrix products spread over the cores (inter-op threads
        # only help graphs with parallel branches, which a BERT layer has not).
        options.intra_op_num_threads = threads or default_threads()
        options.inter_op_num_threads = 1
        options.graph_optimization_level = onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.log_severity_level = 3  # errors only
        self._session = onnxruntime.InferenceSession(
            str(directory / "model.onnx"), options, providers=["CPUExecutionProvider"]
        )
        self._inputs = {i.name for i in self._session.get_inputs()}

    @classmethod
    def load(
        cls,
        data_dir: Path,
        model: str,
        threads: int | None = None,
        batch_size: int = 32,
        current_only: bool = False,
    ) -> OnnxEncoder | None:
        """None when no usable export is there (never exported, an unknown format, damaged;
        with `current_only`, also an export of an older format, to be made again)."""
        directory = export_dir(data_dir, model)
        formats = (FORMAT,) if current_only else READABLE_FORMATS
        try:
            config = json.loads((directory / _CONFIG).read_text(encoding="utf-8"))
            if config.get("format") not in formats or config.get("model") != model:
                return None
            return cls(directory, config, threads=threads, batch_size=batch_size)
        except Exception:  # a damaged export is a cache miss: the caller exports again
            return None

    def encode(
        self, texts: Sequence[str], progress: Callable[[int], None] | None = None
    ) -> np.ndarray:
        """Tokenize all texts at once, then run them longest first in batches of similar
        token counts, each padded only to its own longest text (sentence-transformers sorts
        by characters; tokens are what the model pays for)."""
        prepared = [t.strip().lower() if self._lower else t.strip() for t in texts]
        encodings = self._tokenizer.encode_batch(prepared)
        order = sorted(range(len(texts)), key=lambda i: -len(encodings[i].ids))
        chunks = [np.zeros((0, self.dim), dtype=np.float32)]
        for start in range(0, len(texts), self.batch_size):
            batch = [encodings[i] for i in order[start : start + self.batch_size]]
            chunks.append(self._encode_batch(batch))
            if progress:
                progress(len(batch))
        vectors = np.vstack(chunks)
        result = np.empty_like(vectors)
        result[order] = vectors
        return result

    def _encode_batch(self, encodings: list) -> np.ndarray:  # type: ignore[type-arg]
        width = max(len(e.ids) for e in encodings)
        shape = (len(encodings), width)
        feeds = {
            "input_ids": np.full(shape, self._pad_id, dtype=np.int64),
            "attention_mask": np.zeros(shape, dtype=np.int64),
            "token_type_ids": np.zeros(shape, dtype=np.int64),
        }
        for row, e in enumerate(encodings):
            n = len(e.ids)
            feeds["input_ids"][row, :n] = e.ids
            feeds["attention_mask"][row, :n] = e.attention_mask
            feeds["token_type_ids"][row, :n] = e.type_ids
        tokens = self._session.run(None, {k: v for k, v in feeds.items() if k in self._inputs})[0]
        # sentence-transformers' Pooling (mean over real tokens) and Normalize.
        mask = feeds["attention_mask"][..., None].astype(np.float32)
        pooled = (tokens * mask).sum(axis=1) / np.clip(mask.sum(axis=1), 1e-9, None)
        norms = np.clip(np.linalg.norm(pooled, axis=1, keepdims=True), 1e-12, None)
        return (pooled / norms).astype(np.float32)


def _plain_mean_pooling(model) -> bool:  # type: ignore[no-untyped-def]
    """Only Transformer -> mean Pooling -> Normalize is reproduced here; anything else keeps
    the torch encoder for queries."""
    names = [type(module).__name__ for module in model]
    if names != ["Transformer", "Pooling", "Normalize"]:
        return False
    return getattr(model[1], "pooling_mode", None) == "mean" or bool(
        getattr(model[1], "pooling_mode_mean_tokens", False)
    )


# Queries are short; the stored texts the export is also checked on are abstracts.
_CHECK_QUERIES = [
    "sparse autoencoders",
    "attention heads hallucination in LLaVA",
    "probing CLIP for compositionality",
    "causal tracing of factual recall in vision-language models",
]


def export_query_encoder(  # type: ignore[no-untyped-def]
    model,
    name: str,
    data_dir: Path,
    check_texts: Sequence[str],
    reference: np.ndarray | None = None,
    variant: str = "fp32",
) -> float:
    """Export `model` (a loaded SentenceTransformer) beside the index under `name`, as
    `variant` (fp32, or int8: optimised and quantised), and check it against the torch
    encoder on `check_texts` (whose vectors by the model are `reference`, when the store
    has them already) and a few short queries. Returns the smallest cosine; the export is
    kept only when that is at least MIN_COSINE (MIN_COSINE_INT8 for int8), else
    ValueError."""
    # The exporters and onnxruntime's tools may configure the root logger (a basicConfig at
    # INFO, seen with the int8 export), which would print every litradar progress line a
    # second time: the root logger is left as it was found.
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    try:
        return _export_query_encoder(model, name, data_dir, check_texts, reference, variant)
    finally:
        for handler in [h for h in root.handlers if h not in handlers]:
            root.removeHandler(handler)
        root.setLevel(level)


def _export_query_encoder(  # type: ignore[no-untyped-def]
    model,
    name: str,
    data_dir: Path,
    check_texts: Sequence[str],
    reference: np.ndarray | None,
    variant: str,
) -> float:
    import torch

    if variant not in VARIANTS:
        raise ValueError(f"unknown variant {variant!r}; choose from {VARIANTS}")

    if not _plain_mean_pooling(model):
        raise ValueError("the model is not Transformer + mean pooling + normalize")
    transformer = model[0]
    tokenizer_file = Path(transformer.tokenizer.name_or_path) / "tokenizer.json"
    if not tokenizer_file.is_file():
        raise ValueError(f"no tokenizer.json beside the model ({tokenizer_file})")
    hf_model = transformer.auto_model.eval()

    class TokenEmbeddings(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.hf = hf_model

        def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
            return self.hf(
                input_ids=input_ids, attention_mask=attention_mask, token_type_ids=token_type_ids
            ).last_hidden_state

    sample = transformer.tokenizer(
        ["an example", "a second example text"], padding=True, return_tensors="pt"
    )
    args = tuple(sample[k] for k in ("input_ids", "attention_mask", "token_type_ids"))
    target = export_dir(data_dir, name)
    data_dir.mkdir(parents=True, exist_ok=True)
    # Named after this process (atomic_files.temporary_prefix): a kill -9 mid-export leaves a
    # folder of about 90 MB that the next export, or the next `litradar index`, removes.
    remove_stale_temporaries(data_dir)
    prefix, suffix = temporary_prefix(target.name)
    tmp = Path(tempfile.mkdtemp(dir=data_dir, prefix=prefix, suffix=suffix))
    try:
        axes = {0: "batch", 1: "tokens"}
        with torch.no_grad(), warnings.catch_warnings():
            # The tracer's notes on constants it folds: the check below is what counts.
            warnings.simplefilter("ignore")
            torch.onnx.export(
                TokenEmbeddings(),
                args,
                str(tmp / "model.onnx"),
                input_names=["input_ids", "attention_mask", "token_type_ids"],
                output_names=["token_embeddings"],
                dynamic_axes={
                    "input_ids": axes,
                    "attention_mask": axes,
                    "token_type_ids": axes,
                    "token_embeddings": axes,
                },
                opset_version=17,
                dynamo=False,
            )
        faultpoint("onnx.exported")
        if variant == "int8":
            _optimise_and_quantise(tmp / "model.onnx", hf_model.config)
        _weights_apart(tmp / "model.onnx")
        shutil.copyfile(tokenizer_file, tmp / "tokenizer.json")
        tok = transformer.tokenizer
        dimension = getattr(model, "get_embedding_dimension", None) or (
            model.get_sentence_embedding_dimension
        )
        config = {
            "format": FORMAT,
            "model": name,
            "variant": variant,
            "dim": int(dimension()),
            "max_seq_length": int(model.max_seq_length),
            "do_lower_case": bool(getattr(transformer, "do_lower_case", False)),
            "pad_id": int(tok.pad_token_id or 0),
            "pad_token": str(tok.pad_token or "[PAD]"),
        }
        (tmp / _CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")
        texts = list(check_texts)
        fresh = texts if reference is None else []
        onnx_vectors = OnnxEncoder(tmp, config).encode([*texts, *_CHECK_QUERIES])
        torch_vectors = model.encode(
            [*fresh, *_CHECK_QUERIES],
            batch_size=32,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=False,
        )
        if reference is not None:
            torch_vectors = np.vstack(
                [np.asarray(reference).reshape(-1, config["dim"]), torch_vectors]
            )
        cosine = float(np.min(np.sum(onnx_vectors * torch_vectors, axis=1)))
        if cosine < (MIN_COSINE_INT8 if variant == "int8" else MIN_COSINE):
            raise ValueError(f"ONNX {variant} export differs from torch (cosine {cosine:.5f})")
        config["checked_cosine"] = cosine
        config["checked_texts"] = len(texts)
        (tmp / _CONFIG).write_text(json.dumps(config, indent=2), encoding="utf-8")
        # The config is what load() reads first; a kill between these two steps leaves no
        # export (find falls back to torch) and the next `litradar index` exports again.
        shutil.rmtree(target, ignore_errors=True)
        os.replace(tmp, target)
        return cosine
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _weights_apart(path: Path) -> None:
    """Rewrite the graph at `path` with its weights in WEIGHTS beside it (FORMAT 2)."""
    import onnx

    graph = onnx.load(str(path))
    path.unlink()
    onnx.save_model(
        graph,
        str(path),
        save_as_external_data=True,
        all_tensors_to_one_file=True,
        location=WEIGHTS,
        size_threshold=1024,
    )


def _optimise_and_quantise(path: Path, hf_config) -> None:  # type: ignore[no-untyped-def]
    """Replace the fp32 graph at `path` by its BERT-optimised, int8-quantised form.

    The transformer optimizer fuses each layer's attention, LayerNorm and GELU into single
    operators; dynamic quantisation then stores the MatMul weights as int8, one scale per
    output channel (per-tensor scales cost this model about 0.06 of cosine to torch, per
    channel 0.005), and quantises activations on the fly. No calibration data needed."""
    import onnx
    from onnxruntime.quantization import QuantType, quantize_dynamic
    from onnxruntime.transformers.optimizer import optimize_model

    optimised = path.with_name("optimised.onnx")
    model = optimize_model(
        str(path),
        model_type="bert",
        num_heads=int(hf_config.num_attention_heads),
        hidden_size=int(hf_config.hidden_size),
        opt_level=1,
    )
    model.save_model_to_file(str(optimised))
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)  # its advice to pre-process is for calibrated (static) runs
    try:
        quantize_dynamic(
            str(optimised),
            str(path),
            weight_type=QuantType.QInt8,
            per_channel=True,
            # The fused operators are outside ONNX's type inference; their outputs are float.
            extra_options={"DefaultTensorType": onnx.TensorProto.FLOAT},
        )
    finally:
        root.setLevel(level)
    optimised.unlink()
