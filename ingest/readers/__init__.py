"""Read a report file of any supported type into a Document, telling the user plainly when it cannot."""

from __future__ import annotations

import pathlib

from ingest.encoding import looks_binary
from ingest.readers.pdf import read_pdf
from ingest.readers.text import read_text
from kb.errors import IngestError
from kb.models import Document

__all__ = ["detect_format", "read_document"]

_MARKDOWN_SUFFIXES = {".md", ".markdown"}
_TEXT_SUFFIXES = {".txt", ".text", ""} | _MARKDOWN_SUFFIXES


def detect_format(path: pathlib.Path, head: bytes) -> str:
    """The format from the content, with the extension only as a hint: "pdf", "md" or "txt"."""
    suffix = path.suffix.lower()
    if b"%PDF-" in head[:1024]:
        return "pdf"
    if suffix == ".pdf":
        raise IngestError("Filen heter .pdf men är ingen PDF-fil (den kan vara skadad eller felnamngiven).")
    if suffix not in _TEXT_SUFFIXES:
        raise IngestError(f"Filtypen {suffix} stöds inte. Spara filen som PDF, Markdown (.md) "
                          "eller text (.txt) och läs in den igen.")
    if looks_binary(head):
        raise IngestError("Filen är ingen textfil eller PDF och kan inte läsas (filtypen stöds inte).")
    return "md" if suffix in _MARKDOWN_SUFFIXES else "txt"


def read_document(path: pathlib.Path, *, max_bytes: int = 50_000_000, ocr: bool = False) -> Document:
    """Read one report file; problems a user can fix raise IngestError with a Swedish message, which
    leaves naming the file to whoever shows it (`kb ingest` prints the path, the site the upload's name)."""
    path = pathlib.Path(path)
    try:
        size = path.stat().st_size
        if size == 0:
            raise IngestError("Filen är tom (0 byte).")
        if size > max_bytes:
            raise IngestError(
                f"Filen är för stor ({size / 1e6:.1f} MB); största tillåtna storlek är "
                f"{max_bytes / 1e6:g} MB (KB_MAX_FILE_MB)."
            )
        data = path.read_bytes()
    except IsADirectoryError:
        raise IngestError("Det är en mapp, inte en fil.") from None
    except FileNotFoundError:
        raise IngestError("Filen finns inte.") from None
    except PermissionError:
        raise IngestError("Filen får inte läsas (behörighet saknas).") from None
    except OSError as exc:
        raise IngestError(f"Filen kunde inte läsas ({exc.strerror or exc}).") from None
    fmt = detect_format(path, data[:8192])
    if fmt == "pdf":
        return read_pdf(data, ocr=ocr)
    document = read_text(data, fmt)
    if not document.text.strip():
        raise IngestError("Filen innehåller ingen text.")
    return document
