"""Errors as the user meets them: JSON under /api/, a Swedish page elsewhere, never a traceback."""

from __future__ import annotations

import logging

from flask import Flask, g, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError, RequestEntityTooLarge

from kb.errors import StoreUnavailable

log = logging.getLogger("granskningsarkivet.web")

UNAVAILABLE = "Sökindexet är inte tillgängligt just nu. Försök igen om en stund."
TOO_LARGE = "Förfrågan är för stor."
INTERNAL = "Något gick fel hos oss. Felet är loggat; ange felkod {request_id} om du hör av dig."


def json_error(status: int, message: str):
    """The API's error body: {"error": message, "status": status}."""
    response = jsonify({"error": message, "status": status})
    response.status_code = status
    return response


def error_page(status: int, message: str):
    """The site's error page, in Swedish, with the status code."""
    return render_template("error.html", status=status, message=message), status


def respond_error(status: int, message: str):
    """JSON for the API and the health check, a page for everything else."""
    if request.path.startswith("/api/") or request.path == "/healthz":
        return json_error(status, message)
    return error_page(status, message)


def install_error_handlers(app: Flask) -> None:
    """App-wide handlers for what no blueprint catches: a store that is down, a body that is
    too large, and any bug (logged with the request id, shown without details)."""

    @app.errorhandler(StoreUnavailable)
    def store_unavailable(exc: StoreUnavailable):
        log.warning("%s store unavailable: %s", g.get("request_id", "-"), exc)
        return respond_error(503, UNAVAILABLE)

    @app.errorhandler(RequestEntityTooLarge)
    def too_large(exc: RequestEntityTooLarge):
        return respond_error(413, TOO_LARGE)

    @app.errorhandler(Exception)
    def unhandled(exc: Exception):
        """A bug: logged once, here, with the request id and traceback; the user sees neither."""
        if app.testing:
            raise exc  # tests see the real exception
        return _internal(exc)

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        return _internal(getattr(exc, "original_exception", None) or exc)

    @app.errorhandler(HTTPException)
    def other_http_error(exc: HTTPException):
        """Any other HTTP error (400 from a malformed request, 431, ...): same shape as ours."""
        return respond_error(exc.code or 500, "Förfrågan kunde inte behandlas.")


def _internal(exc: BaseException):
    request_id = g.get("request_id", "-")
    log.error("%s unhandled %s on %s %s", request_id, type(exc).__name__, request.method,
              request.path[:200], exc_info=exc)
    return respond_error(500, INTERNAL.format(request_id=request_id))
