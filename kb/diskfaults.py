"""Writes the disk refuses (a read-only folder, a full disk), recognised however SQLite or
Chroma reports them, and turned into one clear StorageError."""

from __future__ import annotations

import errno

from kb.errors import StorageError

_WORDS = ("readonly", "read-only", "read only", "no space", "disk is full", "disk full", "disk i/o",
          "permission denied", "unable to open database", "errno 28", "errno 30", "os error 28",
          "os error 30")
_ERRNOS = (errno.ENOSPC, errno.EROFS, errno.EACCES, errno.EDQUOT)


def is_storage_error(exc: BaseException) -> bool:
    """True when `exc` says the index's files could not be written."""
    if isinstance(exc, OSError) and exc.errno in _ERRNOS:
        return True
    return any(word in str(exc).lower() for word in _WORDS)


def storage_error(where: object, exc: BaseException) -> StorageError:
    """A message someone can act on; the index was left as it was."""
    reason = getattr(exc, "strerror", None) or str(exc)
    return StorageError(f"Indexet i {where} kan inte skrivas ({reason}). Kontrollera att mappen är "
                        "skrivbar och att disken inte är full (KB_DATA_DIR); kör sedan kb ingest igen.")
