"""The Flask site: a factory, a pages blueprint and a JSON API blueprint."""

from __future__ import annotations

import logging
import time
import uuid

from flask import Flask, g, request

from kb.config import Config
from kb.index import Index
from kb.search import Searcher

log = logging.getLogger("granskningsarkivet.web")

SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
}


def create_app(test_config: dict | None = None, *, config: Config | None = None,
               index: Index | None = None) -> Flask:
    """Build the site; one index, model and searcher per process, kept in app.extensions."""
    app = Flask(__name__)
    app.config.update(MAX_CONTENT_LENGTH=60_000_000, JSON_SORT_KEYS=False)
    if test_config:
        app.config.update(test_config)
    config = config or Config.from_env()
    index = index or Index.open(config)
    app.extensions["kb.index"] = index
    app.extensions["kb.searcher"] = Searcher(index)
    app.extensions["kb.config"] = config

    from web.api import api
    from web.pages import pages

    app.register_blueprint(pages)
    app.register_blueprint(api)
    _install_request_hooks(app)
    return app


def _install_request_hooks(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.request_id = request.headers.get("X-Request-Id", "")[:64] or uuid.uuid4().hex[:12]
        g.started = time.perf_counter()

    @app.after_request
    def finish(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Request-Id"] = g.get("request_id", "")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("%s %s %s %d %.1fms", g.get("request_id"), request.method, request.path,
                 response.status_code, elapsed)
        return response
