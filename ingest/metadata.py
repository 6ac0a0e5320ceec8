"""What a report is: kommun, audit firm, date, title, audited body and document type.

Override order, strongest first: explicit keys from a sidecar file or Markdown front matter
(`kommun`, `year`, `date`, `firm`, `doc_type`, `audited_body`, and `title` when
`file_metadata["origin"]` is "front_matter" or "sidecar") > what the text says > weak PDF info
(`title`, `author`, `created`), which only fills what the text left empty.
"""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

from ingest import dates
from ingest.places import find_place
from kb.analysis import fold_diacritics
from kb.models import DOC_TYPES, ReportMeta

FRONT_CHARS = 3000
_FIRMS: tuple[tuple[str, str], ...] = (
    ("PwC", r"\bPwC\b|PricewaterhouseCoopers|\bpwc\b"),
    ("KPMG", r"\bKPMG\b"),
    ("EY", r"\bEY\b|Ernst\s*&\s*Young"),
    ("Deloitte", r"\bDeloitte\b"),
    ("Grant Thornton", r"\bGrant\s+Thornton\b"),
    ("BDO", r"\bBDO\b"),
    ("Forvis Mazars", r"\b(?:Forvis\s+)?Mazars\b"),
)
_BODY = (r"(?:[A-ZÅÄÖa-zåäö]+-,?\s+(?:och\s+)?)*[A-ZÅÄÖa-zåäö]*(?:nämnden|styrelsen)"
         r"|[Nn]ämnden\s+för\s+[A-ZÅÄÖ][\wåäö-]+(?:\s+och\s+[\wåäö-]+)?")
#: State agencies whose names end like a municipal board's: never the audited body of a kommun.
_STATE_AGENCIES = frozenset({"länsstyrelsen", "socialstyrelsen", "transportstyrelsen", "rikspolisstyrelsen",
                             "kriminalvårdsstyrelsen", "trafikstyrelsen"})
_BODIES = rf"(?:{_BODY})(?:\s+och\s+(?:{_BODY}))?"
_FOOTREF = r"(?:\[[^\]]{0,40}\])?"
_BODY_PATTERNS = (
    rf"(?P<b>{_BODIES}){_FOOTREF}\s+är\s+granskningsobjekt",
    rf"[Gg]ranskningsobjekt(?:et)?\s*(?:är|:)\s*(?P<b>{_BODIES})",
    rf"[Aa]nsvarig\s+(?:nämnd|styrelse)\s*(?:är|:)\s*(?P<b>{_BODIES})",
    rf"granska(?:t|r)?\s+(?:om|att|hur|huruvida)\s+(?P<b>{_BODIES})\s+(?:säkerställ|har|arbetar|bedriver|styr)",
    rf"rekommender\w*\s+(?:EY|PwC|KPMG|vi|revisorerna)?\s*(?P<b>{_BODIES})\s+att",
    rf"(?P<b>{_BODIES})\s+rekommenderas\s+att",
    rf"^(?P<b>{_BODIES})\s+i\s*$",
    r"(?P<b>[A-ZÅÄÖ][a-zåäö]+styrelsen|[A-ZÅÄÖ][a-zåäö]+nämnden)s\s+beslut",
)
_TITLE_PREFIX = re.compile(
    r"^(?:\*\*)?(?:Revisionsrapport|Granskningsrapport|Rapport|Förstudie|Projektrapport)\s*[:–—-]\s*(?P<t>.+)$")
_GRANSKNING_AV = re.compile(
    r"^(?:\*\*)?(?:(?:Fördjupad|Uppföljande|Grundläggande|Förenklad)\s+)?[Gg]ranskning\s+av\b.*")
_GENRE_ONLY = re.compile(r"^(?:Revisionsrapport|Granskningsrapport|Rapport)$")
_H1 = re.compile(r"^#[ \t]+(?P<t>.+?)(?:[ \t]+#+)?[ \t]*$")
#: A first heading that names a part of the report, not the report: no title.
_SECTION_HEAD = re.compile(r"^(?:\d+(?:\.\d+)*\.?\s+)?(?:Sammanfatt|Innehåll|Förord|Bilaga|Inledning|Bakgrund|Syfte"
                           r"|Metod|Revisionskriterier|Avgränsning|Iakttagelser|Granskningsresultat|Bedömning"
                           r"|Revisionsfråg|Kontrollfråg)", re.IGNORECASE)
