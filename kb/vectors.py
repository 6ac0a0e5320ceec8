"""The vector store: one Chroma collection of chunk embeddings, embedded or on a server."""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlparse

import numpy as np
from chromadb.api.types import Documents, EmbeddingFunction, Embeddings

from kb.diskfaults import is_storage_error, storage_error
from kb.embedding import Embedder
from kb.errors import ModelMismatch, StoreUnavailable

COLLECTION = "granskningsarkivet"
#: recall@10 against exact search at 100,000 vectors: 0.971 at 100, 0.986 at 200, 0.994 at 400
#: for 2.2, 2.4 and 2.7 ms p50 (bench/hnsw.py): the margin costs a fraction of a millisecond.
HNSW_EF_SEARCH = 400
_BATCH = 1000


class KbEmbeddingFunction(EmbeddingFunction[Documents]):
    """Chroma's hook to our own model, so Chroma never fetches its default one."""

    def __init__(self, embedder: Embedder) -> None:
        self._embedder = embedder

    def __call__(self, input: Documents) -> Embeddings:
        return list(self._embedder.embed_passages(list(input)))

    def embed_query(self, input: Documents) -> Embeddings:
        return [self._embedder.embed_query(text) for text in input]

    @staticmethod
    def name() -> str:
        return "granskningsarkivet"

    def get_config(self) -> dict[str, Any]:
        return {"model": self._embedder.name}

    @staticmethod
    def build_from_config(config: dict[str, Any]) -> KbEmbeddingFunction:
        """Chroma rebuilds the function it stored; ours needs the model, which the store passes."""
        return KbEmbeddingFunction(_NamedOnly(config.get("model", "")))

    def is_legacy(self) -> bool:
        return False

    def default_space(self) -> str:
        return "cosine"


class _NamedOnly:
    """Stands in for a model Chroma knows only by name; we always pass vectors ourselves."""

    def __init__(self, name: str) -> None:
        self.name, self.dim = name, 0

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        raise StoreUnavailable("Vektordatabasen öppnades utan modell; öppna den genom kb.")

    embed_query = embed_passages


def make_client(chroma_url: str | None, path: str):
    """A Chroma client: HttpClient for a `chroma run` server, else a PersistentClient."""
    import chromadb
    from chromadb.config import Settings

    settings = Settings(anonymized_telemetry=False)
    if chroma_url:
        url = urlparse(chroma_url)
        try:
            return chromadb.HttpClient(host=url.hostname or "127.0.0.1", port=url.port or 8000,
                                       ssl=url.scheme == "https", settings=settings)
        except Exception as exc:  # chromadb raises plain ValueError/ConnectError on start
            raise StoreUnavailable(f"Chroma-servern på {chroma_url} svarar inte: {exc}") from exc
    try:
        return chromadb.PersistentClient(path=path, settings=settings)
    except Exception as exc:  # chromadb raises its own and plain errors for an unwritable folder
        if is_storage_error(exc):
            raise storage_error(path, exc) from exc
        raise


