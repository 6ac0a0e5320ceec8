"""The JSON API: the same hits as the CLI, errors as JSON with a message."""

from __future__ import annotations

import os

from flask import Blueprint, jsonify, request

from kb.errors import BadQuery, KbError, NotFound, StoreUnavailable
from kb.models import pages_without_text
from web.errors import UNAVAILABLE, respond_error
from web.errors import json_error as _error
from web.params import (
    KNOWN_PARAMS,
    index,
    parse_same_report,
    parse_search_args,
    parse_spell,
    reject_unknown,
    searcher,
)
from web.results import group_by_report

api = Blueprint("api", __name__)
#: What a search takes that similar passages, found from a passage rather than words, do not.
SEARCH_ONLY = {"q", "spell", "group", "format"}


@api.errorhandler(BadQuery)
def bad_query(exc: BadQuery):
    return _error(400, str(exc))


@api.errorhandler(NotFound)
def not_found(exc: NotFound):
    return _error(404, str(exc))


@api.errorhandler(StoreUnavailable)
def unavailable(exc: StoreUnavailable):
    return _error(503, UNAVAILABLE)


@api.errorhandler(KbError)
def kb_error(exc: KbError):
    return _error(500, str(exc))


@api.get("/api/search")
def search():
    query, k, filters = parse_search_args(request.args, strict=True)
    result = searcher().search(query, k=k, filters=filters, spell=parse_spell(request.args))
    body = {**result.to_dict(), "facets": result.facets}
    if request.args.get("group") == "report":
        body["groups"] = [{"report_id": g[0].report_id, "kommun": g[0].kommun, "year": g[0].year,
                           "title": g[0].title, "chunk_ids": [h.chunk_id for h in g]}
                          for g in group_by_report(result.hits)]
    return jsonify(body)


@api.get("/api/reports")
def reports():
    reject_unknown(request.args, ())
    return jsonify({"reports": [_report(r) for r in index().catalog.reports()]})


@api.get("/api/reports/<report_id>")
def report(report_id: str):
    reject_unknown(request.args, ())
    found = index().catalog.report(report_id)
    if found is None:
        raise NotFound(f"Rapporten {report_id!r} finns inte i arkivet.")
    pages = index().catalog.pages(report_id)
    return jsonify({**_report(found), "page_count": len(pages), "pages_without_text": pages_without_text(pages)})


@api.get("/healthz")
def healthz():
    idx = index()
    reports_n, chunks_n = idx.catalog.counts()
    body = {"status": "ok", "reports": reports_n, "chunks": chunks_n, "model": idx.embedder.name,
            "lexical": idx.catalog.lexical_count(), "lexical_matrix": idx.lexical.matrix_current,
            "writable": os.access(idx.config.data_dir, os.W_OK)}
    try:
        body["vectors"] = idx.vectors.count()
    except StoreUnavailable:
        body.update(status="degraded", vectors=None)
        return jsonify(body), 503
    return jsonify(body)


def _report(r) -> dict:
    return {**r.to_dict(), "url": f"/reports/{r.id}"}


@api.get("/api/similar/<chunk_id>")
def similar(chunk_id: str):
    reject_unknown(request.args, KNOWN_PARAMS - SEARCH_ONLY | {"same_report"})
    _, k, filters = parse_search_args(request.args, strict=False)
    result = searcher().similar(chunk_id, k=k, filters=filters, same_report=parse_same_report(request.args))
    return jsonify({"chunk_id": chunk_id, "hits": [h.to_dict() for h in result.hits],
                    "facets": result.facets})


@api.get("/api/compare")
def compare():
    from web.workflows import compare as compare_reports
    from web.workflows import report_ref

    reject_unknown(request.args, {"q", "spell"})
    comparison = compare_reports(request.args.get("q", ""), spell=parse_spell(request.args))
    spelling = comparison.spelling
    return jsonify({"query": spelling.typed, "searched": spelling.searched,
                    "reports": [r.to_dict() for r in comparison.rows],
                    "without_passage": [report_ref(r) for r in comparison.without_passage]})


@api.get("/api/register")
def register():
    from web.workflows import RegisterQuery
    from web.workflows import register as find

    reject_unknown(request.args, {"q", "kommun", "kind", "answer"})
    return jsonify({"findings": find(RegisterQuery.from_args(request.args))})


@api.app_errorhandler(404)
def route_not_found(exc):
    return respond_error(404, "Adressen finns inte." if request.path.startswith("/api/")
                         else "Sidan finns inte.")


@api.app_errorhandler(405)
def method_not_allowed(exc):
    return respond_error(405, "Metoden stöds inte här.")
