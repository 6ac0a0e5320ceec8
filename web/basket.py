"""The underlag: passages an auditor gathers, kept as chunk ids in the signed session cookie.

Works without JavaScript: every change is a POST form (with the CSRF token) that redirects back.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Blueprint, Response, current_app, redirect, render_template, request, session

from kb.export import to_csv, to_markdown
from kb.models import Hit
from kb.search import cite
from web.errors import error_page
from web.params import index

basket = Blueprint("basket", __name__)

KEY = "underlag"
MAX_ITEMS = 50  # a session cookie holds about 4 KB; 50 ids fit with room to spare


def chunk_ids() -> list[str]:
    return list(session.get(KEY, []))


@basket.app_template_global()
def in_basket(chunk_id: str) -> bool:
    return chunk_id in session.get(KEY, [])


@basket.app_template_global()
def basket_size() -> int:
    return len(session.get(KEY, []))


def resolve(ids: list[str]) -> list[tuple[str, Hit | None]]:
    """Each id with its passage as a citable hit, or None when the passage no longer exists."""
    catalog = index().catalog
    chunks = catalog.chunks_by_id(ids)
    reports = {cid: catalog.report(chunk.report_id) for cid, chunk in chunks.items()}
    resolved = []
    for n, cid in enumerate(ids, start=1):
        chunk, report = chunks.get(cid), reports.get(cid)
        resolved.append((cid, cite(chunk, report, n) if chunk and report else None))
    return resolved


def _back(default: str = "/underlag"):
    """Redirect to the page the form came from; only paths on this site, never another host."""
    target = request.form.get("next", "")
    return redirect(target if _on_this_site(target) else default, code=303)


def _on_this_site(target: str) -> bool:
    """A path on this site, and nothing a browser could read as another host: browsers drop tabs and
    line breaks from a URL ("/\t/evil.example" becomes "//evil.example") and read "\\" as "/"; a line
    break would also break the Location header."""
    if not target.startswith("/") or "\\" in target or any(c.isspace() or not c.isprintable() for c in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and not target.startswith("//")


def _bad(message: str):
    return error_page(400, message)


def _valid_id(chunk_id: str) -> bool:
    return 0 < len(chunk_id) <= 128 and all(c in "0123456789abcdef" for c in chunk_id)


@basket.post("/underlag/add")
def add():
    chunk_id = request.form.get("chunk_id", "")
    if not _valid_id(chunk_id):
        return _bad("Ogiltigt stycke.")
    ids = chunk_ids()
    if request.form.get("action") == "remove":
        ids = [i for i in ids if i != chunk_id]
    elif chunk_id not in ids:
        if not index().catalog.chunks_by_id([chunk_id]):
            return error_page(404, "Stycket finns inte i arkivet.")
        if len(ids) >= MAX_ITEMS:
            return _bad(f"Underlaget är fullt (högst {MAX_ITEMS} stycken). Exportera och töm det först.")
        ids.append(chunk_id)
    session[KEY] = ids
    return _back()


@basket.post("/underlag/change")
def change():
    """Move an item up or down, remove it, or empty the whole underlag."""
    action, chunk_id, ids = request.form.get("action", ""), request.form.get("chunk_id", ""), chunk_ids()
    if action == "clear":
        ids = []
    elif action not in ("up", "down", "remove") or chunk_id not in ids:
        return _bad("Okänd ändring av underlaget.")
    elif action == "remove":
        ids.remove(chunk_id)
    else:
        i = ids.index(chunk_id)
        j = i - 1 if action == "up" else i + 1
        if 0 <= j < len(ids):
            ids[i], ids[j] = ids[j], ids[i]
    session[KEY] = ids
    return _back()


@basket.get("/underlag")
def basket_page():
    return render_template("basket.html", items=resolve(chunk_ids()))


@basket.get("/underlag/underlag.<fmt>")
def export(fmt: str):
    items = resolve(chunk_ids())
    hits = [hit for _, hit in items if hit is not None]
    base = current_app.extensions["kb.config"].site_url or request.host_url  # behind a proxy, the public address
    if fmt == "md":
        body = to_markdown(hits, base_url=base, missing=len(items) - len(hits))
        content_type = "text/markdown; charset=utf-8"
    elif fmt == "csv":
        body, content_type = to_csv(hits, base_url=base), "text/csv; charset=utf-8"
    else:
        return error_page(404, "Exportformatet finns inte (md eller csv).")
    return Response(body, content_type=content_type,  # as given: a mimetype would get a second charset
                    headers={"Content-Disposition": f'attachment; filename="underlag.{fmt}"'})
