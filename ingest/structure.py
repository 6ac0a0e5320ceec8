"""Find the headings of a cleaned report and cut it into typed, contiguous sections."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from ingest.section_types import normalise_title, section_type_of
from kb.chunking import is_contents_entry
from kb.models import Section

__all__ = ["find_sections", "section_type_of"]

_NUMBERED = re.compile(r"^(?P<num>\d{1,2}(?:\\?\.\d{1,2}){0,3})(?:\\?\.)?[ \t]+(?P<title>\S.*)$")
_MD_HEADING = re.compile(r"^(?P<hashes>#{1,6})\s+(?P<title>.+?)\s*#*\s*$")
_BOLD = re.compile(r"^\*\*(?P<title>[^*].*?)\*\*$")
_PAGE_MARK = re.compile(r"^\s*<!--.*-->\s*$")
_BULLET = re.compile(r"^\s*(\\?[-–•·►▪■*\u2022\uf0b7\uf0a7]|\d{1,2}\\?[.)]\s*$|\(?\d{1,2}\\?\)|[a-z]\))")
_DATE_LINE = re.compile(
    r"^(\d{1,2} )?(januari|februari|mars|april|maj|juni|juli|augusti|september|oktober|november|december) \d{4}$",
    re.IGNORECASE)
_CAPTION = re.compile(r"^(figur|tabell|bild|diagram|källa|not|sida|sidan)\s*\d", re.IGNORECASE)
_FOOTNOTE = re.compile(r"^[\u00b9\u00b2\u00b3\u2070-\u2079]")
_ANSWER_LINE = re.compile(r"^\w+\s*:\s*(ja|nej|delvis|uppfyll|ej |inte )", re.IGNORECASE)
#: Cells a PDF's text layer set apart by runs of spaces, a day-month-year date, or a leading percentage;
#: and a chart's labels: one ending in its percentage ("Ja, jag rapporterade till Helpdesk 25%"), or cut
#: short with an ellipsis ("Nej, jag vet inte hur man rapporterar sådana…").
_FIGURES_ROW = re.compile(r"\S {2,}\S.*\S {2,}\S"
                          r"|\b\d{1,2} (?:jan|feb|mar|apr|maj|jun|jul|aug|sep|okt|nov|dec)\w* \d{4}\b"
                          r"|^\d+(?:[.,]\d+)?\s?%|\d\s?%$|…", re.IGNORECASE)
#: A chart's values: a line opening with two percentages or more ("11%   32%          52% relaterad …").
_CHART_VALUES = re.compile(r"^(\d+(?:[.,]\d+)?\s?%\s*){2,}")
#: A signature ("Lena Brönnert, projektledare"), a colophon line ("Foton: …", "Tryck: 2013") or a table's
#: total ("Totalt 226"): lines that stand alone like headings and govern nothing.
_NOT_A_TITLE = re.compile(
    r"^[A-ZÅÄÖ][a-zåäöéü]+(?:[ -][A-ZÅÄÖ][a-zåäöéü]+)+, [A-ZÅÄÖa-zåäö][a-zåäö]+(?: [A-ZÅÄÖa-zåäö][a-zåäö]+)*$"
    r"|^(?i:foto|foton|fotograf|bilder|tryck|layout|illustrationer|omslagsbild|grafisk form|ansvarig utgivare)\s*:"
    r"|^(?i:totalt|summa)\b.*\d$")
_FUNCTION_WORD_END = re.compile(r"\b(och|för|i|av|med|samt|till|på|om|inom|kring|mellan|vid|som|utifrån|att)$")
#: A modal verb, or a closing "är", makes a line a sentence (a goal, a rule) or the lead-in to a list:
#: never an unnumbered heading.
_SENTENCE_VERB = re.compile(r"\b(ska|skall|bör|måste|kommer att)\b|\bär$", re.IGNORECASE)
_TOP_WORDS = re.compile(
    r"^(sammanfattning|sammanfattande|inledning$|granskningsresultat|iakttagelser och|resultat av granskningen"
    r"|samlad bedömning|revisionell bedömning|rekommendationer$|innehåll|bilaga|bilagor|källförteckning)",
)
_GENERIC_SUB = re.compile(
    r"^(bakgrund|syfte|avgränsning|metod|revisionskriterie|revisionsfråg|kontrollfråg|kontrollmål"
    r"|iakttagelse|bedömning|vår bedömning|kommentar|slutsats|analys|genomförande|ansvarig)"
)


@dataclass
class _Heading:
    """A heading found on a line: where it starts, its title and its level."""

    start: int
    title: str
    level: int
    number: tuple[int, ...] | None = None
    numbered: bool = False


def _lines(text: str) -> list[tuple[int, str]]:
    """Lines with their start offsets, the way every later step addresses the text."""
    out, pos = [], 0
    for line in text.split("\n"):
        out.append((pos, line))
        pos += len(line) + 1
    return out


def _is_blank(line: str) -> bool:
    """Blank lines and page markers both separate paragraphs."""
    return not line.strip() or bool(_PAGE_MARK.match(line))


def _running_headers(lines: list[tuple[int, str]]) -> set[str]:
    """Short lines repeated on many pages (digits ignored) are page furniture, never headings."""
    counts = Counter(re.sub(r"\d+", "#", line.strip()) for _, line in lines if 0 < len(line.strip()) <= 120)
    return {key for key, n in counts.items() if n >= 3 and section_type_of(_clean_title(key), None) == "ovrigt"}


def _toc_lines(lines: list[tuple[int, str]]) -> set[int]:
    """Indexes of table-of-contents lines: page-numbered entries, mostly after an 'Innehåll' line."""
    toc: set[int] = set()
    in_toc = 0
    for i, (_, line) in enumerate(lines):
        stripped = line.strip()
        if re.match(r"^(innehåll|innehållsförteckning)\b", stripped, re.IGNORECASE) and len(stripped) < 40:
            in_toc = 60
            continue
        numbered_entry = in_toc and re.search(r"\s\d{1,3}\s*$", stripped) and len(stripped) < 140
        if is_contents_entry(stripped) and len(stripped) < 200 or numbered_entry:
            toc.add(i)
        if in_toc:
            in_toc -= 1
    return toc


def _clean_title(raw: str) -> str:
    """Heading text as a reader sees it: no bookmarks, escapes, bold marks or doubled spaces."""
    title = re.sub(r"^\[bookmark: [^\]]*\]", "", raw.strip())
    title = title.replace("\\", "").strip().strip("*").strip()
    return re.sub(r"\s+", " ", title)


def _looks_like_title(title: str) -> bool:
    """A heading is short, starts with a capital and does not end like a sentence or a lead-in."""
    if not (2 <= len(title) <= 100) or len(title.split()) > 14:
        return False
    if not (title[0].isupper() or title[0].isdigit()):
        return False
    if title[-1] in ".,;:?!)(" or _CAPTION.match(title):
        return False
    if re.search(r"[.!?](\s+|\s*[-–]\s*)[A-ZÅÄÖ]", title) or "\t" in title or title.startswith("|"):
        return False
    return bool(re.search(r"[A-Za-zÅÄÖåäö]{2,}", title))


def _is_body(line: str) -> bool:
    """A paragraph, list or table line: what a heading has to be followed by (a chart's values are not:
    the line above them is one of its labels)."""
    s = line.strip()
    if _CHART_VALUES.match(s):
        return False
    if _BULLET.match(s) or "\t" in s or s.startswith("|"):
        return True
    return len(s) >= 60 or (len(s) >= 15 and s[-1] in ".:?!") or bool(len(s) >= 30 and re.search(r"\w[.!?]\s+\w", s))


def _next_nonblank(lines: list[tuple[int, str]], i: int, limit: int = 3) -> int | None:
    """Index of the next non-blank line within `limit` blank lines, so headings need nearby text."""
    j, blanks = i + 1, 0
    while j < len(lines) and _is_blank(lines[j][1]):
        j += 1
        blanks += 1
    return j if j < len(lines) and blanks <= limit else None


def _wrap_width(lines: list[tuple[int, str]]) -> int:
    """The width text was hard-wrapped at (PDF extraction), or a large number when lines are paragraphs."""
    lengths = sorted(len(line.strip()) for _, line in lines if line.strip())
    if not lengths:
        return 1000
    return max(lengths[int(len(lengths) * 0.9) - 1 if len(lengths) > 1 else 0], 40)


def _successors(last: tuple[int, ...] | None) -> set[tuple[int, ...]]:
    """Numbers that may follow `last` in an outline: a first child or the next sibling at any depth."""
    if last is None:
        return {(1,), (1, 1), (2,)}
    options = {last + (1,)}
    for depth in range(len(last)):
        options.add(last[:depth] + (last[depth] + 1,))
    return options


def _candidate(lines, i: int, skip: set[int], headers: set[str], markdown: bool):
    """The heading on line i, as (title, kind, number), or None when the line is text."""
    raw = lines[i][1]
    stripped = raw.strip()
    if not stripped or i in skip or re.sub(r"\d+", "#", stripped) in headers:
        return None
    if markdown and (m := _MD_HEADING.match(stripped)):
        return _clean_title(m.group("title")), "md", len(m.group("hashes"))
    if m := _BOLD.match(stripped):
        title = _clean_title(m.group("title"))
        return (title, "plain", None) if _looks_like_title(title) and not title.endswith(".") else None
    body = re.sub(r"^\[bookmark: [^\]]*\]", "", stripped)
    if m := _NUMBERED.match(body):
        title = _clean_title(m.group("title"))
        number = tuple(int(p) for p in re.split(r"\\?\.", m.group("num")))
        if _looks_like_title(title) and number[0] > 0:
            return title, "numbered", number
        return None
    title = _clean_title(body)
    if "\t" in body or "§" in body or _FOOTNOTE.match(body) or _ANSWER_LINE.match(title):
        return None
    if _BULLET.match(body) or _DATE_LINE.match(title) or _SENTENCE_VERB.search(title) or not _looks_like_title(title):
        return None
    if _NOT_A_TITLE.match(title):
        return None
    if re.match(r"^[\d\s.,:%§/-]+$", title) or _FIGURES_ROW.search(body) or len(re.findall(r"\d+", title)) >= 3:
        return None  # a row of a table or of key figures, as a PDF's text layer gives them
    return title, "plain", None


def _in_list(lines, i: int) -> bool:
    """A numbered line next to another numbered line is a list item, not a heading."""
    for j in (i - 1, i + 1):
        if 0 <= j < len(lines) and re.match(r"^\s*\d{1,2}\\?[.)]?\s+\S", lines[j][1]) and not _is_blank(lines[j][1]):
            return True
    return False


def _prev_allows(lines, i: int) -> bool:
    """A plain heading starts a block: after a blank, a finished sentence, a list item or a table row."""
    if i == 0 or _is_blank(lines[i - 1][1]):
        return True
    prev = lines[i - 1][1].strip()
    return prev[-1] in ".?!:" or bool(_BULLET.match(prev)) or "\t" in prev or prev.endswith("|")


def _detect(text: str, markdown: bool) -> list[_Heading]:
    """All headings in reading order, with raw levels for numbered and Markdown ones."""
    lines = _lines(text)
    toc = _toc_lines(lines)
    headers = _running_headers(lines)
    has_md = markdown and any(_MD_HEADING.match(line.strip()) for _, line in lines)
    found: list[_Heading] = []
    last_number: tuple[int, ...] | None = None
    wrap_width = _wrap_width(lines)
    accepted: set[int] = set()
    for i, (start, _) in enumerate(lines):
        cand = _candidate(lines, i, toc, headers, has_md)
        if cand is None:
            continue
        title, kind, extra = cand
        nxt = _next_nonblank(lines, i)
        if kind == "md":
            found.append(_Heading(start, title, extra))
            accepted.add(i)
            continue
        if kind == "numbered":
            if extra not in _successors(last_number) or _in_list(lines, i) or nxt is None:
                continue
            if _FUNCTION_WORD_END.search(title) and nxt <= i + 2 and lines[nxt][1].strip()[:1].islower():
                title = f"{title} {_clean_title(lines[nxt][1])}"
            last_number = extra
            found.append(_Heading(start, title, len(extra), extra, True))
            accepted.add(i)
            continue
        if has_md or nxt is None or not _prev_allows(lines, i) or _FUNCTION_WORD_END.search(title):
            continue
        if nxt == i + 1 and len(title) > 0.6 * wrap_width:
            continue  # the first line of a hard-wrapped paragraph
        follower = lines[nxt][1]
        ok = _is_body(follower) or (nxt in toc and re.match(r"^innehåll", normalise_title(title)) is not None)
        if not ok:
            after = _candidate(lines, nxt, toc, headers, has_md)
            nn = _next_nonblank(lines, nxt)
            ok = (after is not None and nn is not None and _is_body(lines[nn][1])
                  and normalise_title(after[0]) != normalise_title(title))
        if ok:
            found.append(_Heading(start, title, 0))
            accepted.add(i)
    return found


def _assign_levels(headings: list[_Heading], text: str) -> None:
    """Give unnumbered headings a level from what they say and where they stand."""
    last_numbered_level = 0
    topic_level = 0
    prev: _Heading | None = None
    for h in headings:
        if h.numbered or h.level:
            last_numbered_level = h.level
            topic_level = h.level
            prev = h
            continue
        name = normalise_title(h.title)
        empty_parent = prev is not None and not text[prev.start:h.start].split("\n", 1)[-1].strip()
        top = bool(_TOP_WORDS.match(name)) and not (empty_parent and name == "inledning")
        if last_numbered_level:
            h.level = 1 if top else last_numbered_level + 1
        elif top:
            h.level = 1
        elif empty_parent and prev is not None:
            h.level = prev.level + 1
        elif _GENERIC_SUB.match(name):
            h.level = topic_level + 1 if topic_level else 2
        else:
            h.level = 2 if any(x.level == 1 for x in headings if x.start < h.start) else 1
        if not _GENERIC_SUB.match(name):
            topic_level = h.level
        prev = h


def find_sections(text: str, *, markdown: bool = False) -> list[Section]:
    """Contiguous sections covering all of `text`, each typed, so chunks can say where they come from."""
    headings = _detect(text, markdown)
    _assign_levels(headings, text)
    sections: list[Section] = []
    if not headings or headings[0].start > 0:
        first_end = headings[0].start if headings else len(text)
        sections.append(Section("", 0, 0, first_end, (), "ovrigt"))
    stack: list[tuple[int, str, str]] = []  # (level, title, type)
    for k, h in enumerate(headings):
        end = headings[k + 1].start if k + 1 < len(headings) else len(text)
        while stack and stack[-1][0] >= h.level:
            stack.pop()
        parent_type = stack[-1][2] if stack else None
        kind = section_type_of(h.title, parent_type)
        stack.append((h.level, h.title, kind))
        sections.append(Section(h.title, h.level, h.start, end, tuple(t for _, t, _ in stack), kind))
    return sections