_MISSIV = re.compile(r"för kännedom|vi önskar|önskar (få )?(ta del av )?(nämndens|styrelsens|era)?\s*"
                     r"(svar|kommentarer|synpunkter)|emotser svar|missiv", re.IGNORECASE)
_REPORT_HEADS = re.compile(r"^\s*(\d+(\.\d+)*\.?\s+)?(Inledning|Bakgrund|Syfte|Metod|Revisionskriterier|Avgränsning"
                           r"|Iakttagelser|Granskningsresultat|Bedömning|Revisionsfrågor?|Kontrollfrågor)\b",
                           re.MULTILINE)
_AUDIT_WORDS = re.compile(r"revisor|revisionsfråg|kontrollmål|granskning|revisionsrapport|granska", re.IGNORECASE)
_PROTOCOL = (r"^\s*§\s*\d+", r"\bDnr\b", r"[Jj]usterare|[Jj]usterandes",
             r"[Pp]rotokollsutdrag|[Ss]ammanträdesprotokoll", r"^\s*\w+s beslut\s*$",
             r"[Bb]eslutsexpediering|[Bb]eslutet skickas till", r"[Ss]ammanträdesdatum")
_SVAR = re.compile(r"^\s*(svar på (revisions|gransknings)rapport|svar på granskning|yttrande över|yttrande avseende"
                   r"|nämndens svar|styrelsens svar)", re.IGNORECASE | re.MULTILINE)
_SWEDISH_WORDS = re.compile(r"\b(?:och|att|det|som|för|av|med|är|inte|på)\b", re.IGNORECASE)
_ENGLISH_WORDS = re.compile(r"\b(?:the|and|of|to|is|in|with|that|for|are)\b", re.IGNORECASE)
_EXPLICIT_KEYS = ("kommun", "year", "date", "firm", "doc_type", "audited_body")


def find_firm(text: str) -> str | None:
    """The audit firm named most often (front page and 'på uppdrag' sentences count extra)."""
    scores: Counter[str] = Counter()
    for name, pattern in _FIRMS:
        for m in re.finditer(pattern, text):
            scores[name] += 3 if m.start() < FRONT_CHARS else 1
    return scores.most_common(1)[0][0] if scores else None


def normalise_firm(raw: str) -> str | None:
    """A firm's canonical short name from any spelling ('Ernst & Young AB' → 'EY')."""
    return find_firm(raw) or (raw.strip() or None)


def _dehyphenate(title: str) -> str:
    """Join words split across lines ('arbets- marknads- verksamheten'), keep 'Omsorgs- och ...'."""
    title = re.sub(r"\s+", " ", title.replace("**", "")).strip()
    return re.sub(r"(\w)- (?!(?:och|eller|samt|till|respektive)\b)([a-zåäö])", r"\1\2", title)


def _joined_line(lines: list[str], i: int) -> str:
    """A title line plus the following lines that continue it (lower-case start or unclosed bold)."""
    parts = [lines[i].strip()]
    j = i + 1
    while j < len(lines) and len(parts) < 4:
        nxt = lines[j].strip()
        if not nxt:
            if j + 1 < len(lines) and lines[j + 1].strip()[:1].islower() and len(parts[-1]) < 60:
                j += 1
                continue
            break
        unclosed = parts[0].startswith("**") and "**" not in " ".join(parts)[2:]
        if not (nxt[:1].islower() or unclosed) or len(nxt) > 80:
            break
        parts.append(nxt)
        j += 1
    return " ".join(parts)


def _strip_place(title: str) -> str:
    """Drop a trailing '– Ödeshögs kommun' and wrapping quotes from a title."""
    title = re.sub(r"\s*[–—-]\s*[A-ZÅÄÖ][\w -]*\s(kommun|stad|region)\s*$", "", title, flags=re.IGNORECASE)
    return title.strip().strip('"”“\'').strip()


