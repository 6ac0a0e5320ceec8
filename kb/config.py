"""Settings, read once from the environment into one object."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import ParseResult, urlparse

from kb.errors import ConfigError

DEFAULT_MODEL = "multilingual-e5-small"
#: int8 ONNX Runtime: about 2-4x the float model's speed on 2 cores, nDCG@10 within 0.002 (docs/benchmarks.md).
DEFAULT_BACKEND = "onnx-int8"


_TRUE = frozenset({"1", "true", "yes", "on", "ja", "på"})
_FALSE = frozenset({"0", "false", "no", "off", "nej", "av"})


def _xdg(var: str, fallback: str) -> Path:
    return Path(os.environ.get(var) or Path.home() / fallback) / "granskningsarkivet"


def _flag(env: Mapping[str, str], name: str, default: bool) -> bool:
    """An on/off setting; anything but a clear yes or no is refused, so a typo never silently picks one."""
    raw = env.get(name, "").strip().casefold()
    if not raw:
        return default
    if raw in _TRUE | _FALSE:
        return raw in _TRUE
    raise ConfigError(f"{name}={env[name]!r} går inte att tolka: ange 1 (på) eller 0 (av).")


def _megabytes(env: Mapping[str, str], name: str, default: float) -> int:
    """A size limit in MB as bytes; it must be a positive number (0.5 and 0,5 are half a megabyte)."""
    raw = env.get(name, "").strip()
    if not raw:
        return int(default * 1_000_000)
    try:
        value = float(raw.replace(",", "."))
    except ValueError:
        value = math.nan
    if not (math.isfinite(value) and value > 0):
        raise ConfigError(f"{name}={env[name]!r} går inte att använda: ange största filstorlek i megabyte "
                          "som ett tal större än 0, till exempel 50 eller 0.5.")
    return max(1, round(value * 1_000_000))


def _is_http(url: ParseResult) -> bool:
    """An http(s) address with a host and, if any, a valid port."""
    try:
        port_ok = url.port is None or url.port > 0
    except ValueError:
        port_ok = False
    return url.scheme in ("http", "https") and bool(url.hostname) and port_ok


def _server_url(env: Mapping[str, str], name: str) -> str | None:
    """A server's address (http://host:port); a malformed one is refused here, not at the first search."""
    raw = env.get(name, "").strip()
    if raw and not _is_http(urlparse(raw)):
        raise ConfigError(f"{name}={raw!r} är ingen giltig serveradress: ange den som http://värd:port, "
                          "till exempel http://127.0.0.1:8000.")
    return raw or None


def site_url(raw: str, name: str) -> str | None:
    """The site's public address, under which permalinks are written in full (http(s)://host[:port][/path],
    without a trailing slash); `name` is what the error message calls the setting."""
    raw = raw.strip()
    url = urlparse(raw)
    if raw and (not _is_http(url) or url.query or url.fragment):
        raise ConfigError(f"{name}={raw!r} är ingen giltig adress till webbplatsen: ange den som "
                          "https://värd eller http://värd:port, till exempel https://granskning.example.se.")
    return raw.rstrip("/") or None


@dataclass(frozen=True)
class Config:
    """Where the index lives, which model embeds, and the limits the site enforces."""

    data_dir: Path = field(default_factory=lambda: _xdg("XDG_DATA_HOME", ".local/share"))
    cache_dir: Path = field(default_factory=lambda: _xdg("XDG_CACHE_HOME", ".cache"))
    model: str = DEFAULT_MODEL
    model_backend: str = DEFAULT_BACKEND
    chroma_url: str | None = None
    site_url: str | None = None  # the site's public address, for full permalinks outside it (exports, CLI)
    admin_token: str | None = None
    secret_key: str | None = None  # signs the session cookie; generated and kept in data_dir if unset
    max_file_bytes: int = 50_000_000
    ocr: bool = False
    rerank: bool = True  # the learned reranker (kb/rerank.py); KB_RERANK=0 ranks by fusion alone

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> Config:
        """Build the config from KB_* variables; unset ones keep their defaults, and a value a setting
        cannot take raises ConfigError naming the variable and what it accepts."""
        env = os.environ if env is None else env
        base = cls()
        return cls(
            data_dir=Path(env["KB_DATA_DIR"]) if env.get("KB_DATA_DIR") else base.data_dir,
            cache_dir=Path(env["KB_CACHE_DIR"]) if env.get("KB_CACHE_DIR") else base.cache_dir,
            model=env.get("KB_MODEL") or base.model,
            model_backend=env.get("KB_MODEL_BACKEND") or base.model_backend,
            chroma_url=_server_url(env, "KB_CHROMA_URL"),
            site_url=site_url(env.get("KB_SITE_URL", ""), "KB_SITE_URL"),
            admin_token=env.get("KB_ADMIN_TOKEN") or None,
            secret_key=env.get("KB_SECRET_KEY") or None,
            max_file_bytes=_megabytes(env, "KB_MAX_FILE_MB", base.max_file_bytes / 1_000_000),
            ocr=_flag(env, "KB_OCR", base.ocr),
            rerank=_flag(env, "KB_RERANK", base.rerank),
        )

    @property
    def catalog_path(self) -> Path:
        """The SQLite file with reports, chunks, findings and the lexical index."""
        return self.data_dir / "catalog.sqlite3"

    @property
    def chroma_path(self) -> Path:
        """Where the embedded Chroma store keeps its files."""
        return self.data_dir / "chroma"
