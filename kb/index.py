"""The index as one object: catalog, vector store, lexical index and the model that fills them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import partial

from kb.catalog import Catalog
from kb.config import Config
from kb.embedding import Embedder, load_embedder
from kb.errors import ModelMismatch
from kb.lexical import LexicalIndex
from kb.vectors import VectorStore, make_client


@dataclass
class Index:
    """Everything a search or an ingest needs, opened once per process."""

    config: Config
    catalog: Catalog
    vectors: VectorStore
    embedder: Embedder
    lexical: LexicalIndex

    @classmethod
    def open(cls, config: Config, *, embedder: Embedder | None = None,
             notify: Callable[[str], None] | None = None) -> Index:
        """Open (or create) the index in config.data_dir with the configured model."""
        config.data_dir.mkdir(parents=True, exist_ok=True)
        catalog = Catalog(config.catalog_path)
        embedder = embedder or load_embedder(config.model, config.cache_dir, notify, config.model_backend)
        stored = catalog.get_setting("model")
        if stored and stored != embedder.name:
            raise ModelMismatch(
                f"Indexet i {config.data_dir} byggdes med modellen {stored!r}, men {embedder.name!r}"
                " är vald. Bygg om indexet (kb reindex) eller välj samma modell med KB_MODEL."
            )
        if config.chroma_url:  # connect on first use, so a server that is down can come back
            client = partial(make_client, config.chroma_url, str(config.chroma_path))
        else:
            client = make_client(None, str(config.chroma_path))
        lexical = LexicalIndex.from_connection(catalog.conn, lock=catalog.lock)
        return cls(config, catalog, VectorStore(client, embedder), embedder, lexical)

    def record_model(self) -> None:
        """Remember which model built the index, so another one is refused later."""
        with self.catalog.transaction() as db:
            self.catalog.set_setting(db, "model", self.embedder.name)
            self.catalog.set_setting(db, "dim", str(self.embedder.dim))

    def reconcile(self) -> int:
        """Delete vectors the catalog does not know (left by a crash); returns how many."""
        known = self.catalog.chunk_ids()
        orphans = self.vectors.ids() - known
        self.vectors.delete(orphans)
        return len(orphans)

    def close(self) -> None:
        self.catalog.close()
