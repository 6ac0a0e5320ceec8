"""Lines, list items and table rows of a report with exact offsets, shared by the finding extractors."""

from __future__ import annotations

import re
from dataclasses import dataclass
from difflib import SequenceMatcher

BULLET = re.compile(r"^(?:\\?[-–•·►▪■*\u2022\uf0b7\uf0a7]|\d{1,2}\\?[.)]|[a-z]\))[ \t]+")
_NOISE_LINE = re.compile(r"^\s*(<!--.*-->|\d{1,3}|\[Tabell [^\]]*\]\(.*\))\s*$")
_FOOTNOTE = re.compile(r"^\s*[\u00b9\u00b2\u00b3\u2070-\u2079]")


@dataclass(frozen=True)
class Item:
    """A list item, paragraph line or table cell: its [start, end) span and its display text."""

    start: int
    end: int
    text: str


def display_text(raw: str) -> str:
    """Text as a reader sees it: no bullet, markup or line breaks ('-\\n' keeps the hyphen)."""
    text = re.sub(r"</?p>|\*\*|\\(?=[.\-)])", "", raw).replace("<br>", " ")
    text = re.sub(r"-\s*\n\s*", "-", text.strip())
    text = BULLET.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def similar(a: str, b: str, threshold: float = 0.75) -> bool:
    """Two findings say the same thing: one contains the other, or they differ only in wording."""
    x = re.sub(r"[^a-zåäö0-9 ]", "", a.lower())
    y = re.sub(r"[^a-zåäö0-9 ]", "", b.lower())
    if not x or not y:
        return False
    if (x in y or y in x) and min(len(x), len(y)) >= 25:
        return True
    return SequenceMatcher(None, x, y).ratio() >= threshold


def lines_in(text: str, start: int = 0, end: int | None = None) -> list[tuple[int, int, str]]:
    """(start, end, line) for each line in text[start:end], end excluding the newline."""
    end = len(text) if end is None else end
    out, pos = [], start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        out.append((pos, stop, text[pos:stop]))
        pos = stop + 1
    return out


def is_noise(line: str) -> bool:
    """Blank lines, page markers, page numbers, table links and footnotes that interrupt lists."""
    return not line.strip() or bool(_NOISE_LINE.match(line)) or bool(_FOOTNOTE.match(line))


def _trimmed(text: str, s: int, e: int) -> tuple[int, int]:
    """A span without surrounding whitespace and without its leading bullet mark."""
    while s < e and text[s] in " \t":
        s += 1
    if m := BULLET.match(text[s:e]):
        s += m.end()
    while e > s and text[e - 1] in " \t\r":
        e -= 1
    return s, e


def items_after(text: str, pos: int, end: int, *, until_question: bool = False) -> list[Item]:
    """The list items (bullets, or plain lines when until_question) that start at or after pos."""
    out: list[Item] = []
    lines = lines_in(text, pos, end)
    i = 0
    while i < len(lines):
        s, e, line = lines[i]
        stripped = line.strip()
        if is_noise(line):
            i += 1
            continue
        bullet = bool(BULLET.match(stripped))
        if not bullet and not (until_question and len(stripped) < 400):
            break
        item_s, item_e = _trimmed(text, s, e)
        j = i + 1
        while j < len(lines):
            nxt = lines[j][2].strip()
            current = text[item_s:item_e].rstrip()
            done = current.endswith("?") if until_question else current[-1:] in ".!?"
            if not nxt or BULLET.match(nxt) or done and not nxt[:1].islower():
                break
            item_e = _trimmed(text, lines[j][0], lines[j][1])[1]
            j += 1
        out.append(Item(item_s, item_e, display_text(text[item_s:item_e])))
        i = j
    return out


def table_cells(text: str, s: int, e: int) -> list[Item]:
    """The cells of a tab- or pipe-separated table row, with spans, or [] for ordinary lines."""
    line = text[s:e]
    if "\t" in line.strip():
        sep = "\t"
    elif line.lstrip().startswith("|") or line.count(" | ") >= 1:
        sep = "|"
    else:
        return []
    cells, pos = [], s
    for part in line.split(sep):
        cs, ce = _trimmed(text, pos, pos + len(part))
        if ce > cs and not re.fullmatch(r"[-: ]+", text[cs:ce]):
            cells.append(Item(cs, ce, display_text(text[cs:ce])))
        pos += len(part) + 1
    return cells


def sentences_with(text: str, s: int, e: int, pattern: re.Pattern) -> list[Item]:
    """Sentences in text[s:e] that match pattern, with exact spans (sentences do not cross lines)."""
    out = []
    for ls, _le, line in lines_in(text, s, e):
        for m in re.finditer(r"[^.!?]+(?:[.!?](?=\s|$)|$)", line):
            if pattern.search(m.group(0)):
                a, b = _trimmed(text, ls + m.start(), ls + m.end())
                if b > a:
                    out.append(Item(a, b, display_text(text[a:b])))
    return out
