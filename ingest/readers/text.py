"""Plain text and Markdown exports to Document: decode, strip export leftovers, keep the rest as written."""

from __future__ import annotations

import re

from ingest import clean
from ingest.encoding import decode_text
from kb.models import Document, Page

_FRONT_MATTER = re.compile(r"\A---[ \t]*\n(.*?)\n(?:---|\.\.\.)[ \t]*(?:\n|\Z)", re.DOTALL)
_FRONT_KEY = re.compile(r"^([A-Za-z_][\w\- ]*?)\s*:\s*(.*)$")
_PAGE_MARKER = re.compile(r"^[ \t]*<!--\s*(?:sida|page|sid)\s+(\d+)\s*-->[ \t]*$", re.IGNORECASE | re.MULTILINE)
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")


def read_text(data: bytes, fmt: str) -> Document:
    """Decode and clean a .txt or .md file; Markdown front matter and page markers become metadata and pages."""
    text, _ = decode_text(data)
    text = clean_text(text)
    metadata: dict = {}
    if fmt == "md":
        metadata, text = parse_front_matter(text)
        if _PAGE_MARKER.search(text):
            return _paged_markdown(text, metadata)
    return Document(text=clean.collapse_blank_lines(text), format=fmt, metadata=metadata)


def clean_text(text: str) -> str:
    """The cleaning every text export gets: Unicode, mojibake, export markers, blank lines."""
    text = clean.normalize_unicode(text)
    text = clean.fix_mojibake(text)
    text = clean.strip_export_artifacts(text)
    return clean.collapse_blank_lines(text)


def parse_front_matter(text: str) -> tuple[dict, str]:
    """Split a leading `---` block of `key: value` lines off the text; other text is left alone."""
    match = _FRONT_MATTER.match(text)
    if not match:
        return {}, text
    metadata: dict = {}
    for line in match.group(1).split("\n"):
        pair = _FRONT_KEY.match(line.strip())
        if not pair:
            if line.strip() and not line.strip().startswith("#"):
                return {}, text  # not simple key: value lines, so not front matter we understand
            continue
        value = pair.group(2).strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        metadata[pair.group(1).strip().lower()] = value
    if metadata:
        metadata["origin"] = "front_matter"  # a person wrote it: it beats extraction, title included
    return metadata, text[match.end():].lstrip("\n")


def unescape_markdown(text: str) -> str:
    """Drop Markdown backslash escapes ("1\\)" -> "1)") that converters add and readers never see."""
    return _MD_ESCAPE.sub(r"\1", text)


def _paged_markdown(text: str, metadata: dict) -> Document:
    """Markdown converted from a PDF: `<!-- sida N -->` markers become page spans, page numbers go."""
    pieces = _PAGE_MARKER.split(text)
    preamble, numbered = pieces[0], list(zip(pieces[1::2], pieces[2::2], strict=False))
    page_texts = [_clean_converted_page(body) for _, body in numbered]
    parts: list[str] = []
    spans: list[Page] = []
    offset = 0
    head = _clean_converted_page(preamble)
    if head:
        parts.append(head)
        offset = len(head)
    for (number, _), body in zip(numbered, page_texts, strict=False):
        if body and parts:
            offset += 2
        spans.append(Page(int(number), offset, offset + len(body)))
        if body:
            parts.append(body)
            offset += len(body)
    return Document(text="\n\n".join(parts), format="md", pages=tuple(spans), metadata=metadata)


def _clean_converted_page(body: str) -> str:
    """One converted page: no bare page-number lines, no escapes, words and paragraph lines rejoined."""
    lines = [line for line in body.split("\n") if not clean.is_page_number(line)]
    text = unescape_markdown("\n".join(lines))
    text = clean.join_hyphenated(text)
    return clean.collapse_blank_lines(clean.merge_paragraph_lines(text))
