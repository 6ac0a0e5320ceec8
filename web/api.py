"""The JSON API: the same hits as the CLI, errors as JSON with a message."""

from __future__ import annotations

import os

from flask import Blueprint, jsonify, request

from kb.errors import BadQuery, KbError, NotFound, StoreUnavailable
from web.errors import UNAVAILABLE, respond_error
from web.errors import json_error as _error
from web.params import index, parse_search_args, searcher

api = Blueprint("api", __name__)


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
    result = searcher().search(query, k=k, filters=filters)
    return jsonify({"query": result.query, "hits": [h.to_dict() for h in result.hits],
                    "facets": result.facets})


@api.get("/api/reports")
def reports():
    return jsonify({"reports": [_report(r) for r in index().catalog.reports()]})


@api.get("/api/reports/<report_id>")
def report(report_id: str):
    found = index().catalog.report(report_id)
    if found is None:
        raise NotFound(f"Rapporten {report_id!r} finns inte i arkivet.")
    return jsonify(_report(found))


@api.get("/healthz")
def healthz():
    idx = index()
    reports_n, chunks_n = idx.catalog.counts()
    body = {"status": "ok", "reports": reports_n, "chunks": chunks_n, "model": idx.embedder.name,
            "lexical": idx.catalog.lexical_count(), "writable": os.access(idx.config.data_dir, os.W_OK)}
    try:
        body["vectors"] = idx.vectors.count()
    except StoreUnavailable:
        body.update(status="degraded", vectors=None)
        return jsonify(body), 503
    return jsonify(body)


def _report(r) -> dict:
    m = r.meta
    return {"id": r.id, "title": m.title, "kommun": m.kommun, "year": m.year, "date": m.date,
            "firm": m.firm, "doc_type": m.doc_type, "audited_body": m.audited_body,
            "chunks": r.chunk_count, "format": r.format, "url": f"/reports/{r.id}"}


@api.app_errorhandler(404)
def route_not_found(exc):
    return respond_error(404, "Adressen finns inte." if request.path.startswith("/api/")
                         else "Sidan finns inte.")


@api.app_errorhandler(405)
def method_not_allowed(exc):
    return respond_error(405, "Metoden stöds inte här.")