def _line_title(lines: list[str], i: int) -> tuple[int, str] | None:
    """A title from line i by the forms reports title themselves in, with its rank (lower is surer)."""
    line = lines[i].strip()
    if _GRANSKNING_AV.match(line):
        return 0, _dehyphenate(_joined_line(lines, i))
    if m := _TITLE_PREFIX.match(line):
        rest = _joined_line([m.group("t")] + lines[i + 1:], 0)
        return 1, _strip_place(_dehyphenate(rest))
    if _GENRE_ONLY.match(line):
        nxt = next((ln.strip() for ln in lines[i + 1:i + 4] if ln.strip()), "")
        if 3 <= len(nxt) <= 100 and not nxt.endswith(".") and not re.match(r"^[\d-]+$", nxt) \
                and not find_firm(nxt):
            return 2, _strip_place(_dehyphenate(nxt))
    return None


def _heading_title(lines: list[str]) -> str | None:
    """A Markdown file's first level-1 heading, the title its author marked ('# Rapport: X' gives 'X');
    none when that heading names a section ('# Sammanfattning') rather than the report."""
    for i, raw in enumerate(lines):
        if m := _H1.match(raw.strip()):
            heading = _dehyphenate(m.group("t"))
            if not heading or _SECTION_HEAD.match(heading):
                return None
            if _GRANSKNING_AV.match(heading):
                return heading
            below = lines[i + 1:] if _GENRE_ONLY.match(heading) else []  # '# Rapport' titles the next line
            found = _line_title([heading, *below], 0)
            return found[1] if found and found[1] else _strip_place(heading)
    return None


def find_title(text: str, *, markdown: bool = False) -> str | None:
    """The report's own title from its front pages (in Markdown its first `#` heading first), else
    'Granskning av …' from the assignment sentence."""
    front = text[:FRONT_CHARS]
    lines = front.split("\n")
    if markdown and (title := _heading_title(lines)):
        return title
    best: tuple[int, str] | None = None
    for i, raw in enumerate(lines):
        if not raw.strip() or len(raw.strip()) > 160:
            continue
        cand = _line_title(lines, i)
        if cand and cand[1] and (best is None or cand[0] < best[0]):
            best = cand
    if best:
        return best[1]
    m = re.search(r"i uppdrag att granska\s+([^.\n]{5,120})\.", text)
    if m:
        return "Granskning av " + _dehyphenate(m.group(1))
    return None


#: Two years side by side in a file name are a span: 'klimatstrategi_2020_2050' → 'Klimatstrategi 2020–2050'.
_YEAR_SPAN = re.compile(r"\b((?:19|20)\d\d) ((?:19|20)\d\d)\b")


def title_from_file_name(file_name: str, text: str, place: str | None = None) -> str:
    """The file name as a title, for a document that states none, each word spelled as the text
    spells it most often: file names lose å, ä and ö ('Olofstrom_Handlingsplan_for_klimat.pdf' →
    'Olofström Handlingsplan för klimat' when the text says so). A leading `place` (the kommun,
    shown beside every title) is dropped: 'Handlingsplan för klimat'. Two years in a row are a span."""
    spellings: dict[str, Counter[str]] = {}
    for word in re.findall(r"[^\W\d_]+", text[:FRONT_CHARS * 20]):
        spellings.setdefault(fold_diacritics(word.casefold()), Counter())[word.casefold()] += 1
    words = []
    for word in Path(file_name).stem.replace("_", " ").split():
        seen = spellings.get(fold_diacritics(word.casefold()))
        spelled = seen.most_common(1)[0][0] if seen else word.casefold()
        if spelled != word.casefold() and len(spelled) == len(word):  # the same letters, accents apart
            word = "".join(new.upper() if old.isupper() else new for new, old in zip(spelled, word, strict=True))
        words.append(word)
    if place and len(words) > 1 and fold_diacritics(words[0].casefold()) == fold_diacritics(place.casefold()):
        words = [words[1][:1].upper() + words[1][1:], *words[2:]]
    return _YEAR_SPAN.sub(lambda m: f"{m[1]}–{m[2]}" if m[1] < m[2] else m[0], " ".join(words))


def _clean_body(raw: str) -> str:
    """Audited body in running-text case: 'Socialnämnden' → 'socialnämnden', 'Nämnden för Service' kept."""
    body = re.sub(r"\s+", " ", raw).strip()
    parts = re.split(r"\s+och\s+(?=[A-ZÅÄÖa-zåäö]*(?:nämnden|styrelsen)\b|[Nn]ämnden för)", body)
    return " och ".join(p[:1].lower() + p[1:] for p in parts)


