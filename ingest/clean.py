"""Small pure text cleaners; each undoes one thing exporters and PDF extraction do to a report."""

from __future__ import annotations

import itertools
import re
import unicodedata
from collections import Counter
from collections.abc import Sequence

try:  # ftfy knows far more mojibake patterns than the fallback below
    import ftfy
except ImportError:  # pragma: no cover - exercised only where ftfy is missing
    ftfy = None

_LIGATURES = {"ﬀ": "ff", "ﬁ": "fi", "ﬂ": "fl", "ﬃ": "ffi", "ﬄ": "ffl", "ﬅ": "st", "ﬆ": "st"}
_ODD_SPACES = "\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a\u202f\u205f\u3000"
_ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff\u180e"
_LINE_BREAKS = re.compile(r"\r\n|[\r\x0b\x0c\x85\u2028\u2029]")
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")
_TRANSLATE = str.maketrans({**{c: " " for c in _ODD_SPACES}, **{c: "" for c in _ZERO_WIDTH}, **_LIGATURES})

_SUPERSCRIPT = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_BOOKMARK = re.compile(r"\[bookmark:[^\]\n]*\]")
_FOOTNOTE_REF = re.compile(r"\[footnoteRef:(\d+)\]")
_FOOTNOTE_OTHER = re.compile(r"\[footnote[^\]\n]*\]")

#: Words after which a line-final hyphen is a real one ("social- och arbetsmarknadsnämnden").
_CONJUNCTIONS = {"och", "eller", "samt", "respektive", "resp", "till", "som", "men", "alternativt", "and", "or"}
_HYPHEN_BREAK = re.compile(r"(\w+)-[ \t]*\n[ \t]*(\w+)")

_DIGITS = re.compile(r"\d+")
_PAGE_NUMBER = re.compile(
    r"^\s*(?:sid(?:a|an)?\.?\s*|s\.\s*|page\s*|-\s*)?\d{1,3}(?:\s*(?:\(|av|of|/)\s*\d{1,4}\)?)?\s*-?\s*$",
    re.IGNORECASE,
)
_LIST_START = re.compile(r"^\s*(?:[•·▪►■◦●○\-–—*]\s|\d{1,3}[.)]\s|[a-zåäö]\)\s|\d+\s*§|\(\d+\)\s|\|)")
_SENTENCE_END = re.compile(r"[.!?:;]['\"”’)]*$")
_CELL_GAP = re.compile(r"(?<=\S) {3,}(?=\S)")


def normalize_unicode(text: str) -> str:
    """NFC, one kind of newline and space, no ligatures, soft hyphens or zero-width characters."""
    text = _LINE_BREAKS.sub("\n", text)
    text = re.sub("\u00ad[ \t]*\n[ \t]*", "", text)  # a soft hyphen at a line end marks a split word
    text = text.replace("\u00ad", "")
    text = unicodedata.normalize("NFC", text.translate(_TRANSLATE))
    return _CONTROL.sub("", text)


_MOJIBAKE = re.compile("[ÃÂâ][\u0080-\u00bf€‚ƒ„…†‡ˆ‰Š‹ŒŽ‘’“”•–—˜™š›œžŸ]+")


def _undo_double_encoding(match: re.Match) -> str:
    """Re-decode one UTF-8-read-as-cp1252 run, leaving it alone when it was not one."""
    try:
        return match.group(0).encode("cp1252").decode("utf-8")
    except (UnicodeEncodeError, UnicodeDecodeError):
        return match.group(0)


def fix_mojibake(text: str) -> str:
    """Repair UTF-8 that was decoded as Windows-1252 ("Ã¤" -> "ä"), which old exports are full of."""
    if ftfy is not None:
        fixed = ftfy.fix_encoding(text)
        # ftfy may also rewrite things we keep (it never changes newlines); keep its answer only when
        # it shortened the text the way mojibake repair does.
        return fixed if fixed.count("\n") == text.count("\n") else text
    return _MOJIBAKE.sub(_undo_double_encoding, text)


def _footnote_body(match: re.Match) -> str:
    """A Word-export footnote body `[1:  text]` as its own line, numbered like other exports do."""
    return "\n" + match.group(1).translate(_SUPERSCRIPT) + " " + match.group(2).strip() + "\n"


