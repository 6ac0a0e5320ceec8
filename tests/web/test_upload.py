"""Adding a report from the site: admin token, CSRF, background job with progress, limits."""

from __future__ import annotations

import io
import json
import re
import time

import pytest

from kb.index import Index
from tests.conftest import CORPUS, make_config

TOKEN = "ratt-nyckel-123"
REPORT_FILE = CORPUS / "orsa-2015-resurscentrum.txt"


@pytest.fixture
def admin_app(tmp_path):
    from web import create_app

    config = make_config(tmp_path, admin_token=TOKEN)
    index = Index.open(config)
    app = create_app({"TESTING": True, "MAX_CONTENT_LENGTH": 2_000_000}, config=config, index=index)
    yield app
    assert app.extensions.get("kb.jobs") is None or app.extensions["kb.jobs"].wait()  # never close under an ingest
    index.close()


@pytest.fixture
def admin(admin_app):
    return admin_app.test_client()


def _csrf(client) -> str:
    page = client.get("/admin/upload").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def _upload(client, data: bytes, name: str, token: str = TOKEN, csrf: str | None = None):
    form = {"csrf_token": _csrf(client) if csrf is None else csrf, "token": token,
            "file": (io.BytesIO(data), name)}
    return client.post("/admin/upload", data=form, content_type="multipart/form-data")


def _wait(client, job_url: str) -> str:
    for _ in range(300):
        page = client.get(job_url).get_data(as_text=True)
        if 'http-equiv="refresh"' not in page:
            return page
        time.sleep(0.1)
    raise AssertionError("the job did not finish")


def test_upload_ingests_in_the_background_and_keeps_the_original_name(admin, admin_app):
    response = _upload(admin, REPORT_FILE.read_bytes(), "../Orsa rapport 2015.txt")
    assert response.status_code == 303
    job_url = response.headers["Location"]
    assert re.search(r"/admin/jobs/[0-9a-f]{32}$", job_url)
    page = _wait(admin, job_url)
    assert "Tillagd" in page and "Öppna rapporten" in page
    report_id = re.search(r'href="/reports/([^"]+)"', page).group(1)
    assert admin.get(f"/reports/{report_id}").status_code == 200
    uploads = admin_app.extensions["kb.index"].config.data_dir / "uploads"
    assert (uploads / "Orsa_rapport_2015.txt").is_file()
    sidecar = json.loads((uploads / "Orsa_rapport_2015.txt.json").read_text())
    assert sidecar["original_name"] == "../Orsa rapport 2015.txt"


def test_an_unreadable_file_fails_with_a_swedish_message(admin):
    job_url = _upload(admin, b"%PDX inte en pdf" + b"\x00" * 100, "trasig.pdf").headers["Location"]
    page = _wait(admin, job_url)
    main = re.search(r"<main.*</main>", page, re.S).group()
    assert "Misslyckades" in main and "PDF" in main and 'role="alert"' in main, main


def test_job_page_refreshes_while_running_by_polling_or_without_javascript_by_reloading(admin_app, admin):
    from web.upload import Job, jobs

    with admin_app.app_context():
        registry = jobs()
        job = Job("a" * 32, "x.txt", "x.txt", status="running")
        registry._jobs[job.id] = job
    page = admin.get(f"/admin/jobs/{job.id}").get_data(as_text=True)
    assert "Läses in" in page
    # a reload resets a screen reader's place: only without JavaScript; app.js polls the JSON instead
    assert '<noscript><meta http-equiv="refresh" content="2"></noscript>' in page
    assert page.count("http-equiv") == 1
    assert f'class="job-status job-running" data-job-url="/api/admin/jobs/{job.id}">' in page
    assert admin.get(f"/api/admin/jobs/{job.id}").get_json()["label"] == "Läses in"


@pytest.mark.parametrize("kwargs, status", [
    ({"token": "fel"}, 403),
    ({"token": ""}, 403),
    ({"csrf": "fel"}, 400),
    ({"name": "rapport.docx"}, 400),
    ({"name": ""}, 400),
    ({"data": b"x" * 2_100_000}, 413),
])
def test_upload_bad_input(admin, kwargs, status):
    data, name = kwargs.pop("data", b"Granskning av x\n\nText."), kwargs.pop("name", "rapport.txt")
    response = _upload(admin, data, name, **kwargs)
    assert response.status_code == status
    assert 'role="alert"' in response.get_data(as_text=True)


