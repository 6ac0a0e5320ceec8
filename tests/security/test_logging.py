"""One log line per request (id, method, path, status, ms) with no query text or address;
unhandled errors logged with the request id and shown without a traceback."""

from __future__ import annotations

import logging
import re

import pytest

from tests.conftest import CORPUS
from tests.kb_process import KbServer, kb_env, run_kb
from tests.security.conftest import app_over

SECRET = "hemligfråga 19121212-1212"
LINE = re.compile(r"^(?P<id>\S+) (?P<method>[A-Z]+) (?P<path>\S+) (?P<status>\d{3}) (?P<ms>[\d.]+)ms$")


def _lines(caplog) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "granskningsarkivet.web"]


def test_each_request_is_logged_without_query_text_or_address(hclient, caplog):
    caplog.set_level(logging.INFO, logger="granskningsarkivet.web")
    hclient.get("/api/search", query_string={"q": SECRET}, headers={"X-Request-Id": "req-42"},
                environ_overrides={"REMOTE_ADDR": "203.0.113.7"})
    lines = _lines(caplog)
    match = [LINE.match(line) for line in lines if line.startswith("req-42 ")]
    assert match and match[0]["method"] == "GET" and match[0]["path"] == "/api/search"
    assert match[0]["status"] == "200" and float(match[0]["ms"]) > 0
    text = "\n".join(lines)
    assert "hemlig" not in text and "19121212" not in text and "203.0.113.7" not in text


def test_control_characters_in_paths_cannot_forge_log_lines(hclient, caplog):
    caplog.set_level(logging.INFO, logger="granskningsarkivet.web")
    hclient.get("/reports/x%0aFORGED 200 1.0ms%0d")
    assert all("\n" not in line and "\r" not in line for line in _lines(caplog))


@pytest.fixture
def crashing_client(hostile_index):
    app = app_over(hostile_index, TESTING=False)  # real 500s

    def boom():
        raise RuntimeError(f"hemlig detalj {SECRET}")

    app.add_url_rule("/boom", view_func=boom)
    app.add_url_rule("/api/boom", view_func=boom, endpoint="api_boom")
    return app.test_client()


@pytest.mark.parametrize("path", ["/boom", "/api/boom"])
def test_an_unhandled_error_is_logged_with_its_request_id_and_hidden_from_the_user(crashing_client, caplog, path):
    caplog.set_level(logging.INFO, logger="granskningsarkivet.web")
    response = crashing_client.get(path, headers={"X-Request-Id": "req-500"})
    assert response.status_code == 500
    body = response.get_data(as_text=True)
    assert "req-500" in body  # the user can quote it
    assert "Traceback" not in body and "hemlig" not in body and "RuntimeError" not in body
    if path.startswith("/api/"):
        assert response.get_json()["status"] == 500
    else:
        assert '<html lang="sv">' in body
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].name == "granskningsarkivet.web"  # logged once, by us
    assert "req-500" in errors[0].getMessage() and errors[0].exc_info


@pytest.mark.slow
def test_kb_serve_logs_requests_to_stderr(tmp_path):
    env = kb_env(tmp_path / "data")
    assert run_kb("ingest", "--quiet", str(CORPUS / "orsa-2015-resurscentrum.txt"), env=env).returncode == 0
    with KbServer(env, tmp_path / "serve.log") as server:
        status, body = server.get("/api/search?q=" + "hemlighet%20kontroll")
        assert status == 200 and body["hits"]
    log = server.log()
    assert re.search(r"INFO granskningsarkivet\.web \S+ GET /api/search 200 [\d.]+ms", log), log
    assert "hemlighet" not in log and "127.0.0.1 -" not in log
