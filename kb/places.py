"""Sweden's kommuner and regioner, from the official list shipped as data (kb/data/kommuner.txt):
metadata extraction matches report text against it, and the speller never corrects a place name
into another ("Lidköping" is not a typo of "Linköping")."""

from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from kb.analysis import fold_diacritics

_DATA = Path(__file__).with_name("data") / "kommuner.txt"


@lru_cache(maxsize=1)
def load_places() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(kommuner, regioner) from the shipped list, read once."""
    names = [ln.strip() for ln in _DATA.read_text(encoding="utf-8").splitlines()]
    names = [n for n in names if n and not n.startswith("#")]
    regions = tuple(n for n in names if n.startswith("Region ") or n.endswith("regionen"))
    kommuner = tuple(n for n in names if n not in regions)
    return kommuner, regions


@lru_cache(maxsize=1)
def _naming() -> tuple[re.Pattern, dict[str, tuple[str, ...]]]:
    """A case-sensitive pattern over the diacritic-folded names, and each folded name's places
    ("Skåne" names Region Skåne; "Stockholm" the kommun and the region)."""
    kommuner, regions = load_places()
    places: dict[str, list[str]] = {}
    for name in kommuner + regions:
        for form in {name, name.removeprefix("Region ")}:
            places.setdefault(fold_diacritics(form), []).append(name)
    alternatives = "|".join(re.escape(n).replace(r"\ ", r"\s+") for n in sorted(places, key=len, reverse=True))
    pattern = re.compile(rf"(?<![\w-])({alternatives})s?(?![\w-])")
    return pattern, {name: tuple(found) for name, found in places.items()}


def named_places(text: str) -> frozenset[str]:
    """The kommuner and regioner a query names, written capitalised as names are, with or
    without å/ä/ö and genitive s ("i Ödeshög", "Melleruds", "Stromsund"); lower-case words
    are left alone, since several names are also words ("Vara", "Mark", "Lund")."""
    pattern, places = _naming()
    found = (places[" ".join(m.group(1).split())] for m in pattern.finditer(fold_diacritics(text)))
    return frozenset(name for names in found for name in names)
