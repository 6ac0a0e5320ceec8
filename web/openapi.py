"""The JSON API described as OpenAPI 3, served at /api/openapi.json; built from the same
constants the code enforces, so the description cannot drift from the limits."""

from __future__ import annotations

from flask import Blueprint, jsonify

from kb.models import DOC_TYPES, SECTION_TYPES, YEARS
from kb.search import MAX_K, MAX_QUERY_CHARS

openapi = Blueprint("openapi", __name__)

_NULLABLE_STR = {"type": "string", "nullable": True}
_NULLABLE_INT = {"type": "integer", "nullable": True}

ERROR = {"type": "object", "required": ["error", "status"],
         "properties": {"error": {"type": "string"}, "status": {"type": "integer"}}}

HIT = {
    "type": "object",
    "required": ["rank", "score", "chunk_id", "report_id", "title", "kommun", "year", "firm",
                 "section", "page", "start", "end", "text", "url", "section_type", "doc_type",
                 "page_end"],
    "properties": {
        "rank": {"type": "integer", "minimum": 1},
        "score": {"type": "number", "description": "The ranking's score, higher first; comparable within one "
                                                   "result list only"},
        "chunk_id": {"type": "string"}, "report_id": {"type": "string"},
        "title": {"type": "string"}, "kommun": _NULLABLE_STR, "year": _NULLABLE_INT,
        "firm": _NULLABLE_STR, "section": {"type": "string"},
        "page": {**_NULLABLE_INT, "description": "The PDF page the passage starts on in earnest (holding a fifth "
                                                 "of it or a few lines): where to open the original"},
        "page_end": {**_NULLABLE_INT, "description": "The passage's last such page; the same as page when it "
                                                     "lies on one page"},
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
        "page_count": {"type": "integer", "minimum": 0, "description": "PDF pages (one report only)"},
        "pages_without_text": {"type": "array", "items": {"type": "integer"},
                               "description": "PDF pages no text was read from (one report only)"},
    },
}

HEALTH = {
    "type": "object", "required": ["status", "reports", "chunks", "model", "vectors"],
    "properties": {
        "status": {"type": "string", "enum": ["ok", "degraded"]},
        "reports": {"type": "integer"}, "chunks": {"type": "integer"}, "model": {"type": "string"},
        "lexical": {"type": "integer"}, "writable": {"type": "boolean"}, "vectors": _NULLABLE_INT,
        "lexical_matrix": {"type": "boolean", "description": "lexical search answered from a current BM25 matrix "
                           "(false while one is being built: FTS5 answers, with the same ranking)"},
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
     "schema": {"type": "integer", "minimum": YEARS[0], "maximum": YEARS[-1]}},
    {"name": "year_to", "in": "query", "required": False,
     "schema": {"type": "integer", "minimum": YEARS[0], "maximum": YEARS[-1]}},
    _list_param("kommun", {"type": "string", "maxLength": 200}, "Only these kommuner"),
    _list_param("firm", {"type": "string", "maxLength": 200}, "Only these audit firms"),
    _list_param("section_type", {"type": "string", "enum": list(SECTION_TYPES)},
                "Only passages of these section types"),
    _list_param("doc_type", {"type": "string", "enum": list(DOC_TYPES)},
                "Only reports of these document types"),
    _list_param("audited_body", {"type": "string", "maxLength": 200}, "Only reports on these bodies"),
    {"name": "group", "in": "query", "required": False, "description": "`report`: also group hits by report",
     "schema": {"type": "string", "enum": ["report"]}},
    {"name": "spell", "in": "query", "required": False,
     "description": "`0`: search the words exactly as typed; by default words the archive does not know are "
                    "corrected (typed without å/ä/ö, or misspelled) and `searched` says what was searched",
     "schema": {"type": "string", "enum": ["0", "1", "true", "false"], "default": "1"}},
]

