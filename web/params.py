"""Query-string parsing shared by the pages and the API: one set of rules, one set of messages."""

from __future__ import annotations

from collections.abc import Iterable

from flask import current_app
from werkzeug.datastructures import MultiDict

from kb.errors import BadQuery
from kb.models import DOC_TYPES, SECTION_TYPES, YEARS
from kb.search import MAX_K, Filters

LIST_PARAMS = ("kommun", "firm", "section_type", "doc_type", "audited_body")
KNOWN_PARAMS = {"q", "k", "year_from", "year_to", "format", "group", "spell", *LIST_PARAMS}
#: Filters whose values form a closed set: anything else is a typo or an attack, said as such.
CLOSED_VALUES = {"section_type": SECTION_TYPES, "doc_type": DOC_TYPES}
MAX_FILTER_VALUES, MAX_FILTER_CHARS = 50, 200


def _int(args: MultiDict, name: str, default: int | None) -> int | None:
    raw = args.get(name, "")
    if raw.strip() == "":
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadQuery(f"Parametern {name} måste vara ett heltal.") from None


def reject_unknown(args: MultiDict, known: Iterable[str]) -> None:
    """A parameter the route does not take is a 400 that names it: a typo ("kommune") must not
    quietly give an unfiltered answer."""
    unknown = sorted(set(args) - set(known))
    if unknown:
        raise BadQuery(f"Okänd parameter: {', '.join(unknown)}.")


def parse_search_args(args: MultiDict, *, strict: bool) -> tuple[str, int, Filters]:
    """q, k and filters from a query string; unknown parameters are an error when strict."""
    if strict:
        reject_unknown(args, KNOWN_PARAMS)
    k = _int(args, "k", 10)
    if not 1 <= k <= MAX_K:
        raise BadQuery(f"Antalet träffar (k) måste vara mellan 1 och {MAX_K}.")
    year_from, year_to = _int(args, "year_from", None), _int(args, "year_to", None)
    for year in (year_from, year_to):
        if year is not None and year not in YEARS:
            raise BadQuery(f"Årtal måste ligga mellan {YEARS[0]} och {YEARS[-1]}.")
    if year_from is not None and year_to is not None and year_from > year_to:
        raise BadQuery(f"Från och med år {year_from} ligger efter till och med år {year_to}: byt plats på dem.")
    lists = {name: tuple(v for v in args.getlist(name) if v.strip()) for name in LIST_PARAMS}
    for name, values in lists.items():
        _check_values(name, values)
    if args.get("group", "") not in ("", "report"):
        raise BadQuery("Parametern group kan bara vara report.")
    return args.get("q", ""), k, Filters(year_from=year_from, year_to=year_to, **lists)


def parse_flag(args: MultiDict, name: str, default: bool) -> bool:
    """A yes/no parameter: 1 or true, 0 or false; empty or absent is the default."""
    value = args.get(name, "").strip().lower()
    if value not in ("", "0", "1", "false", "true"):
        raise BadQuery(f"Parametern {name} kan bara vara 0 eller 1.")
    return default if value == "" else value in ("1", "true")


def parse_spell(args: MultiDict) -> bool:
    """`spell=0` searches the words exactly as typed; by default misspelled words are corrected."""
    return parse_flag(args, "spell", True)


def parse_same_report(args: MultiDict) -> bool:
    """`same_report=1`: similar passages may come from the passage's own report (by default only others)."""
    return parse_flag(args, "same_report", False)


def _check_values(name: str, values: tuple[str, ...]) -> None:
    if len(values) > MAX_FILTER_VALUES or any(len(v) > MAX_FILTER_CHARS for v in values):
        raise BadQuery("För många eller för långa filtervärden.")
    if any(not v.isprintable() for v in values):
        raise BadQuery(f"Filtret {name} innehåller otillåtna tecken.")
    allowed = CLOSED_VALUES.get(name)
    unknown = [v for v in values if allowed is not None and v not in allowed]
    if unknown:
        raise BadQuery(f"Okänt värde för {name}: {unknown[0][:40]!r}. Tillåtna: {', '.join(allowed)}.")


def searcher():
    return current_app.extensions["kb.searcher"]


def index():
    return current_app.extensions["kb.index"]
