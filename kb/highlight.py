"""Mark the query's words in an excerpt, and cut long passages down around them.

Words are marked by the search's own analysis (`kb.analysis.match_spans`): stems, folded
diacritics, compound parts and the thesaurus, so "AF" marks "Arbetsförmedlingen" and
"arbetsmarknad" marks "Arbetsmarknadsenheten", exactly the words that made the passage match.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from markupsafe import Markup, escape

from kb.analysis import fold_diacritics, lowercase, match_spans

if TYPE_CHECKING:
    from kb.compounds import Decompounder


#: The line break a Markdown converter writes inside a table cell ("en<br>incidenthanteringsprocess").
LINE_BREAK = re.compile(r"(?i)<br\s*/?>")


#: A Markdown link or image, "[Tabell 216-1](handlingar.tabeller/216-1.csv)": its text is what a reader reads.
MARKDOWN_LINK = re.compile(r"!?\[([^\]\n]*)\]\([^)\s]*\)")
#: A Markdown table's delimiter row, "| --- | :---: |": no content.
TABLE_RULE = re.compile(r"(?m)^[ \t]*\|?(?:[ \t]*:?-{3,}:?[ \t]*\|)+[ \t]*(?::?-{3,}:?[ \t]*)?$")
#: The pipes that open and close a table row, and those between its cells.
ROW_EDGE = re.compile(r"(?m)^[ \t]*\|[ \t]*|[ \t]*(?<!\\)\|[ \t]*$")
CELL_SEPARATOR = re.compile(r"[ \t]+(?<!\\)\|[ \t]+")


def plain_text(text: str) -> str:
    """A passage as plain text for excerpts, exports and the terminal: a table cell's `<br>` as a space,
    a Markdown link as its text, a table row's pipes as a dash between cells a person reads."""
    text = MARKDOWN_LINK.sub(r"\1", LINE_BREAK.sub(" ", text))
    text = ROW_EDGE.sub("", TABLE_RULE.sub("", text))
    return CELL_SEPARATOR.sub(" – ", text)


def fold(word: str) -> str:
    """Lowercase without diacritics, so 'forsorjningsstod' meets 'försörjningsstöd'."""
    return fold_diacritics(lowercase(word))


def highlight(text: str, query: str, spans: list[tuple[int, int]] | None = None,
              decompounder: Decompounder | None = None) -> Markup:
    """The text, escaped, with matched words wrapped in <mark>."""
    spans = match_spans(query, text, decompounder) if spans is None else spans
    out, cursor = [], 0
    for start, end in spans:
        out.append(escape(text[cursor:start]))
        out.append(Markup("<mark>") + escape(text[start:end]) + Markup("</mark>"))
        cursor = end
    out.append(escape(text[cursor:]))
    return Markup("").join(out)


def excerpt(text: str, query: str, width: int = 480, decompounder: Decompounder | None = None) -> Markup:
    """At most `width` characters of the passage, around its densest run of matches."""
    text = plain_text(text)
    spans = match_spans(query, text, decompounder) if query.strip() else []
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
