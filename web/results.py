"""Search results as the pages show them: filter options with counts, and hits grouped by report."""

from __future__ import annotations

from dataclasses import dataclass

from kb.models import DOC_TYPE_LABELS, SECTION_TYPE_LABELS, SECTION_TYPES, Hit
from kb.search import Filters, body_label

#: The checkbox groups of the filter form: parameter, legend, where the values come from.
CHECKBOX_GROUPS = (
    ("kommun", "Kommun"), ("firm", "Revisionsbyrå"), ("audited_body", "Granskad nämnd/styrelse"),
    ("doc_type", "Dokumenttyp"), ("section_type", "Avsnittstyp"),
)


@dataclass(frozen=True)
class Option:
    value: str
    label: str
    count: int | None  # None before a query is searched
    checked: bool


@dataclass(frozen=True)
class FacetGroup:
    name: str
    legend: str
    options: list[Option]


def label_for(name: str, value: str) -> str:
    if name == "section_type":
        return SECTION_TYPE_LABELS.get(value, value)
    if name == "doc_type":
        return DOC_TYPE_LABELS.get(value, value)
    return value


_AFTER_Z = str.maketrans({"å": "{", "ä": "|", "ö": "}"})  # the three characters that follow z


def swedish_order(text: str) -> str:
    """A sort key that ignores case and puts å, ä, ö after z, in that order, as a Swedish list does."""
    return text.casefold().translate(_AFTER_Z)


def facet_groups(known: dict[str, list], facets: dict[str, dict[str, int]] | None,
                 filters: Filters) -> list[FacetGroup]:
    """Every value the archive holds, with its count for the current query and whether it is chosen.
    An audited body is one option however a report or the URL cased it, listed as a list item."""
    known = {**known, "section_type": list(SECTION_TYPES)}
    groups = []
    for name, legend in CHECKBOX_GROUPS:
        bodies = name == "audited_body"
        same, shown = (str.casefold, body_label) if bodies else (str, str)
        chosen = [str(v) for v in getattr(filters, name)]
        counts = (facets or {}).get(name)
        firsts: dict[str, str] = {}
        for value in [str(v) for v in known.get(name, [])] + sorted(chosen):
            firsts.setdefault(same(value), shown(value))
        picked = {same(v) for v in chosen}
        options = [Option(value, label_for(name, value),
                          None if counts is None else sum(n for v, n in counts.items() if same(v) == key),
                          key in picked)
                   for key, value in firsts.items()]
        if bodies:
            options.sort(key=lambda option: swedish_order(option.label))
        groups.append(FacetGroup(name, legend, options))
    return groups


def year_options(known: dict[str, list], facets: dict[str, dict[str, int]] | None) -> list[Option]:
    counts = (facets or {}).get("year")
    return [Option(str(y), str(y), None if counts is None else counts.get(str(y), 0), False)
            for y in known.get("year", [])]


def group_by_report(hits: list[Hit]) -> list[list[Hit]]:
    """The hits of each report together, reports in the order of their best hit."""
    groups: dict[str, list[Hit]] = {}
    for hit in hits:
        groups.setdefault(hit.report_id, []).append(hit)
    return list(groups.values())
