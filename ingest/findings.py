"""Revisionsfrågor with their answers, and recommendations, each cited to its exact passage."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ingest.passages import (
    Item,
    display_text,
    items_after,
    lines_in,
    similar,
    table_cells,
)
from ingest.recommendations import find_recommendations
from kb.models import Finding, Section

__all__ = ["display_text", "extract_findings", "normalise_answer"]

_QUESTION_WORD = re.compile(r"revisionsfråg|kontrollfråg|kontrollmål|granskningsfråg|delfråg", re.IGNORECASE)
_LABELLED = re.compile(r"^\s*(?:revisionsfråga|kontrollfråga|kontrollmål|granskningsfråga|delfråga)\s*\d+\s*[:.–-]\s*"
                       r"(?P<q>\S.*)$", re.IGNORECASE)
_ANSWER_LINE = re.compile(r"^\s*(?:(?:vår\s+|samlad\s+)?bedömning|svar)\s*:\s*(?P<a>.+)$", re.IGNORECASE)
_BARE_ANSWER = re.compile(r"^\s*(?:<p>)?(?P<a>(?:ja|nej|delvis|uppfyll[dt]a?|(?:ej|inte|delvis)\s+uppfyll[dt]a?))"
                          r"\s*(?:[.:;,]|$)", re.IGNORECASE)
_VERDICTS = (
    re.compile(r"(?:kontrollmål|revisionsfråg|granskningsfråg|delfråg)\w*\s+(?:bedöms|anses|bedömer vi)\s+"
               r"(?:som\s+|vara\s+)?(?P<a>(?:helt\s+|delvis\s+|ej\s+|inte\s+)?uppfyll[dt]a?"
               r"|besvara[dt]?e?\s+med\s+(?:ja|nej|delvis))", re.IGNORECASE),
    re.compile(r"(?:vi bedömer|bedömer vi)\s+att\s+(?:kontrollmålet|revisionsfrågan|granskningsfrågan)\s+"
               r"(?:är|har)\s+(?P<a>(?:helt\s+|delvis\s+|ej\s+|inte\s+)?uppfyll[dt])", re.IGNORECASE),
)
_STOP = {"och", "för", "att", "det", "en", "ett", "av", "med", "som", "på", "i", "till", "finns", "är", "sker",
         "har", "den", "de", "om", "samt", "inom", "vid", "kring"}


def normalise_answer(raw: str) -> str | None:
    """One of ja / nej / delvis / uppfyllt / delvis uppfyllt / ej uppfyllt, from the start of an answer."""
    text = re.sub(r"<[^>]+>|\*", "", raw).strip().lower()
    text = re.sub(r"^besvara[dt]?e?\s+med\s+", "", text)
    rules = ((r"^delvis\s+uppfyll", "delvis uppfyllt"), (r"^(ej|inte)\s+(helt\s+)?uppfyll", "ej uppfyllt"),
             (r"^(helt\s+)?uppfyll", "uppfyllt"), (r"^ja\b", "ja"), (r"^nej\b", "nej"), (r"^delvis\b", "delvis"))
    for pattern, answer in rules:
        if re.match(pattern, text):
            return answer
    return None


@dataclass
class _Question:
    """A question and every place it is asked, so answers anywhere can find it."""

    item: Item
    answer: str | None = None
    occurrences: list[int] = field(default_factory=list)


def _strip_number(item: Item, text: str) -> Item:
    """A question without its '1.' or 'Revisionsfråga 1:' label, span moved past it."""
    raw = text[item.start:item.end]
    m = re.match(r"^(?:\d{1,2}\\?\.\s+|(?:revisionsfråga|kontrollfråga|kontrollmål|granskningsfråga|delfråga)"
                 r"\s*\d+\s*[:.–-]\s*)", raw, re.IGNORECASE)
    if not m:
        return item
    return Item(item.start + m.end(), item.end, display_text(raw[m.end():]))


def _is_header(cells: list[Item]) -> bool:
    """A table header row naming questions and their assessment ('Kontrollmål | Bedömning')."""
    texts = [c.text for c in cells]
    return (len(texts) >= 2 and all(len(t) < 40 for t in texts) and any(_QUESTION_WORD.search(t) for t in texts)
            and any(re.search(r"bedömning|svar|uppfyll|status|resultat", t, re.IGNORECASE) for t in texts))


def _asked(text: str, sections: list[Section]) -> list[tuple[Item, str | None]]:
    """Every question asked (table rows, labelled lines, lists in question context) with any answer beside it."""
    asked: list[tuple[Item, str | None]] = []
    table_context = False
    for s, e, line in lines_in(text):
        cells = table_cells(text, s, e)
        if cells:
            if _is_header(cells):
                table_context = True
                continue
            if re.fullmatch(r"\d{1,3}", cells[-1].text):
                continue  # a table-of-contents entry
            first = cells[0]
            if first.text.endswith("?") or (table_context and len(first.text) > 15 and len(cells) > 1):
                answer = next((a for c in cells[1:] if (a := normalise_answer(c.text))), None)
                asked.append((_strip_number(first, text), answer))
            continue
        if line.strip() and not line.lstrip().startswith(("<!--", "[Tabell")) and len(line.strip()) > 40:
            table_context = False
        if (m := _LABELLED.match(line)) and m.group("q").rstrip().endswith("?"):
            asked.append((_strip_number(Item(s + (len(line) - len(line.lstrip())), e, line.strip()), text), None))
    for sec in sections:
        starts = []
        if sec.type == "revisionsfraga" and _QUESTION_WORD.search(sec.title):
            nl = text.find("\n", sec.start, sec.end)
            starts.append(nl + 1 if nl >= 0 else sec.end)
        for _s, e, line in lines_in(text, sec.start, sec.end):
            if _QUESTION_WORD.search(line) and line.rstrip().endswith(":"):
                starts.append(e + 1)
        for pos in sorted(set(starts)):
            for s, e, line in lines_in(text, pos, sec.end):
                if not line.strip() or table_cells(text, s, e):
                    continue
                for it in items_after(text, s, sec.end, until_question=True)[:1]:
                    if it.text.endswith("?") and 10 < len(it.text) < 400:
                        asked.append((_strip_number(it, text), None))
    return asked


def _group(asked: list[tuple[Item, str | None]]) -> list[_Question]:
    """One question per distinct wording; answers given beside any repeat are kept."""
    groups: list[_Question] = []
    for item, answer in sorted(asked, key=lambda x: x[0].start):
        for g in groups:
            if g.item.start == item.start or similar(g.item.text, item.text):
                if len(item.text) > 1.15 * len(g.item.text):
                    g.item = item
                g.answer = g.answer or answer
                g.occurrences.append(item.start)
                break
        else:
            groups.append(_Question(item, answer, [item.start]))
    return groups


def _match(groups: list[_Question], text: str) -> _Question | None:
    """The question a line of text repeats, if any."""
    return next((g for g in groups if similar(g.item.text, display_text(text))), None)


def _answer_lines(text: str, groups: list[_Question]) -> set[int]:
    """Attach 'Bedömning: Ja' lines to the question asked just above them; their offsets are returned."""
    used: set[int] = set()
    recent: list[str] = []
    for s, _e, line in lines_in(text):
        if not line.strip():
            continue
        m = _ANSWER_LINE.match(line) or _BARE_ANSWER.match(line)
        answer = normalise_answer(m.group("a")) if m else None
        if answer:
            question = next((q for q in reversed(recent) if q.rstrip().endswith("?")), None)
            g = _match(groups, _LABELLED.sub(r"\g<q>", question)) if question else None
            if g:
                g.answer = g.answer or answer
                used.add(s)
        recent = (recent + [re.sub(r"^\s*\d{1,2}\.\s+", "", line)])[-4:]
    return used


def _chapter(sections: list[Section], pos: int) -> Section | None:
    """The section a verdict concludes: the parent of a 'Bedömning' sub-section, else its own."""
    inside = [s for s in sections if s.start <= pos < s.end]
    if not inside:
        return None
    sec = inside[-1]
    if sec.type != "bedomning" or sec.level <= 1:
        return sec
    parents = [s for s in sections if s.start < sec.start and s.level < sec.level]
    return parents[-1] if parents else sec


def _words(text: str) -> set[str]:
    """Content-word stems for matching a chapter title to a question."""
    return {w[:6] for w in re.findall(r"[a-zåäö]+", text.lower()) if w not in _STOP and len(w) > 2}


def _chapter_verdicts(text: str, sections: list[Section], groups: list[_Question]) -> None:
    """'Kontrollmålet bedöms som delvis uppfyllt' → the question its chapter asks or is titled after."""
    pending = []
    for pattern in _VERDICTS:
        for m in pattern.finditer(text):
            pending.append((m.start(), normalise_answer(m.group("a"))))
    leftovers = []
    for pos, answer in sorted(pending):
        chapter = _chapter(sections, pos)
        if chapter is None or answer is None:
            continue
        end = next((s.start for s in sections if s.start > chapter.start and s.level <= chapter.level), len(text))
        target = next((g for g in groups if g.answer is None
                       and any(chapter.start <= o < end for o in g.occurrences)), None)
        if target is None:
            title = _words(chapter.title)
            scored = [(len(title & _words(g.item.text)) / max(len(title), 1), g) for g in groups if g.answer is None]
            best = max(scored, key=lambda x: x[0], default=(0, None))
            target = best[1] if best[0] >= 0.5 else None
        if target is None:
            leftovers.append(answer)
        else:
            target.answer = answer
    unanswered = [g for g in groups if g.answer is None]
    if leftovers and len(leftovers) == len(unanswered):
        for g, answer in zip(unanswered, leftovers, strict=True):
            g.answer = answer


def extract_findings(text: str, sections: list[Section], report_id: str) -> list[Finding]:
    """The report's revisionsfrågor (with answers) and recommendations, deduplicated, in text order."""
    groups = _group(_asked(text, sections))
    _answer_lines(text, groups)
    _chapter_verdicts(text, sections, groups)
    findings = [Finding(report_id, "revisionsfraga", g.item.text, g.answer, g.item.start, g.item.end)
                for g in sorted(groups, key=lambda g: g.item.start)]
    findings += [Finding(report_id, "rekommendation", it.text, None, it.start, it.end)
                 for it in find_recommendations(text, sections)]
    return findings
