"""The Flask site: a factory, a pages blueprint and a JSON API blueprint."""

from __future__ import annotations

import logging
import os
import secrets
import time
import uuid
from pathlib import Path

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
    app.config.update(MAX_CONTENT_LENGTH=60_000_000, JSON_SORT_KEYS=False,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_HTTPONLY=True)
    config = config or Config.from_env()
    app.config["SECRET_KEY"] = config.secret_key or _persisted_secret(config.data_dir / "secret_key")
    if test_config:
        app.config.update(test_config)
    index = index or Index.open(config)
    app.extensions["kb.index"] = index
    app.extensions["kb.searcher"] = Searcher(index)
    app.extensions["kb.config"] = config

    from web.api import api
    from web.basket import basket
    from web.csrf import install_csrf
    from web.pages import pages
    from web.upload import admin
    from web.workflows import workflows

    for blueprint in (pages, api, workflows, basket, admin):
        app.register_blueprint(blueprint)
    install_csrf(app)
    _install_request_hooks(app)
    return app


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
