"""Mark the query's words in an excerpt, and cut long passages down around them."""

from __future__ import annotations

import re
import unicodedata

from markupsafe import Markup, escape

_WORD = re.compile(r"\w+", re.UNICODE)
_STOP = {"och", "att", "det", "som", "en", "ett", "i", "på", "av", "för", "med", "till", "den",
         "om", "är", "har", "de", "hur", "vad", "vilka", "vilken", "kring", "inom", "vid", "the",
         "of", "and", "in", "to", "a", "for"}


def fold(word: str) -> str:
    """Lowercase without diacritics, so 'forsorjningsstod' meets 'försörjningsstöd'."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _stems(query: str) -> list[str]:
    """Query words cut to a stem-like prefix; compounds match on any part's prefix."""
    stems = []
    for word in _WORD.findall(query):
        folded = fold(word)
        if folded in _STOP or len(folded) < 3:
            continue
        stems.append(folded[: max(4, len(folded) - 3)] if len(folded) > 6 else folded)
    return stems


def match_spans(query: str, text: str) -> list[tuple[int, int]]:
    """Spans of `text` words that contain a query stem (at the start or inside a compound)."""
    stems = _stems(query)
    if not stems:
        return []
    spans = []
    for match in _WORD.finditer(text):
        folded = fold(match.group())
        if any(folded.startswith(s) or (len(s) >= 5 and s in folded) for s in stems):
            spans.append(match.span())
    return spans


def highlight(text: str, query: str, spans: list[tuple[int, int]] | None = None) -> Markup:
    """The text, escaped, with matched words wrapped in <mark>."""
    spans = match_spans(query, text) if spans is None else spans
    out, cursor = [], 0
    for start, end in spans:
        out.append(escape(text[cursor:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        cursor = end
    out.append(escape(text[cursor:]))
    return Markup("").join(out)


def excerpt(text: str, query: str, width: int = 480) -> Markup:
    """At most `width` characters of the passage, around its densest run of matches."""
    spans = match_spans(query, text)
    if len(text) <= width:
        return highlight(text, query, spans)
    best = 0
    if spans:
        best = max(range(len(spans)),
                   key=lambda i: sum(1 for s, _ in spans if spans[i][0] <= s < spans[i][0] + width))
    start = max(0, spans[best][0] - width // 4) if spans else 0
    start = text.rfind(" ", 0, start) + 1 if start else 0
    end = min(len(text), start + width)
    if end < len(text):
        end = max(text.rfind(" ", start, end), start + width // 2)
    inner = [(s - start, e - start) for s, e in spans if s >= start and e <= end]
    body = highlight(text[start:end], query, inner)
    return (Markup("… ") if start else Markup("")) + body + (Markup(" …") if end < len(text) else Markup(""))
