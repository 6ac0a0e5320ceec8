"""CSRF protection for the site's forms: a per-session token in a hidden field on every POST."""

from __future__ import annotations

import hmac
import secrets

from flask import Flask, request, session

from web.errors import error_page

FIELD = "csrf_token"
UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


def csrf_token() -> str:
    """This session's token, made on first use."""
    if FIELD not in session:
        session[FIELD] = secrets.token_urlsafe(32)
    return session[FIELD]


def install_csrf(app: Flask) -> None:
    """Refuse unsafe requests to the pages without the session's token; the API authenticates by header."""
    app.jinja_env.globals["csrf_token"] = csrf_token

    @app.before_request
    def check_csrf():
        if (request.method not in UNSAFE_METHODS or request.path.startswith("/api/")
                or request.routing_exception is not None):  # an unknown route or method: let 404/405 answer
            return None
        expected = session.get(FIELD, "")
        given = request.form.get(FIELD, "")
        if not expected or not hmac.compare_digest(expected.encode(), given.encode()):
            return error_page(400, "Formuläret har gått ut eller kom från en annan sida. Ladda om sidan "
                                   "och försök igen.")
        return None
