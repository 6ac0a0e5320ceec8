"""The HTML pages: search with filters and citations, similar passages, the corpus, a report."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, request, send_file, url_for

from kb.analysis import looks_english
from kb.errors import BadQuery, NotFound, StoreUnavailable
from kb.export import counted, page_range, pages_phrase
from kb.highlight import excerpt, plain_text
from kb.models import DOC_TYPE_LABELS, SECTION_TYPE_LABELS, pages_without_text
from kb.search import Filters
from web.errors import UNAVAILABLE, error_page
from web.params import index, parse_same_report, parse_search_args, parse_spell, searcher
from web.render import render_report
from web.results import facet_groups, group_by_report, label_for, swedish_order, year_options

pages = Blueprint("pages", __name__)

REPORT_COLUMNS = {"kommun": "Kommun", "year": "År", "firm": "Revisionsbyrå", "title": "Titel",
                  "doc_type": "Dokumenttyp", "audited_body": "Granskad", "chunks": "Stycken",
                  "findings": "Revisionsfrågor och rekommendationer"}


@pages.app_template_filter("section_type_label")
def section_type_label(value: str) -> str:
    return SECTION_TYPE_LABELS.get(value, value)


@pages.app_template_filter("page_range")
def page_range_filter(page: int | None, page_end: int | None = None) -> str:
    return page_range(page, page_end)


@pages.app_template_filter("plain_text")
def plain_text_filter(text: str) -> str:
    return plain_text(text)


@pages.app_template_filter("counted")
def counted_filter(count: int, one: str, many: str) -> str:
    return counted(count, one, many)


@pages.app_template_filter("doc_type_label")
def doc_type_label(value: str) -> str:
    return label_for("doc_type", value)


@pages.get("/")
def search_page():
    query, result, error, filters = request.args.get("q", ""), None, None, Filters()
    try:
        query, k, filters = parse_search_args(request.args, strict=False)
        filters = searcher().spelled(filters)  # the form shows a typed 'odeshog' as the index spells it, checked
        if query.strip() or "q" in request.args:
            result = searcher().search(query, k=k, filters=filters, spell=parse_spell(request.args))
    except BadQuery as exc:
        error = str(exc)
    except StoreUnavailable:
        return error_page(503, UNAVAILABLE)
    known = index().catalog.distinct_values()
    facets = result.facets if result else None
    grouped = request.args.get("group") == "report"
    return render_template(
        "search.html", query=query, result=result, error=error, filters=filters,
        excerpts=_excerpts(result, result.searched if result else query),
        groups=facet_groups(known, facets, filters),
        years=year_options(known, facets), grouped=grouped, k=request.args.get("k", ""),
        report_groups=group_by_report(result.hits) if result and grouped else None,
        english=bool(result) and looks_english(query),
        exact_url=_search_url(spell="0") if result and result.corrections else None,
        places_first=_places_first(result, filters),
    ), 400 if error else 200


def _places_first(result, filters: Filters) -> list[tuple[str, str]]:
    """The places the query named whose passages come first, each with a link that shows only it
    (none when the kommun filter is already set)."""
    if not result or filters.kommun:
        return []
    return [(place, _search_url(kommun=place)) for place in result.places_first]


def _search_url(**changed: str) -> str:
    """This search's URL, every parameter kept but those changed."""
    return url_for("pages.search_page", **{**request.args.to_dict(flat=False), **changed})


def _excerpts(result, query: str) -> dict:
    if not result:
        return {}
    decompounder = index().lexical.decompounder
    return {h.chunk_id: excerpt(h.text, query, decompounder=decompounder) for h in result.hits}