def strip_export_artifacts(text: str) -> str:
    """Remove Word-to-text export markers: bookmarks, footnote anchors (kept as ¹), inline footnote markup."""
    text = _BOOKMARK.sub("", text)
    refs = set(_FOOTNOTE_REF.findall(text))
    text = _FOOTNOTE_REF.sub(lambda m: m.group(1).translate(_SUPERSCRIPT), text)
    for number in refs:
        body = re.compile(r"[ \t]*\[(" + number + r"):[ \t]+([^\]\n]*)\][ \t]*")
        text = body.sub(_footnote_body, text, count=1)
    return _FOOTNOTE_OTHER.sub("", text)


def _rejoin(match: re.Match) -> str:
    """Decide whether `left-\\nright` is one word split by the line end or a real hyphen."""
    left, right = match.group(1), match.group(2)
    if right.lower() in _CONJUNCTIONS:
        return f"{left}- {right}"  # "social- och ..."
    if left[-1].islower() and right[0].islower() and len(left) > 1:
        return left + right  # "manövrerin-\ngen"
    return f"{left}-{right}"  # "IT-\nsystem", "e-\npost", "2020-\n2050"


def join_hyphenated(text: str) -> str:
    """Join words hyphenated across line ends, keeping real hyphens (IT-system, social- och)."""
    return _HYPHEN_BREAK.sub(_rejoin, text)


def collapse_blank_lines(text: str) -> str:
    """Trailing spaces off every line, at most one blank line in a row, none at the ends."""
    text = re.sub(r"[ \t]+\n", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip()


def _line_key(line: str) -> str:
    """A line with its numbers blanked, so "Sida 3 av 9" and "Sida 4 av 9" count as the same line."""
    return _DIGITS.sub("#", " ".join(line.split())).lower()


def is_page_number(line: str) -> bool:
    """Whether a line is nothing but a page number ("12", "Sida 3 av 9", "- 4 -")."""
    return bool(_PAGE_NUMBER.match(line))


def remove_running_lines(pages: Sequence[str], zone: int = 3, min_share: float = 0.4) -> list[str]:
    """Drop headers, footers and page numbers: lines near a page's top or bottom that recur on many pages."""
    split = [page.split("\n") for page in pages]

    def edges(lines: list[str]) -> list[int]:
        filled = [i for i, line in enumerate(lines) if line.strip()]
        return sorted(set(filled[:zone] + filled[-zone:]))

    counts: Counter[str] = Counter()
    for lines in split:
        counts.update({_line_key(lines[i]) for i in edges(lines)})
    threshold = max(3, int(min_share * len(pages) + 0.999))
    running = {key for key, n in counts.items() if n >= threshold}
    cleaned = []
    for lines in split:
        drop = {i for i in edges(lines) if _line_key(lines[i]) in running or is_page_number(lines[i])}
        cleaned.append("\n".join(line for i, line in enumerate(lines) if i not in drop))
    return cleaned


def separate_cells(text: str) -> str:
    """Turn wide gaps inside a line (table cells, as PDF extraction leaves them) into tabs."""
    return _CELL_GAP.sub("\t", text)


def _line_break(prev: str, cur: str, width: int) -> str:
    """What separates two lines: "" (same paragraph), "\n" (list item, table row) or "\n\n" (new paragraph)."""
    if "\t" in prev or "\t" in cur or _LIST_START.match(cur) or prev.endswith("|"):
        return "\n"
    short_last = len(cur) < 0.5 * width and not _SENTENCE_END.search(cur)
    if _SENTENCE_END.search(prev) and (len(prev) < 0.85 * width or short_last):
        return "\n\n"
    if len(prev) < 0.6 * width and (cur[:1].isupper() or cur[:1].isdigit()):
        return "\n\n"
    return ""


def merge_paragraph_lines(text: str) -> str:
    """Put each paragraph on one line, so chunks see sentences, not the PDF's line wrapping."""
    lengths = sorted(len(line.strip()) for line in text.split("\n") if line.strip())
    if not lengths:
        return ""
    width = max(20, lengths[int(0.9 * (len(lengths) - 1))])
    out: list[str] = []
    for block in re.split(r"\n[ \t]*\n", text):
        lines = [line.strip() for line in block.split("\n") if line.strip()]
        if not lines:
            continue
        merged = lines[0]
        for prev, cur in itertools.pairwise(lines):
            merged += (_line_break(prev, cur, width) or " ") + cur
        out.append(merged)
    return "\n\n".join(out)
