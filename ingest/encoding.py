"""Turning the bytes of a text export into str, whatever encoding the exporter chose."""

from __future__ import annotations

import codecs

_BOMS = (
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE: its BOM starts with the same bytes
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)

#: Control bytes that never occur in a text file (tab, newlines and form feed do).
_BINARY_BYTES = frozenset(range(0x09)) | frozenset(range(0x0E, 0x1A)) | {0x0B, 0x1C, 0x1D, 0x1E, 0x1F, 0x7F}


def bom_encoding(data: bytes) -> str | None:
    """The encoding a byte-order mark announces, so UTF-16 files are not taken for binary."""
    for bom, name in _BOMS:
        if data.startswith(bom):
            return name
    return None


def looks_binary(data: bytes, sample: int = 8192) -> bool:
    """Whether the bytes are not text: NUL and other control bytes do not occur in text exports."""
    if bom_encoding(data):
        return False
    head = data[:sample]
    if not head:
        return False
    if b"\x00" in head:
        return True
    bad = sum(1 for byte in head if byte in _BINARY_BYTES)
    return bad / len(head) > 0.01


def decode_text(data: bytes) -> tuple[str, str]:
    """Decode text bytes: BOM first, then strict UTF-8, then Windows-1252 (old Word exports), then Latin-1."""
    bom = bom_encoding(data)
    if bom:
        return data.decode(bom, errors="replace").lstrip("\ufeff"), bom
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"