class VectorStore:
    """Chunk vectors with the metadata that filters need; knows which model made them."""

    def __init__(self, client, embedder: Embedder, *, hnsw_ef_search: int = HNSW_EF_SEARCH) -> None:
        """`client` is a Chroma client, or a function making one: a server that is down when
        the site starts is then first contacted by the first search, and retried by each next one."""
        self.embedder = embedder
        self._client = client if not callable(client) or hasattr(client, "heartbeat") else None
        self._make_client = None if self._client is not None else client
        self._hnsw_ef_search = hnsw_ef_search
        self._collection = None

    @property
    def client(self):
        if self._client is None:
            self._client = self._make_client()
        return self._client

    @property
    def collection(self):
        """The collection, opened lazily so a Chroma server that is down can come back."""
        if self._collection is None:
            self._collection = self._open()
        return self._collection

    def _open(self):
        try:
            collection = self.client.get_or_create_collection(
                COLLECTION,
                embedding_function=KbEmbeddingFunction(self.embedder),
                configuration={"hnsw": {"space": "cosine", "ef_search": self._hnsw_ef_search,
                                        "ef_construction": 200, "max_neighbors": 32}},
                metadata={"kb_model": self.embedder.name, "kb_dim": self.embedder.dim},
            )
        except Exception as exc:
            if _is_connection_error(exc):
                raise StoreUnavailable(f"Vektordatabasen kan inte nås: {exc}") from exc
            raise
        hnsw = (getattr(collection, "configuration", None) or {}).get("hnsw") or {}
        if hnsw.get("ef_search") not in (None, self._hnsw_ef_search):
            # get_or_create keeps an existing collection's settings; ef_search alone can change.
            collection.modify(configuration={"hnsw": {"ef_search": self._hnsw_ef_search}})
        stored = (collection.metadata or {}).get("kb_model")
        if stored and stored != self.embedder.name:
            raise ModelMismatch(
                f"Indexet byggdes med modellen {stored!r} men {self.embedder.name!r} är vald. "
                "Bygg om indexet (kb reindex) eller välj samma modell med KB_MODEL."
            )
        return collection

    def reset(self) -> None:
        """Drop every vector, e.g. before re-indexing with another model."""
        with contextlib.suppress(Exception):  # an absent collection is already reset
            self.client.delete_collection(COLLECTION)
        self._collection = None

    def upsert(self, ids: list[str], vectors: np.ndarray, metadatas: list[dict]) -> None:
        for i in range(0, len(ids), _BATCH):
            self._call(self.collection.upsert, ids=ids[i : i + _BATCH],
                       embeddings=vectors[i : i + _BATCH], metadatas=metadatas[i : i + _BATCH])

    def delete(self, ids: Iterable[str]) -> None:
        ids = list(ids)
        for i in range(0, len(ids), _BATCH):
            self._call(self.collection.delete, ids=ids[i : i + _BATCH])

    def ids(self, where: dict | None = None) -> set[str]:
        found: set[str] = set()
        offset = 0
        while True:
            page = self._call(self.collection.get, where=where, include=[], limit=5000, offset=offset)
            found.update(page["ids"])
            if len(page["ids"]) < 5000:
                return found
            offset += 5000

    def vector(self, chunk_id: str) -> np.ndarray:
        """The stored embedding of one chunk."""
        found = self._call(self.collection.get, ids=[chunk_id], include=["embeddings"])
        if not found["ids"]:
            from kb.errors import NotFound

            raise NotFound("Stycket finns inte i vektorindexet.")
        return np.asarray(found["embeddings"][0], dtype=np.float32)

    def count(self) -> int:
        return self._call(self.collection.count)

    def query(self, vector: np.ndarray, n: int, where: dict | None = None) -> list[tuple[str, float]]:
        """Nearest chunks as (id, cosine similarity), best first."""
        # Chroma returns fewer than n when it holds fewer (counting first cost 8 ms at 100,000 vectors).
        result = self._call(self.collection.query, query_embeddings=[vector], n_results=max(1, n),
                            where=where, include=["distances"])
        return [(cid, 1.0 - float(dist)) for cid, dist in
                zip(result["ids"][0], result["distances"][0], strict=True)]

    def _call(self, method, *args, **kwargs):
        try:
            return method(*args, **kwargs)
        except Exception as exc:
            if _is_connection_error(exc):
                self._collection = None
                raise StoreUnavailable(f"Vektordatabasen kan inte nås: {exc}") from exc
            if is_storage_error(exc):
                raise storage_error("vektordatabasen", exc) from exc
            raise


def _is_connection_error(exc: Exception) -> bool:
    name = type(exc).__name__
    text = str(exc).lower()
    return name in {"ConnectError", "ConnectTimeout", "ReadTimeout", "RemoteProtocolError"} or (
        "connect" in text and ("refused" in text or "could not" in text or "failed" in text)
    )
