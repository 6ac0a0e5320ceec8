"""Report text to safe HTML: Markdown without raw HTML, plain text as paragraphs, section titles as headings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import SubstituteTagInlineProcessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape

from kb.highlight import LINE_BREAK
from kb.models import Chunk

_ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em",
                 "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "br",
                 "hr", "a"}
_WEB_LINK = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|(?:\s*:?-{3,}:?\s*\|)+\s*$")
_NUMBERING = re.compile(r"^(?:\d+(?:\.\d+)*\.?|[IVX]+\.)\s+")  # "1.", "1.1.", "2.3.1", "IV."
_MARKDOWN_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|])")
_TABLE_OPEN = "<table>"


class _NoRawHtml(Extension):
    """Treat HTML in a report as text: a report must never inject markup into the page. Only a
    line break is kept, which converters write inside table cells (`| a<br>b |`)."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - markdown's API
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")
        md.inlinePatterns.register(SubstituteTagInlineProcessor(LINE_BREAK.pattern, "br"), "line_break", 95)


class _UnlinkLocalFiles(Treeprocessor):
    """A link to a file beside the report ("handlingar.tabeller/199-1.csv") or into its own text
    leads nowhere on the site: its text stays, as text (a span, which nh3 then unwraps)."""

    def run(self, root) -> None:
        for link in root.iter("a"):
            if not _WEB_LINK.match(link.get("href", "")):
                link.tag = "span"
                link.attrib.clear()


class _DropEmptyTableHeads(Treeprocessor):
    """The blank header `_whole_tables` gives a table's rows cut off from theirs is not shown."""

    def run(self, root) -> None:
        for table in root.iter("table"):
            head = table.find("thead")
            if head is not None and not "".join(head.itertext()).strip():
                table.remove(head)


class _ConvertedMarkdown(Extension):
    """What a report converted to Markdown needs on the site: links only to the web, and no blank table heads."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - markdown's API
        md.treeprocessors.register(_UnlinkLocalFiles(md), "web_links_only", 0)
        md.treeprocessors.register(_DropEmptyTableHeads(md), "empty_table_heads", 0)


def _whole_tables(text: str) -> str:
    """Table rows a passage holds without their header and `| --- |` line (a table cut between
    passages) given a blank header, so they show as a table rather than as `| … |` text."""
    lines, out, i = text.split("\n"), [], 0
    while i < len(lines):
        j = i
        while j < len(lines) and _TABLE_ROW.match(lines[j]):
            j += 1
        if j == i:
            out.append(lines[i])
            i += 1
            continue
        rows = lines[i:j]
        if _TABLE_RULE.match(rows[0]):
            rows = rows[1:]  # its header is in the passage before
        out.append("")  # a table is a block of its own, never the tail of a paragraph
        if rows and not (len(rows) > 1 and _TABLE_RULE.match(rows[1])):
            cells = rows[0].strip().strip("|").count("|") + 1
            out += ["|" + " |" * cells, "|" + " --- |" * cells]
        out += [*rows, ""]
        i = j
    return "\n".join(out)


def render_markdown(text: str) -> Markup:
    """Markdown to HTML with raw HTML off, then sanitised by nh3 as a second fence. A numbered
    line keeps its number ("2. Iakttagelser", `<ol start="2">`), which Markdown would restart at 1."""
    html = markdown.markdown(_whole_tables(text),
                             extensions=[_NoRawHtml(), _ConvertedMarkdown(), "tables", "sane_lists"])
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href"}, "ol": {"start"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    return Markup(clean)


def render_plain(text: str) -> Markup:
    """Plain text: one paragraph per line (how report exports and PDF readers lay it out)."""
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    return Markup("").join(Markup("<p>") + escape(p) + Markup("</p>\n") for p in paragraphs)


def render_passage(text: str, fmt: str) -> Markup:
    return render_markdown(text) if fmt == "md" else render_plain(text)


@dataclass(frozen=True)
class ReportPassage:
    """A passage as the report page shows it: the section headings it opens, then its text."""

    chunk: Chunk
    headings: tuple[tuple[int, str], ...]  # (level, text), h2 for a top section
    html: Markup


def _title_line(line: str, fmt: str) -> str:
    """A line as a heading shows it: no Markdown marks or escapes, spaces collapsed."""
    if fmt == "md":
        line = _MARKDOWN_ESCAPE.sub(r"\1", line.strip().lstrip("#").strip().strip("*_"))
    return " ".join(line.split())


def _names(line: str, title: str) -> bool:
    """Whether a line is the section title itself, numbered or not ("1.1  Phishing" is Phishing)."""
    return _NUMBERING.sub("", line).casefold() == " ".join(title.split()).casefold() != ""


def _opened_headings(chunk: Chunk, previous: Sequence[str], fmt: str, level: int
                     ) -> tuple[list[tuple[int, str]], str]:
    """The titles of sections the chunk begins, read from its first lines, and its text after them.
    A title counts where the chunk's section path is new at its depth; a level never skips one
    below the level before (`level`), so the outline has no gaps."""
    path, depth = chunk.section_path, 0
    while depth < min(len(path), len(previous)) and path[depth] == previous[depth]:
        depth += 1
    lines, headings, i = chunk.text.split("\n"), [], 0
    while i < len(lines):
        line = _title_line(lines[i], fmt)
        if not line:
            i += 1
            continue
        found = next((d for d in range(depth, len(path)) if _names(line, path[d])), None)
        if found is None:
            break
        level = min(found + 2, level + 1, 6)
        headings.append((level, line))
        depth, i = found + 1, i + 1
    return headings, ("\n".join(lines[i:]) if headings else chunk.text)


def _scrollable_tables(html: Markup, first: int, total: int) -> Markup:
    """Each table in a region of its own that scrolls sideways, so a wide table never widens the
    page; focusable, so the keyboard can scroll it too, and named ("Tabell 2 av 5")."""
    parts = str(html).split(_TABLE_OPEN)
    out = [parts[0]]
    for n, part in enumerate(parts[1:], start=first):
        out.append(f'<div class="tablewrap" role="region" tabindex="0" aria-label="Tabell {n} av {total}">'
                   + _TABLE_OPEN + part.replace("</table>", "</table></div>", 1))
    return Markup("".join(out))


def render_report(chunks: Sequence[Chunk], fmt: str) -> list[ReportPassage]:
    """A report's passages for its page: section titles as real headings (h2, h3, … by depth),
    tables that scroll inside their own box."""
    passages, previous, level = [], (), 1
    for chunk in chunks:
        headings, text = _opened_headings(chunk, previous, fmt, level)
        if headings:
            level = headings[-1][0]
        passages.append((chunk, tuple(headings), render_passage(text, fmt)))
        previous = chunk.section_path
    total = sum(str(html).count(_TABLE_OPEN) for _, _, html in passages)
    shown, seen = [], 0
    for chunk, headings, html in passages:
        shown.append(ReportPassage(chunk, headings, _scrollable_tables(html, seen + 1, total)))
        seen += str(html).count(_TABLE_OPEN)
    return shown
