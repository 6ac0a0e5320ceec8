"""The Flask site: a factory, a pages blueprint and a JSON API blueprint."""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
import time
import uuid
from pathlib import Path

from flask import Flask, abort, g, request

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
    app.config.update(MAX_CONTENT_LENGTH=60_000_000, JSON_SORT_KEYS=False,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)
    config = config or Config.from_env()
    app.config["SECRET_KEY"] = config.secret_key or _persisted_secret(config.data_dir / "secret_key")
    if test_config:
        app.config.update(test_config)
    index = index or Index.open(config)
    index.lexical.build_in_background = True  # uploads and other processes' ingests make it stale
    app.extensions["kb.index"] = index
    app.extensions["kb.searcher"] = Searcher(index)
    app.extensions["kb.config"] = config

    from web.api import api
    from web.basket import basket
    from web.csrf import install_csrf
    from web.errors import install_error_handlers
    from web.openapi import openapi
    from web.pages import pages
    from web.upload import admin
    from web.workflows import workflows

    for blueprint in (pages, api, openapi, workflows, basket, admin):
        app.register_blueprint(blueprint)
    install_error_handlers(app)
    install_csrf(app)
    _install_request_hooks(app)
    return app


def configure_logging(level: int = logging.INFO) -> None:
    """One line per request and every unhandled error, to stderr (what `kb serve` uses)."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
    root = logging.getLogger("granskningsarkivet")
    root.handlers[:] = [handler]
    root.setLevel(level)
    root.propagate = False


_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{1,64}")
_UNPRINTABLE = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")


def _request_id() -> str:
    """The caller's X-Request-Id if it is a plain token (never echo markup or line breaks)."""
    given = request.headers.get("X-Request-Id", "")
    return given if _REQUEST_ID.fullmatch(given) else uuid.uuid4().hex[:12]


def _loggable(path: str) -> str:
    """The path as one safe log line: no control characters, bounded; never the query string."""
    return _UNPRINTABLE.sub("?", path)[:200]


def _persisted_secret(path: Path) -> str:
    """The session-signing key kept in the data dir, made on first run (KB_SECRET_KEY overrides)."""
    if not path.is_file():
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_name(f".{path.name}.{os.getpid()}")
        partial.write_text(secrets.token_hex(32))
        partial.chmod(0o600)
        try:
            os.link(partial, path)  # atomic and never overwrites: two processes starting together agree
        except FileExistsError:
            pass
        finally:
            partial.unlink()
    return path.read_text().strip()


def _install_request_hooks(app: Flask) -> None:
    @app.before_request
    def start_timer() -> None:
        g.request_id = _request_id()
        g.started = time.perf_counter()
        limit = app.config.get("MAX_CONTENT_LENGTH")
        if limit is not None and (request.content_length or 0) > limit:
            abort(413)  # refused before anything reads the body, whatever the route

    @app.after_request
    def finish(response):
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        response.headers["X-Request-Id"] = g.get("request_id", "")
        elapsed = (time.perf_counter() - g.get("started", time.perf_counter())) * 1000
        log.info("%s %s %s %d %.1fms", g.get("request_id", "-"), request.method,
                 _loggable(request.path), response.status_code, elapsed)
        return response