@pages.get("/similar/<chunk_id>")
def similar_page(chunk_id: str):
    try:
        _, k, filters = parse_search_args(request.args, strict=False)
        same_report = parse_same_report(request.args)
        result = searcher().similar(chunk_id, k=k, filters=filters, same_report=same_report)
    except BadQuery as exc:
        return error_page(400, str(exc))
    except StoreUnavailable:
        return error_page(503, UNAVAILABLE)
    catalog = index().catalog
    source = catalog.chunks_by_id([chunk_id])[chunk_id]
    toggle_url = url_for("pages.similar_page", chunk_id=chunk_id,
                         **{**request.args.to_dict(flat=False), "same_report": None if same_report else "1"})
    return render_template("similar.html", source=source, report=catalog.report(source.report_id),
                           result=result, excerpts=_excerpts(result, ""), same_report=same_report,
                           own=sum(h.report_id == source.report_id for h in result.hits), toggle_url=toggle_url)


@pages.get("/reports")
def corpus_page():
    sort = request.args.get("sort") or "kommun"
    column = sort.removeprefix("-")
    if column not in REPORT_COLUMNS:
        return error_page(400, f"Okänd sortering: {sort!r}. Välj en av kolumnerna.")
    catalog = index().catalog
    findings = catalog.finding_counts()
    rows = [{"id": r.id, "kommun": r.meta.kommun or "", "year": r.meta.year or 0,
             "firm": r.meta.firm or "", "title": r.meta.title, "doc_type": r.meta.doc_type,
             "audited_body": r.meta.audited_body or "", "chunks": r.chunk_count,
             "findings": findings.get(r.id, 0)} for r in catalog.reports()]
    shown = DOC_TYPE_LABELS if column == "doc_type" else {}  # sorted as the table reads, not by code
    rows.sort(key=lambda row: tuple(swedish_order(v) if isinstance(v, str) else v
                                    for v in (shown.get(row[column], row[column]), row["kommun"], row["title"])),
              reverse=sort.startswith("-"))
    return render_template("reports.html", rows=rows, columns=REPORT_COLUMNS, column=column,
                           descending=sort.startswith("-"))


@pages.get("/reports/<report_id>")
def report_page(report_id: str):
    catalog = index().catalog
    report = catalog.report(report_id)
    if report is None:
        return error_page(404, f"Rapporten {report_id!r} finns inte i arkivet.")
    passage = request.args.get("passage", "")
    chunks = catalog.chunks_of(report_id)
    has_original = report.format == "pdf" and _original(report) is not None
    gone = bool(passage) and all(c.id != passage for c in chunks)  # a permalink from before a re-ingest
    blank = pages_without_text(catalog.pages(report_id))
    return render_template("report.html", report=report, passages=render_report(chunks, report.format),
                           passage=passage, gone=gone, has_original=has_original, marks=_page_marks(chunks),
                           blank_pages=pages_phrase(blank) if blank else "")


def _page_marks(chunks: list) -> dict[str, tuple[int, int]]:
    """A page mark before the first passage cited to each page, naming every page its passages
    reach ("Sida 18–21"), so a passage running over pages sits under a mark that names them."""
    marks: dict[str, tuple[int, int]] = {}
    first: str | None = None
    for chunk in chunks:
        if not chunk.page:
            continue
        if first is None or chunk.page != marks[first][0]:
            first = chunk.id
            marks[first] = (chunk.page, chunk.page)
        marks[first] = (chunk.page, max(marks[first][1], chunk.page_end or chunk.page))
    return marks


@pages.get("/reports/<report_id>/original.pdf")
def original(report_id: str):
    report = index().catalog.report(report_id)
    path = _original(report) if report else None
    if path is None:
        return error_page(404, "Originalfilen finns inte.")
    return send_file(path, mimetype="application/pdf", download_name=f"{report_id}.pdf")


def _original(report) -> Path | None:
    """The stored copy of a PDF, found by the report's content hash, never by a user's path."""
    path = index().config.data_dir / "originals" / f"{report.sha256}.pdf"
    return path if path.is_file() else None


@pages.errorhandler(NotFound)
def not_found(exc: NotFound):
    return error_page(404, str(exc))


@pages.app_errorhandler(413)
def too_large(exc):
    limit = request.max_content_length or 0
    return error_page(413, f"Filen är för stor (högst {limit / 1e6:.0f} MB).")
