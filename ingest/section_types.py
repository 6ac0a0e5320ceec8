"""Map a Swedish audit-report heading to one of kb.models.SECTION_TYPES."""

from __future__ import annotations

import re

from kb.models import SECTION_TYPES

# Order matters: the first rule whose pattern matches the normalised title wins.
_RULES: tuple[tuple[str, str], ...] = (
    (r"^(innehåll|innehållsförteckning|bilag|bilaga|källor|referenser|ordlista|definitioner|förkortningar)\b",
     "ovrigt"),
    (r"\b(yttrande|svar (på|till)|nämndens svar|styrelsens svar|förslag till beslut|beslutsunderlag)\b", "svar"),
    (r"^\w+(s|ns)? beslut$|^beslut$", "svar"),
    (r"^sammanfattande bedömningar? utifrån", "sammanfattning"),
    (r"^(sammanfattning|sammanfattande)\b", "sammanfattning"),
    # "Revisionsrapport: Försörjningsstöd" heads a missiv or minutes extract that sums the report up
    (r"^(revisionsrapport|granskningsrapport)\s*[:–—-]\s*\S", "sammanfattning"),
    (r"rekommendation|förslag till förbättring|förbättringsområden|åtgärdsförslag", "rekommendation"),
    (r"^(iakttagelse|granskningsresultat|resultat|nulägesbeskrivning|nuläge)", "iakttagelse"),
    (r"bedömning|kommentar|slutsats|analys och bedöm", "bedomning"),
    (r"revisionsfråg|kontrollfråg|kontrollmål|granskningsfråg|frågeställning", "revisionsfraga"),
    ((r"^(inledning|bakgrund|syfte|avgränsning|metod|revisionskriterie|bedömningsgrund|genomförande"
      r"|ansvarig nämnd|granskningsobjekt|uppdrag(et)?$|granskningens (syfte|inriktning|omfattning))"), "inledning"),
    (r"^(iakttagelser|resultat av granskningen|utfall)", "iakttagelse"),
)

_COMPILED = tuple((re.compile(pattern), kind) for pattern, kind in _RULES)
_TOP_LEVEL_SUMMARY = re.compile(r"^(samlad|övergripande|revisionell|sammanfattande) bedömning")


def normalise_title(title: str) -> str:
    """Lower-cased title without numbering, markup or OCR's l-for-I, so rules stay simple."""
    text = title.strip().strip("*#").strip()
    text = re.sub(r"^(\d+(\\?\.\d+)*\\?\.?|[A-Z]\.|bilaga \d+\s*[:.-]?)\s*", lambda m: m.group(0)
                  if m.group(0).lower().startswith("bilaga") else "", text, flags=re.IGNORECASE)
    text = re.sub(r"\s+", " ", text).lower()
    text = re.sub(r"^lakttagelse", "iakttagelse", text)
    return text.replace("&", "och")


def section_type_of(title: str, parent_type: str | None) -> str:
    """The section's type from its own title, else its parent's, because sub-headings rarely say."""
    text = normalise_title(title)
    if not text:
        return parent_type or "ovrigt"
    if _TOP_LEVEL_SUMMARY.match(text):
        return "sammanfattning" if parent_type in (None, "ovrigt") else "bedomning"
    for pattern, kind in _COMPILED:
        if pattern.search(text):
            return kind
    if parent_type in SECTION_TYPES:
        return parent_type
    return "ovrigt"
