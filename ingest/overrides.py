"""Metadata a person wrote down about a file; it beats anything extracted from the text.

Two places are read: a `reports.toml` in the file's folder (a `[[report]]` table per
file, keyed by `file`), and a sidecar `<file name>.toml` beside the file.
"""

from __future__ import annotations

import tomllib
from functools import lru_cache
from pathlib import Path

from kb.errors import IngestError

FOLDER_FILE = "reports.toml"
KNOWN_KEYS = {"id", "title", "kommun", "year", "date", "firm", "doc_type", "audited_body", "origin",
              "file"}


@lru_cache(maxsize=256)
def _folder_table(folder: Path, mtime: float) -> dict[str, dict]:
    path = folder / FOLDER_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise IngestError(f"{path}: metadatafilen kan inte tolkas ({exc}).") from exc
    return {entry["file"]: entry for entry in data.get("report", []) if "file" in entry}


def _check(entry: dict, where: Path) -> dict:
    unknown = set(entry) - KNOWN_KEYS
    if unknown:
        raise IngestError(f"{where}: okända metadatafält {', '.join(sorted(unknown))}.")
    return {k: v for k, v in entry.items() if k not in {"file", "origin"}}


def overrides_for(path: Path) -> dict:
    """Metadata written for this file, from its folder's reports.toml and its sidecar."""
    result: dict = {}
    table_path = path.parent / FOLDER_FILE
    if table_path.exists():
        entry = _folder_table(path.parent, table_path.stat().st_mtime).get(path.name)
        if entry:
            result.update(_check(entry, table_path))
    sidecar = path.with_name(path.name + ".toml")
    if sidecar.exists():
        try:
            result.update(_check(tomllib.loads(sidecar.read_text(encoding="utf-8")), sidecar))
        except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
            raise IngestError(f"{sidecar}: metadatafilen kan inte tolkas ({exc}).") from exc
    return result


def is_metadata_file(path: Path) -> bool:
    """Files that describe reports rather than being reports."""
    return path.name == FOLDER_FILE or path.name.endswith((".pdf.toml", ".md.toml", ".txt.toml"))