SEARCH_RESULT = {
    "type": "object", "required": ["query", "hits"],
    "properties": {
        "query": {"type": "string"}, "hits": {"type": "array", "items": {"$ref": "#/components/schemas/Hit"}},
        "searched": {"type": "string", "description": "The query as searched, after spelling correction"},
        "corrections": {"type": "array", "items": {
            "type": "object", "required": ["typed", "corrected"],
            "properties": {"typed": {"type": "string"}, "corrected": {"type": "string"}}}},
        "places_first": {"type": "array", "items": {"type": "string"},
                         "description": "The kommuner and regioner the query names (\"i Ödeshög\"), whose passages "
                                        "are listed first"},
        "words_found": {"type": "boolean",
                        "description": "Whether any word of the query occurs in the archive (within the filters); "
                                       "false: the hits are only passages near in meaning"},
        "groups": {"type": "array", "items": {"type": "object"}},
        "facets": {"type": "object", "additionalProperties": {
            "type": "object", "additionalProperties": {"type": "integer"}}},
    },
}


FINDING = {
    "type": "object",
    "required": ["report_id", "kommun", "year", "firm", "title", "kind", "text", "answer", "chunk_id", "url"],
    "properties": {
        "report_id": {"type": "string"}, "kommun": _NULLABLE_STR, "year": _NULLABLE_INT,
        "firm": _NULLABLE_STR, "title": {"type": "string"},
        "kind": {"type": "string", "enum": ["revisionsfraga", "rekommendation"]},
        "text": {"type": "string"}, "answer": _NULLABLE_STR, "start": {"type": "integer"},
        "end": {"type": "integer"}, "chunk_id": _NULLABLE_STR, "url": {"type": "string"},
    },
}

_NULLABLE_HIT = {"allOf": [{"$ref": "#/components/schemas/Hit"}], "nullable": True}
_FINDINGS = {"type": "array", "items": {"$ref": "#/components/schemas/Finding"}}

COMPARE_RESULT = {
    "type": "object", "required": ["query", "reports"],
    "properties": {"query": {"type": "string"},
                   "searched": {"type": "string", "description": "The topic as compared, after spelling correction"},
                   "reports": {"type": "array", "items": {
        "type": "object",
        "required": ["report_id", "kommun", "year", "firm", "best", "bedomning", "answers", "rekommendationer"],
        "properties": {"report_id": {"type": "string"}, "kommun": _NULLABLE_STR, "year": _NULLABLE_INT,
                       "firm": _NULLABLE_STR, "best": _NULLABLE_HIT, "bedomning": _NULLABLE_HIT,
                       "crowded_out": {"type": "boolean", "description": (
                           "The topic's candidates held none of its passages; `best` is from a search of "
                           "its kommun, whose score does not compare with the others: listed after them")},
                       "answers": _FINDINGS, "rekommendationer": _FINDINGS}}},
                   "without_passage": {
                       "type": "array", "description": "Reports with no passage on the topic: not compared",
                       "items": {"type": "object", "required": ["report_id", "kommun", "year", "title", "url"],
                                 "properties": {"report_id": {"type": "string"}, "kommun": _NULLABLE_STR,
                                                "year": _NULLABLE_INT, "firm": _NULLABLE_STR,
                                                "title": {"type": "string"}, "url": {"type": "string"}}}}},
}

JOB = {
    "type": "object", "required": ["id", "status", "done", "url"],
    "properties": {"id": {"type": "string"}, "file_name": {"type": "string"},
                   "original_name": {"type": "string"}, "status": {"type": "string"},
                   "message": {"type": "string"}, "label": {"type": "string", "description": "The status in Swedish"},
                   "report_id": _NULLABLE_STR,
                   "created": {"type": "number"}, "done": {"type": "boolean"}, "url": {"type": "string"},
                   "warnings": {"type": "array", "items": {"type": "string"},
                                "description": "What ingest noticed, in Swedish (pages without a text layer)"},
                   "report_url": _NULLABLE_STR},
}

