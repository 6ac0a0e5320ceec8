"""Metadata a person wrote down about a file; it beats anything extracted from the text.

Two places are read: a `reports.toml` in the file's folder (a `[[report]]` table per
file, keyed by `file`), and a sidecar `<file name>.toml` beside the file.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from functools import lru_cache
from pathlib import Path

from kb.errors import IngestError
from kb.models import DOC_TYPES, YEARS

FOLDER_FILE = "reports.toml"
KNOWN_KEYS = {"id", "title", "kommun", "year", "date", "firm", "doc_type", "audited_body", "origin",
              "file"}
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


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
    return checked({k: v for k, v in entry.items() if k not in {"file", "origin"}}, str(where))


def checked(fields: dict, where: str) -> dict:
    """Metadata a person wrote, in the types the catalog keeps (year an int, date ISO text, the rest
    text). A value that cannot be one is refused, naming the file and the field: it would otherwise
    stop the ingest with a traceback, or file the report under a year no filter reaches."""
    out = dict(fields)
    if out.get("year") not in (None, ""):
        out["year"] = _year(out["year"], where)
    if out.get("date") not in (None, ""):
        out["date"] = _date(out["date"], where)
    if out.get("doc_type") not in (None, "") and out["doc_type"] not in DOC_TYPES:
        raise IngestError(f"{where}: fältet doc_type ({out['doc_type']!r}) är ingen dokumenttyp arkivet känner: "
                          f"ange en av {', '.join(DOC_TYPES)}.")
    for key in ("title", "kommun", "firm", "audited_body"):
        if key in out and not isinstance(out[key], str):
            out[key] = str(out[key])
    return out


def _year(value: object, where: str) -> int:
    text = str(value).strip()
    if isinstance(value, bool) or not text.isdecimal() or int(text) not in YEARS:
        raise IngestError(f"{where}: fältet year ({value!r}) är inget årtal: ange ett år mellan "
                          f"{YEARS[0]} och {YEARS[-1]}, till exempel 2024.")
    return int(text)


def _date(value: object, where: str) -> str:
    """A TOML date (2024-03-12 unquoted) or ISO text, as ISO text."""
    if isinstance(value, dt.datetime):
        value = value.date()
    text = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
    try:
        valid = bool(_ISO_DATE.fullmatch(text)) and dt.date.fromisoformat(text).year in YEARS
    except ValueError:
        valid = False
    if not valid:
        raise IngestError(f"{where}: fältet date ({value!r}) är inget datum: ange det som ÅÅÅÅ-MM-DD, "
                          "till exempel 2024-03-12.")
    return text


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
