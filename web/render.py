"""Report text to safe HTML: Markdown without raw HTML, plain text as paragraphs."""

from __future__ import annotations

import markdown
import nh3
from markdown.extensions import Extension
from markupsafe import Markup, escape

_ALLOWED_TAGS = {"p", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "strong", "em",
                 "code", "pre", "blockquote", "table", "thead", "tbody", "tr", "th", "td", "br",
                 "hr", "a"}


class _NoRawHtml(Extension):
    """Treat HTML in a report as text: a report must never inject markup into the page."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:  # noqa: N802 - markdown's API
        md.preprocessors.deregister("html_block")
        md.inlinePatterns.deregister("html")


def render_markdown(text: str) -> Markup:
    """Markdown to HTML with raw HTML off, then sanitised by nh3 as a second fence."""
    html = markdown.markdown(text, extensions=[_NoRawHtml(), "tables", "sane_lists"])
    clean = nh3.clean(html, tags=_ALLOWED_TAGS, attributes={"a": {"href"}},
                      url_schemes={"http", "https", "mailto"}, link_rel="noopener noreferrer nofollow")
    return Markup(clean)


def render_plain(text: str) -> Markup:
    """Plain text: one paragraph per line (how report exports and PDF readers lay it out)."""
    paragraphs = [line.strip() for line in text.split("\n") if line.strip()]
    return Markup("").join(Markup("<p>") + escape(p) + Markup("</p>\n") for p in paragraphs)


def render_passage(text: str, fmt: str) -> Markup:
    return render_markdown(text) if fmt == "md" else render_plain(text)