_CHUNK_ID = {"name": "chunk_id", "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 1, "maxLength": 200}}
_ADMIN_TEXT = "Adding reports: only when KB_ADMIN_TOKEN is set (404 otherwise), with `Authorization: Bearer`."


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
            "/api/similar/{chunk_id}": {"get": {
                "summary": "Passages like a given one (liknande avsnitt)", "operationId": "similar",
                "parameters": [_CHUNK_ID, *[p for p in SEARCH_PARAMS if p["name"] not in ("q", "spell", "group")],
                               {"name": "same_report", "in": "query", "required": False,
                                "description": "`1`: passages of the given passage's own report too; by default "
                                               "only other reports'",
                                "schema": {"type": "string", "enum": ["0", "1", "true", "false"], "default": "0"}}],
                "responses": {"200": _json({"type": "object", "required": ["chunk_id", "hits"], "properties": {
                    "chunk_id": {"type": "string"}, "hits": SEARCH_RESULT["properties"]["hits"],
                    "facets": SEARCH_RESULT["properties"]["facets"]}}, "Similar passages"),
                    **_errors(400, 404, 413, 503)},
            }},
            "/api/compare": {"get": {
                "summary": "One row per report for a topic: best passage, bedömning, rekommendationer",
                "operationId": "compare",
                "parameters": [SEARCH_PARAMS[0], next(p for p in SEARCH_PARAMS if p["name"] == "spell")],
                "responses": {"200": _json(COMPARE_RESULT, "Reports compared"), **_errors(400, 413, 503)},
            }},
            "/api/register": {"get": {
                "summary": "Extracted revisionsfrågor (with answers) and rekommendationer",
                "operationId": "register",
                "parameters": [
                    {"name": "q", "in": "query", "required": False, "schema": {"type": "string", "maxLength": 200}},
                    _list_param("kommun", {"type": "string", "maxLength": 200}, "Only these kommuner"),
                    {"name": "kind", "in": "query", "required": False,
                     "schema": {"type": "string", "enum": ["revisionsfraga", "rekommendation"]}},
                    {"name": "answer", "in": "query", "required": False,
                     "schema": {"type": "string", "maxLength": 200}},
                ],
                "responses": {"200": _json({"type": "object", "required": ["findings"],
                                            "properties": {"findings": _FINDINGS}}, "Findings"),
                              **_errors(400, 413)},
            }},
            "/api/admin/reports": {"post": {
                "summary": "Add a report (PDF, Markdown, text); ingested in the background",
                "description": _ADMIN_TEXT, "operationId": "upload",
                "requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                    "type": "object", "required": ["file"],
                    "properties": {"file": {"type": "string", "format": "binary"}}}}}},
                "responses": {"202": _json({"$ref": "#/components/schemas/Job"}, "Accepted; poll the job"),
                              "403": _json({"$ref": "#/components/schemas/Error"}, "Wrong or missing token"),
                              **_errors(400, 404, 413)},
            }},
            "/api/admin/jobs/{job_id}": {"get": {
                "summary": "An upload's progress", "description": _ADMIN_TEXT, "operationId": "job",
                "parameters": [{"name": "job_id", "in": "path", "required": True,
                                "schema": {"type": "string", "minLength": 1, "maxLength": 64}}],
                "responses": {"200": _json({"$ref": "#/components/schemas/Job"}, "The job"),
                              **_errors(404, 413)},
            }},
            "/api/openapi.json": {"get": {
                "summary": "This description", "operationId": "openapi",
                "responses": {"200": _json({"type": "object"}, "OpenAPI 3 document")},
            }},
        },
        "components": {"schemas": {"Error": ERROR, "Hit": HIT, "Report": REPORT, "Health": HEALTH,
                                   "Finding": FINDING, "Job": JOB}},
    }


@openapi.get("/api/openapi.json")
def openapi_json():
    return jsonify(spec())
