"""The JSON API described as OpenAPI 3, served at /api/openapi.json; built from the same
constants the code enforces, so the description cannot drift from the limits."""

from __future__ import annotations

from flask import Blueprint, jsonify

from kb.models import DOC_TYPES, SECTION_TYPES
from kb.search import MAX_K, MAX_QUERY_CHARS

openapi = Blueprint("openapi", __name__)

_NULLABLE_STR = {"type": "string", "nullable": True}
_NULLABLE_INT = {"type": "integer", "nullable": True}

ERROR = {"type": "object", "required": ["error", "status"],
         "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}}

HIT = {
    "type": "object",
    "required": ["rank", "score", "chunk_id", "report_id", "title", "kommun", "year", "firm",
                 "section", "page", "start", "end", "text", "url", "section_type", "doc_type"],
    "properties": {
        "rank": {"type": "integer", "minimum": 1}, "score": {"type": "number"},
        "chunk_id": {"type": "string"}, "report_id": {"type": "string"},
        "title": {"type": "string"}, "kommun": _NULLABLE_STR, "year": _NULLABLE_INT,
        "firm": _NULLABLE_STR, "section": {"type": "string"}, "page": _NULLABLE_INT,
        "start": {"type": "integer", "minimum": 0}, "end": {"type": "integer", "minimum": 0},
        "text": {"type": "string"}, "url": {"type": "string"},
        "section_type": {"type": "string", "enum": list(SECTION_TYPES)},
        "doc_type": {"type": "string", "enum": list(DOC_TYPES)},
    },
}

REPORT = {
    "type": "object",
    "required": ["id", "title", "kommun", "year", "date", "firm", "doc_type", "audited_body",
                 "chunks", "format", "url"],
    "properties": {
        "id": {"type": "string"}, "title": {"type": "string"}, "kommun": _NULLABLE_STR,
        "year": _NULLABLE_INT, "date": _NULLABLE_STR, "firm": _NULLABLE_STR,
        "doc_type": {"type": "string"}, "audited_body": _NULLABLE_STR,
        "chunks": {"type": "integer", "minimum": 0},
        "format": {"type": "string", "enum": ["pdf", "md", "txt"]}, "url": {"type": "string"},
    },
}

HEALTH = {
    "type": "object", "required": ["status", "reports", "chunks", "model", "vectors"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "reports": {"type": "integer"}, "chunks": {"type": "integer"}, "model": {"type": "string"},
        "lexical": {"type": "integer"}, "writable": {"type": "boolean"}, "vectors": _NULLABLE_INT,
    },
}


def _json(schema: dict, description: str) -> dict:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _errors(*codes: int) -> dict:
    text = {400: "Bad input, with a message in Swedish", 404: "Not in the archive",
            413: "Request too large", 503: "The vector store cannot be reached"}
    return {str(c): _json({"$ref": "#/components/schemas/Error"}, text[c]) for c in codes}


def _list_param(name: str, items: dict, description: str) -> dict:
    return {"name": name, "in": "query", "required": False, "description": description,
            "style": "form", "explode": True,
            "schema": {"type": "array", "maxItems": 50, "items": items}}


SEARCH_PARAMS = [
    {"name": "q", "in": "query", "required": True, "description": "The question, in any words",
     "schema": {"type": "string", "maxLength": MAX_QUERY_CHARS}},
    {"name": "k", "in": "query", "required": False, "description": "How many hits",
     "schema": {"type": "integer", "minimum": 1, "maximum": MAX_K, "default": 10}},
    {"name": "year_from", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1900, "maximum": 2100}},
    {"name": "year_to", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": 1900, "maximum": 2100}},
    _list_param("kommun", {"type": "string", "maxLength": 200}, "Only these kommuner"),
    _list_param("firm", {"type": "string", "maxLength": 200}, "Only these audit firms"),
    _list_param("section_type", {"type": "string", "enum": list(SECTION_TYPES)},
                "Only passages of these section types"),
    _list_param("doc_type", {"type": "string", "enum": list(DOC_TYPES)},
                "Only reports of these document types"),
]

SEARCH_RESULT = {
    "type": "object", "required": ["query", "hits"],
    "properties": {
        "query": {"type": "string"}, "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "facets": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "integer"}}},
    },
}


def spec() -> dict:
    """The OpenAPI 3.0 document of the JSON API."""
    return {
        "openapi": "3.0.3",
        "info": {"title": "Granskningsarkivet API", "version": "1",
                 "description": "Search Swedish municipal audit reports; every hit cites its passage."},
        "paths": {
            "/api/search": {"get": {
                "summary": "Ranked passages with citations", "operationId": "search",
                "parameters": SEARCH_PARAMS,
                "responses": {"200": _json(SEARCH_RESULT, "Hits, best first"), **_errors(400, 413, 503)},
            }},
            "/api/reports": {"get": {
                "summary": "Every report with its metadata", "operationId": "reports",
                "responses": {"200": _json({"type": "object", "required": ["reports"], "properties": {
                    "reports": {"type": "array", "items": {"$ref": "#/components/schemas/Report"}}}},
                    "All reports"), **_errors(413)},
            }},
            "/api/reports/{report_id}": {"get": {
                "summary": "One report's metadata", "operationId": "report",
                "parameters": [{"name": "report_id", "in": "path", "required": True,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 200}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/Report"}, "The report"),
                              **_errors(404, 413)},
            }},
            "/healthz": {"get": {
                "summary": "The index's state", "operationId": "healthz",
                "responses": {"200": _json({"$ref": "#/components/schemas/Health"}, "Healthy"),
                              "503": _json({"$ref": "#/components/schemas/Health"},
                                           "Degraded: the vector store cannot be reached")},
            }},
            "/api/openapi.json": {"get": {
                "summary": "This description", "operationId": "openapi",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3 document")},
            }},
        },
        "components": {"schemas": {"Error": ERROR, "Hit": HIT, "Report": REPORT, "Health": HEALTH}},
    }


@openapi.get("/api/openapi.json")
def openapi_json():
    return jsonify(spec())
