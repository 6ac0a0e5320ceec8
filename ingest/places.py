"""Which kommun or region a report is about, matched against the official list (kb.places)."""

from __future__ import annotations

import re
from collections import Counter
from functools import lru_cache

from kb.places import load_places


@lru_cache(maxsize=1)
def _patterns() -> tuple[re.Pattern, re.Pattern]:
    """One regex for '<name>(s) kommun/stad' and one for region names, longest names first."""
    kommuner, regions = load_places()
    alts = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in sorted(kommuner, key=len, reverse=True))
    kommun_re = re.compile(rf"(?<![\wÅÄÖåäö-])({alts})s?\s+(?:[Kk]ommun|[Ss]tad)(?:s|en)?\b")
    region_alts = []
    for name in sorted(regions, key=len, reverse=True):
        core = name.removeprefix("Region ")
        core_re = re.escape(core).replace(r"\ ", r"\s+")
        region_alts.append(rf"Region\s+{core_re}" if name.startswith("Region ") else core_re)
    region_re = re.compile(rf"(?<![\wÅÄÖåäö])({'|'.join(region_alts)})s?\b")
    return kommun_re, region_re


def _canonical(found: str) -> str:
    """The list's spelling of a matched name (case and whitespace as in the list)."""
    kommuner, regions = load_places()
    flat = re.sub(r"\s+", " ", found).strip()
    for name in kommuner + regions:
        if name.lower() == flat.lower():
            return name
    return flat


def find_place(text: str, front_chars: int = 3000) -> str | None:
    """The kommun (bare name) or region named most often, front page counting triple, else None."""
    kommun_re, region_re = _patterns()
    scores: Counter[str] = Counter()
    first_seen: dict[str, int] = {}
    for pattern in (kommun_re, region_re):
        for m in pattern.finditer(text):
            name = _canonical(m.group(1))
            scores[name] += 3 if m.start() < front_chars else 1
            first_seen.setdefault(name, m.start())
    if not scores:
        return None
    return max(scores, key=lambda n: (scores[n], -first_seen[n]))
