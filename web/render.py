"""Report text to safe HTML: Markdown without raw HTML, plain text as paragraphs."""

from __future__ import annotations

import re

import markdown
import nh3
from markdown.extensions import Extension
from markdown.inlinepatterns import SubstituteTagInlineProcessor
from markdown.treeprocessors import Treeprocessor
from markupsafe import Markup, escape

from kb.highlight import LINE_BREAK

_ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em",
                 "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "br",
                 "hr", "a"}
_WEB_LINK = re.compile(r"(?:https?|mailto):", re.IGNORECASE)
_TABLE_ROW = re.compile(r"^\s*\|.*\|\s*$")
_TABLE_RULE = re.compile(r"^\s*\|(?:\s*:?-{3,}:?\s*\|)+\s*$")


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