def find_audited_body(text: str) -> str | None:
    """The nämnd or styrelse audited, by the phrases reports use, else the one named most; never a
    state agency named like a board (a climate plan citing Länsstyrelsen audits no länsstyrelse)."""
    for pattern in _BODY_PATTERNS:
        for m in re.finditer(pattern, text, re.MULTILINE):
            if (body := _clean_body(m.group("b"))).casefold() not in _STATE_AGENCIES:
                return body
    names = Counter(body for m in re.finditer(rf"\b(?:{_BODY})\b", text)
                    if (body := _clean_body(m.group(0))).casefold() not in _STATE_AGENCIES)
    return names.most_common(1)[0][0] if names else None


def _is_swedish(text: str) -> bool:
    """Whether Swedish function words outnumber English ones (a README about reports is no report)."""
    return len(_SWEDISH_WORDS.findall(text)) >= len(_ENGLISH_WORDS.findall(text))


def find_doc_type(text: str) -> str:
    """Report, cover letter, response, minutes extract, or not an audit document at all."""
    head = text[:1500]
    report_heads = {m.group(3).lower() for m in _REPORT_HEADS.finditer(text)}
    is_report = len(report_heads) >= 3 and len(text) > 6000
    audit_hits = len(_AUDIT_WORDS.findall(text))
    if audit_hits < 3 or not (is_report or _AUDIT_WORDS.search(text[:FRONT_CHARS])) or not _is_swedish(text):
        return "ovrigt"  # an audit document says what it is on its front page, in Swedish
    protocol_hits = sum(bool(re.search(p, head, re.MULTILINE)) for p in _PROTOCOL)
    if protocol_hits >= 2 and not is_report:
        return "protokollsutdrag"
    if _SVAR.search(head) and not is_report:
        return "svar"
    if _MISSIV.search(text[:FRONT_CHARS]) and not is_report:
        return "missiv"
    return "granskningsrapport"


def find_date(text: str) -> tuple[str | None, int | None]:
    """(ISO date, year): first full date on the front, else cover month with a matching signature date."""
    front, tail = text[:FRONT_CHARS], text[-1500:]
    if found := dates.full_dates(front):
        iso = found[0][1]
        return iso, int(iso[:4])
    if cover := dates.month_years(front):
        _, year, month = cover[0]
        signed = [d for _, d in dates.full_dates(tail) if d[:7] == f"{year}-{month:02d}"]
        signed += dates.short_dates(tail, year, month)
        return (signed[0] if signed else None), year
    if found := dates.full_dates(tail):
        iso = found[-1][1]
        return iso, int(iso[:4])
    return None, dates.latest_year(text)


def extract_metadata(text: str, *, file_name: str = "", file_metadata: dict | None = None,
                     markdown: bool = False) -> ReportMeta:
    """ReportMeta from the text (`markdown`: its `#` headings are marked), with front matter overriding
    and PDF info filling gaps (see module doc)."""
    meta = dict(file_metadata or {})
    date, year = find_date(text)
    fields: dict = {
        "title": find_title(text, markdown=markdown),
        "kommun": find_place(text),
        "firm": find_firm(text),
        "date": date,
        "year": year,
        "doc_type": find_doc_type(text),
        "audited_body": find_audited_body(text),
    }
    explicit = meta.get("origin") in ("front_matter", "sidecar")
    for key in _EXPLICIT_KEYS + (("title",) if explicit else ()):
        if meta.get(key) not in (None, ""):
            fields[key] = meta[key]
    if fields["firm"]:
        fields["firm"] = normalise_firm(str(fields["firm"]))
    if not fields["title"]:
        fields["title"] = meta.get("title") or title_from_file_name(file_name, text, fields["kommun"])
    if not fields["firm"] and meta.get("author"):
        fields["firm"] = find_firm(str(meta["author"]))
    created = str(meta.get("created") or "")
    if not fields["year"] and (m := re.match(r"^(?:D:)?(\d{4})", created)):
        fields["year"] = int(m.group(1))
    if fields["year"] is not None:
        fields["year"] = int(fields["year"])
    if fields["date"] and not fields["year"]:
        fields["year"] = int(str(fields["date"])[:4])
    if fields["doc_type"] not in DOC_TYPES:
        fields["doc_type"] = "ovrigt"
    return ReportMeta(**fields)
