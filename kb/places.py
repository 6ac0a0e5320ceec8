"""Sweden's kommuner and regioner, from the official list shipped as data (kb/data/kommuner.txt):
metadata extraction matches report text against it, and the speller never corrects a place name
into another ("Lidköping" is not a typo of "Linköping")."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_DATA = Path(__file__).with_name("data") / "kommuner.txt"


@lru_cache(maxsize=1)
def load_places() -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(kommuner, regioner) from the shipped list, read once."""
    names = [ln.strip() for ln in _DATA.read_text(encoding="utf-8").splitlines()]
    names = [n for n in names if n and not n.startswith("#")]
    regions = tuple(n for n in names if n.startswith("Region ") or n.endswith("regionen"))
    kommuner = tuple(n for n in names if n not in regions)
    return kommuner, regions