def test_a_wrong_token_shows_the_form_again_with_the_error_at_the_token_field(admin):
    """A wrong token gave an 'Åtkomst nekad' page with only a link to the search: the form was gone."""
    response = _upload(admin, REPORT_FILE.read_bytes(), "Orsa 2015.txt", token="fel")
    page = response.get_data(as_text=True)
    assert response.status_code == 403
    assert '<form class="upload"' in page and 'name="csrf_token"' in page
    assert '<p class="error" id="token-error">Fel eller saknad administratörsnyckel.</p>' in page
    assert 'aria-invalid="true" aria-describedby="token-error" autofocus>' in page
    assert "Välj filen igen (Orsa 2015.txt)" in page and 'aria-describedby="file-hint"' in page
    again = _upload(admin, b"Granskning av x", "rapport.docx")
    assert again.status_code == 400 and 'aria-invalid="true" aria-describedby="file-error file-hint"' in again.get_data(
        as_text=True)
    assert _upload(admin, REPORT_FILE.read_bytes(), "orsa.txt").status_code == 303


def test_api_upload_needs_a_bearer_token(admin):
    file = (REPORT_FILE.read_bytes(), "orsa.txt")

    def post(headers):
        return admin.post("/api/admin/reports", headers=headers, content_type="multipart/form-data",
                          data={"file": (io.BytesIO(file[0]), file[1])})

    assert post({}).status_code == 403
    assert post({"Authorization": "Bearer fel"}).status_code == 403
    response = post({"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 202
    job = response.get_json()
    for _ in range(300):
        job = admin.get(job["url"]).get_json()
        if job["done"]:
            break
        time.sleep(0.1)
    assert job["status"] == "added" and job["original_name"] == "orsa.txt" and job["report_url"]
    assert admin.get("/api/admin/jobs/" + "0" * 32).status_code == 404


def test_without_an_admin_token_the_feature_does_not_exist(tmp_path):
    from web import create_app

    config = make_config(tmp_path)
    index = Index.open(config)
    client = create_app({"TESTING": True}, config=config, index=index).test_client()
    for url in ("/admin/upload", "/admin/jobs/" + "0" * 32, "/api/admin/jobs/x"):
        assert client.get(url).status_code == 404
    assert client.post("/api/admin/reports", headers={"Authorization": "Bearer x"}).status_code == 404
    index.close()


def test_unknown_job_is_404(admin):
    assert admin.get("/admin/jobs/finns-inte").status_code == 404


def test_secret_key_is_made_once_and_kept(tmp_path):
    from web import create_app

    config = make_config(tmp_path)
    index = Index.open(config)
    first = create_app(config=config, index=index).secret_key
    second = create_app(config=config, index=index).secret_key
    assert first == second and len(first) >= 32
    assert (config.data_dir / "secret_key").stat().st_mode & 0o077 == 0
    index.close()


def test_secret_key_from_the_environment_wins(tmp_path):
    from kb.config import Config
    from web import create_app

    config = Config.from_env({"KB_DATA_DIR": str(tmp_path / "data"), "KB_SECRET_KEY": "från-miljön",
                              "KB_MODEL": "hashing-256"})
    index = Index.open(config)
    assert create_app(config=config, index=index).secret_key == "från-miljön"
    assert not (config.data_dir / "secret_key").exists()
    index.close()


@pytest.mark.slow
def test_pages_without_text_are_told_on_the_job_page_the_report_page_and_the_api(tmp_path, shared):
    """SCB-FS-2025-19.pdf has a text layer on page 1 only: `kb ingest` warned of it, the upload job
    said only 'Tillagd', and the report page and its JSON showed 3 passages with no hint of the rest."""
    from web import create_app

    config = make_config(tmp_path, admin_token=TOKEN)
    index = Index.open(config)
    client = create_app({"TESTING": True}, config=config, index=index).test_client()
    pdf = shared / "data/real/pdfs/SCB-FS-2025-19.pdf"
    job_url = _upload(client, pdf.read_bytes(), pdf.name).headers["Location"]
    page = _wait(client, job_url)
    assert "Tillagd" in page and "<li>Sidorna 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 saknar textlager" in page
    job = client.get(job_url.replace("/admin/jobs/", "/api/admin/jobs/")).get_json()
    assert job["warnings"] == ["Sidorna 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12 saknar textlager (skannade bilder?)."]
    report_id = job["report_id"]
    body = client.get(f"/api/reports/{report_id}").get_json()
    assert body["page_count"] == 12 and body["pages_without_text"] == list(range(2, 13))
    shown = client.get(f"/reports/{report_id}").get_data(as_text=True)
    assert "Sidorna 2–12 saknar textlager (skannade bilder?): deras text finns inte här" in shown
    index.close()
