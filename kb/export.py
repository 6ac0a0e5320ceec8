"""Passages as Markdown or CSV with full citations and permalinks: for the underlag and `kb search`."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from kb.highlight import plain_text
from kb.models import SECTION_TYPE_LABELS, Hit

CSV_COLUMNS = ("nr", "kommun", "titel", "revisionsbyrå", "år", "avsnitt", "sida", "avsnittstyp",
               "text", "permalänk")


def counted(count: int, one: str, many: str) -> str:
    """A number with its noun in Swedish agreement: "1 träff", "10 träffar"."""
    return f"{count} {one if count == 1 else many}"


def page_range(page: int | None, page_end: int | None = None) -> str:
    """A passage's pages as a reader cites them: "18", or "18–21" when it runs over several."""
    if not page:
        return ""
    return f"{page}–{page_end}" if page_end and page_end > page else str(page)


def pages_phrase(numbers: list[int]) -> str:
    """Page numbers as Swedish prose, runs joined: "Sidan 3", "Sidorna 2–12" or "Sidorna 2, 5–7"."""
    runs: list[list[int]] = []
    for n in sorted(numbers):
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    joined = ", ".join(page_range(a, b) for a, b in runs)
    return f"Sidan {joined}" if len(numbers) == 1 else f"Sidorna {joined}"


def citation(hit: Hit) -> str:
    """One line that lets a reader find the passage: kommun, title, firm, year, section, page."""
    parts = [hit.kommun or "Okänd kommun", f"”{hit.title}”"]
    parts += [str(x) for x in (hit.firm, hit.year) if x]
    if hit.section:
        parts.append(f"avsnitt ”{hit.section}”")
    if hit.page:
        parts.append(f"s. {page_range(hit.page, hit.page_end)}")
    return ", ".join(parts)


def permalink(hit: Hit, base_url: str = "") -> str:
    return base_url.rstrip("/") + hit.url


def _quote(text: str) -> str:
    lines = [" ".join(line.split()) for line in plain_text(text).strip().splitlines()]
    return "\n".join(f"> {line}" if line else ">" for line in lines)


def to_markdown(hits: Sequence[Hit], *, title: str = "Underlag", base_url: str = "",
                missing: int = 0) -> str:
    """A Markdown document: each passage quoted, followed by its citation and permalink."""
    out = [f"# {title}", ""]
    for n, hit in enumerate(hits, start=1):
        out += [f"## {n}. {hit.kommun or 'Okänd kommun'}: {hit.title}", "", _quote(hit.text), "",
                f"Källa: {citation(hit)}. Permalänk: <{permalink(hit, base_url)}>", ""]
    if not hits:
        out += ["Inga stycken.", ""]
    if missing:
        out += [f"({missing} stycken finns inte längre i arkivet och är utelämnade.)", ""]
    return "\n".join(out)


#: Swedish Excel splits a double-clicked CSV file on the list separator of Swedish regional
#: settings, the semicolon (the comma being the decimal sign); on commas it shows one column.
CSV_DELIMITER = ";"


def to_csv(hits: Sequence[Hit], *, base_url: str = "") -> str:
    """CSV with a header row, one passage a row, separated by semicolons: opens in a Swedish
    spreadsheet in columns and as UTF-8 (with BOM)."""
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=CSV_DELIMITER, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for n, hit in enumerate(hits, start=1):
        writer.writerow([n, _cell(hit.kommun or ""), _cell(hit.title), _cell(hit.firm or ""), hit.year or "",
                         _cell(hit.section), page_range(hit.page, hit.page_end),
                         SECTION_TYPE_LABELS.get(hit.section_type, hit.section_type),
                         _cell(" ".join(plain_text(hit.text).split())), permalink(hit, base_url)])
    return buffer.getvalue()


def _cell(text: str) -> str:
    """Text a spreadsheet would read as a formula (a list item's "- Är …", or "=…" planted in a
    report) starts with an apostrophe, which the spreadsheet shows as text and hides."""
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text
