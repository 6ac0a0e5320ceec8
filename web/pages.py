"""The HTML pages: search with citations, and a report with its passages as anchors."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, render_template, request, send_file

from kb.errors import BadQuery, NotFound, StoreUnavailable
from kb.highlight import excerpt
from web.params import index, parse_search_args, searcher
from web.render import render_passage

pages = Blueprint("pages", __name__)

SECTION_TYPE_LABELS = {
    "sammanfattning": "Sammanfattning", "inledning": "Inledning/bakgrund",
    "revisionsfraga": "Revisionsfråga", "iakttagelse": "Iakttagelse", "bedomning": "Bedömning",
    "rekommendation": "Rekommendation", "svar": "Svar", "ovrigt": "Övrigt",
}


def error_page(status: int, message: str):
    return render_template("error.html", status=status, message=message), status


@pages.app_template_filter("section_type_label")
def section_type_label(value: str) -> str:
    return SECTION_TYPE_LABELS.get(value, value)


@pages.get("/")
def search_page():
    query = request.args.get("q", "")
    result, error = None, None
    if query.strip() or "q" in request.args:
        try:
            query, k, filters = parse_search_args(request.args, strict=False)
            result = searcher().search(query, k=k, filters=filters)
        except BadQuery as exc:
            error = str(exc)
        except StoreUnavailable:
            return error_page(503, "Sökindexet är inte tillgängligt just nu. Försök igen om en stund.")
    excerpts = {h.chunk_id: excerpt(h.text, query) for h in result.hits} if result else {}
    status = 400 if error else 200
    return render_template("search.html", query=query, result=result, error=error,
                           excerpts=excerpts), status


@pages.get("/reports/<report_id>")
def report_page(report_id: str):
    catalog = index().catalog
    report = catalog.report(report_id)
    if report is None:
        return error_page(404, f"Rapporten {report_id!r} finns inte i arkivet.")
    passage = request.args.get("passage", "")
    chunks = catalog.chunks_of(report_id)
    rendered = [(c, render_passage(c.text, report.format)) for c in chunks]
    has_original = report.format == "pdf" and _original(report) is not None
    return render_template("report.html", report=report, passages=rendered, passage=passage,
                           has_original=has_original)


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
