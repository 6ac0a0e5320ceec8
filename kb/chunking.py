"""Cut a report into excerpt-sized passages that follow its structure.

Chunks never cross a section boundary, break between paragraphs and list items
where they can, between sentences where they must, and never inside a word.
Every chunk's text is exactly `text[start:end]` of the report.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass

from kb.models import Chunk, Document, Section

MAX_CHARS = 1200
TARGET_CHARS = 800
MIN_CHARS = 200

_BLOCK_BREAK = re.compile(r"\n\s*")  # readers put one paragraph or list item on a line
_SENTENCE_END = re.compile(r"(?<=[.!?:;])[\"”’)]*\s+(?=[\"“(]?[A-ZÅÄÖÉ0-9])")
_WHITESPACE = re.compile(r"\s+")
_CONTENTS_HEADING = re.compile(r"(innehåll|innehållsförteckning):?", re.IGNORECASE)
#: A contents entry's page number: 1-3 digits after a word ("Klimathjältar 09", not "2020-2050" or "5 %").
_PAGE_NUMBER_END = re.compile(r"[^\W\d]\S*\s+\d{1,3}$")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def chunk_id(report_id: str, start: int, end: int, text: str) -> str:
    """A stable id: the same passage of the same report gets the same id on every ingest."""
    digest = hashlib.sha256(f"{report_id}\x1f{start}\x1f{end}\x1f{text}".encode()).hexdigest()
    return digest[:24]


def _strip(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def _blocks(text: str, start: int, end: int) -> list[Span]:
    """Paragraphs and list items of one section, as spans."""
    spans, cursor = [], start
    for match in _BLOCK_BREAK.finditer(text, start, end):
        if (span := _strip(text, cursor, match.start())) is not None:
            spans.append(span)
        cursor = match.end()
    if (span := _strip(text, cursor, end)) is not None:
        spans.append(span)
    return spans


def _split_long(text: str, span: Span, max_chars: int) -> list[Span]:
    """Split a block longer than max_chars at sentence ends, else at spaces."""
    pieces: list[Span] = []
    start = span.start
    while span.end - start > max_chars:
        limit = start + max_chars
        cut = None
        for match in _SENTENCE_END.finditer(text, start + max_chars // 3, limit):
            cut = match.start()
        if cut is None:
            space = text.rfind(" ", start + 1, limit)
            newline = text.rfind("\n", start + 1, limit)
            cut = max(space, newline)
        if cut is None or cut <= start:
            cut = _next_space(text, limit, span.end)
        if (piece := _strip(text, start, cut)) is not None:
            pieces.append(piece)
        start = cut
    if (piece := _strip(text, start, span.end)) is not None:
        pieces.append(piece)
    return pieces


def _next_space(text: str, pos: int, end: int) -> int:
    match = _WHITESPACE.search(text, pos, end)
    return match.start() if match else end


def _pack(text: str, blocks: list[Span], target: int, max_chars: int) -> list[Span]:
    """Greedily join neighbouring blocks into chunks of about `target` characters."""
    units = [piece for block in blocks for piece in _split_long(text, block, max_chars)]
    chunks: list[Span] = []
    current: Span | None = None
    for unit in units:
        if current is None:
            current = unit
            continue
        joined = unit.end - current.start
        current_len = current.end - current.start
        if joined <= max_chars and (current_len < target or current_len < MIN_CHARS):
            current = Span(current.start, unit.end)
        else:
            chunks.append(current)
            current = unit
    if current is not None:
        chunks.append(current)
    return chunks


def _merge_heading_only(sections: list[Section], text: str) -> list[tuple[Section, int, int]]:
    """Let a section holding only its heading run on into the next, so no chunk is a bare title."""
    merged: list[tuple[Section, int, int]] = []
    pending_start: int | None = None
    for section in sections:
        start = pending_start if pending_start is not None else section.start
        body = text[section.start : section.end].strip()
        if body == section.title.strip() and body and section is not sections[-1]:
            pending_start = start
            continue
        merged.append((section, start, section.end))
        pending_start = None
    return merged


def chunk_document(report_id: str, document: Document, sections: list[Section],
                   *, target: int = TARGET_CHARS, max_chars: int = MAX_CHARS) -> list[Chunk]:
    """Chunks for a whole report; `sections` must cover the text contiguously."""
    text = document.text
    if not sections:
        sections = [Section("", 0, 0, len(text), (), "ovrigt")]
    chunks: list[Chunk] = []
    for section, start, end in _merge_heading_only(sections, text):
        for span in _pack(text, _blocks(text, start, end), target, max_chars):
            body = text[span.start : span.end]
            page, page_end = document.pages_of(span.start, span.end)
            chunks.append(Chunk(
                id=chunk_id(report_id, span.start, span.end, body),
                report_id=report_id, text=body, start=span.start, end=span.end,
                section=section.title, section_path=section.path, section_type=section.type,
                page=page, page_end=page_end,
            ))
    return chunks


def is_contents_entry(line: str) -> bool:
    """A stripped line of a table of contents: an entry, a leader (three dots, a tab or three
    spaces) and a page number, or an entry trailing off in dots. A table row is none: its last
    cell follows a number. (String methods, not a regular expression: search asks this of the
    lines of every candidate.)"""
    if line.endswith("...."):
        return True
    head = line.rstrip("0123456789")
    if not 1 <= len(line) - len(head) <= 3:
        return False
    entry = head.rstrip(" \t.…")
    leader = head[len(entry):]
    return (bool(entry) and not entry[-1].isdigit()
            and any(mark in leader for mark in ("\t", "   ", "...", "……")))


def is_table_of_contents(text: str) -> bool:
    """Whether a passage is mostly a table of contents: the report page shows it, but it names
    every subject and answers none, so search never returns it. Under its "Innehåll" heading an
    entry needs no leader: a laid-out brochure's contents run "Nulägesbeskrivning 15", or several
    entries to a line ("Förord 05 Varför en klimatstrategi? 07")."""
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    headed = bool(lines) and bool(_CONTENTS_HEADING.fullmatch(lines[0]))
    lines = [line for line in lines if not _CONTENTS_HEADING.fullmatch(line)]
    entries = sum(is_contents_entry(line) or headed and _PAGE_NUMBER_END.search(line) is not None for line in lines)
    return bool(lines) and entries >= len(lines) / 2
