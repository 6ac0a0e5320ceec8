"""Settings, read once from the environment into one object."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

DEFAULT_MODEL = "multilingual-e5-small"
#: int8 ONNX Runtime: about 2-4x the float model's speed on 2 cores, nDCG@10 within 0.002 (docs/benchmarks.md).
DEFAULT_BACKEND = "onnx-int8"


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback) / "granskningsarkivet"


@dataclass(frozen=True)
class Config:
    """Where the index lives, which model embeds, and the limits the site enforces."""

    data_dir: Path = field(default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share"))
    cache_dir: Path = field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache"))
    model: str = DEFAULT_MODEL
    model_backend: str = DEFAULT_BACKEND
    chroma_url: str | None = None
    admin_token: str | None = None
    secret_key: str | None = None  # signs the session cookie; generated and kept in data_dir if unset
    max_file_bytes: int = 50_000_000
    ocr: bool = False
    rerank: bool = True  # the learned reranker (kb/rerank.py); KB_RERANK=0 ranks by fusion alone

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Config:
        """Build the config from KB_* variables; unset ones keep their defaults."""
        env = os.environ if env is None else env
        base = cls()
        return cls(
            data_dir=Path(env["KB_DATA_DIR"]) if env.get("KB_DATA_DIR") else base.data_dir,
            cache_dir=Path(env["KB_CACHE_DIR"]) if env.get("KB_CACHE_DIR") else base.cache_dir,
            model=env.get("KB_MODEL") or base.model,
            model_backend=env.get("KB_MODEL_BACKEND") or base.model_backend,
            chroma_url=env.get("KB_CHROMA_URL") or None,
            admin_token=env.get("KB_ADMIN_TOKEN") or None,
            secret_key=env.get("KB_SECRET_KEY") or None,
            max_file_bytes=int(env.get("KB_MAX_FILE_MB", "50")) * 1_000_000,
            ocr=env.get("KB_OCR", "").lower() in {"1", "true", "yes"},
            rerank=env.get("KB_RERANK", "1").lower() not in {"0", "false", "no"},
        )

    @property
    def catalog_path(self) -> Path:
        """The SQLite file with reports, chunks, findings and the lexical index."""
        return self.data_dir / "catalog.sqlite3"

    @property
    def chroma_path(self) -> Path:
        """Where the embedded Chroma store keeps its files."""
        return self.data_dir / "chroma"
