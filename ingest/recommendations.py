"""The auditors' recommendations: listed items when the report lists them, else 'Vi rekommenderar' sentences."""

from __future__ import annotations

import re

from ingest.passages import BULLET, Item, items_after, lines_in, sentences_with, similar
from kb.models import Section

_TRIGGER = re.compile(r"rekommender\w*\b[^.]*:\s*$|rekommendationer\s*:\s*$|förbättringsområden\s*:\s*$", re.IGNORECASE)
_NUMBERED_REC = re.compile(r"^\s*(rekommendation|förslag)\s+\d+\s*:?\s*$", re.IGNORECASE)
_LIST_SECTION = re.compile(r"rekommendationer|förslag till förbättring|förbättringsområden|åtgärdsförslag",
                           re.IGNORECASE)
_SENTENCE = re.compile(r"\b(rekommenderar|rekommenderas)\b", re.IGNORECASE)
_MIN_LEN = 15


def _listed(text: str, sections: list[Section]) -> list[Item]:
    """Items under 'Rekommendationer' headings, after 'Vi rekommenderar att:' and 'Rekommendation N'."""
    found: list[Item] = []
    for sec in sections:
        if sec.type == "rekommendation" and _LIST_SECTION.search(sec.title) and not _NUMBERED_REC.match(sec.title):
            body = text.find("\n", sec.start, sec.end)
            covered = body + 1 if body >= 0 else sec.end
            for s, _e, line in lines_in(text, covered, sec.end):
                if s < covered or _TRIGGER.search(line) or not BULLET.match(line.strip()):
                    continue
                items = items_after(text, s, sec.end)
                found.extend(it for it in items if len(it.text) >= _MIN_LEN)
                covered = items[-1].end if items else s + 1
    for _s, e, line in lines_in(text):
        if _TRIGGER.search(line):
            found.extend(it for it in items_after(text, e + 1, len(text)) if len(it.text) >= _MIN_LEN)
    return found


def _first_paragraph(text: str, s: int, e: int) -> Item | None:
    """The first non-blank line of a span, as an item."""
    for ls, le, line in lines_in(text, s, e):
        if line.strip():
            start = ls + len(line) - len(line.lstrip())
            return Item(start, le, line.strip())
    return None


def _numbered(text: str, sections: list[Section]) -> list[Item]:
    """'Rekommendation 1' headings followed by the recommendation's paragraph (responses quote them so)."""
    out = []
    for sec in sections:
        if _NUMBERED_REC.match(sec.title):
            nl = text.find("\n", sec.start, sec.end)
            if nl >= 0 and (item := _first_paragraph(text, nl + 1, sec.end)):
                out.append(item)
    return out


def _sentences(text: str, sections: list[Section]) -> list[Item]:
    """'Vi rekommenderar att …' sentences, for reports that give no list."""
    out = []
    for sec in sections:
        if sec.type in ("ovrigt", "svar") and sec.title:
            continue
        out.extend(it for it in sentences_with(text, sec.start, sec.end, _SENTENCE) if len(it.text) >= _MIN_LEN)
    return out


def dedupe(items: list[Item]) -> list[Item]:
    """One item per recommendation: the first, unless a repeat is clearly fuller; in text order."""
    kept: list[Item] = []
    for item in sorted(items, key=lambda it: it.start):
        for k, other in enumerate(kept):
            if similar(item.text, other.text, 0.7):
                if len(item.text) > 1.15 * len(other.text):
                    kept[k] = item
                break
        else:
            kept.append(item)
    return sorted(kept, key=lambda it: it.start)


def find_recommendations(text: str, sections: list[Section]) -> list[Item]:
    """Deduplicated recommendations with exact spans."""
    listed = [it for it in _listed(text, sections) if not _NUMBERED_REC.match(it.text)] + _numbered(text, sections)
    return dedupe(listed) if listed else dedupe(_sentences(text, sections))
