"""Adding a report from the site: admin token only, saved under data_dir/uploads, ingested in the background.

Without KB_ADMIN_TOKEN the feature is off and every route here answers 404.
"""

from __future__ import annotations

import hmac
import json
import logging
import threading
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, redirect, render_template, request, url_for
from werkzeug.datastructures import FileStorage
from werkzeug.utils import secure_filename

from ingest.pipeline import SUFFIXES
from web.errors import error_page, json_error
from web.params import index

admin = Blueprint("admin", __name__)
log = logging.getLogger("granskningsarkivet.upload")

ALLOWED = SUFFIXES  # the same file types as `kb ingest`
MAX_JOBS = 200
DONE = {"added", "updated", "unchanged", "duplicate", "failed"}
STATUS_LABELS = {"queued": "I kö", "running": "Läses in", "added": "Tillagd", "updated": "Uppdaterad",
                 "unchanged": "Oförändrad (redan inläst)", "duplicate": "Dubblett av en befintlig rapport",
                 "failed": "Misslyckades"}


@dataclass
class Job:
    id: str
    file_name: str  # as saved, sanitised
    original_name: str  # as the user's computer called it
    status: str = "queued"
    message: str = ""
    report_id: str | None = None
    created: float = 0.0
    warnings: list[str] = field(default_factory=list)  # what ingest noticed, in Swedish (`kb ingest` prints the same)

    @property
    def done(self) -> bool:
        return self.status in DONE


class Jobs:
    """In-memory job registry; one ingest at a time, so the index sees a single writer."""

    def __init__(self) -> None:
        self._jobs: dict[str, Job] = {}
        self._lock = threading.Lock()
        self._ingest_lock = threading.Lock()
        self._threads: list[threading.Thread] = []

    def wait(self, timeout: float = 60.0) -> bool:
        """Wait for every started ingest to end, so whoever closes the index after (a test, a
        shutdown) never closes it under a running one; False if one still runs after `timeout`."""
        deadline = time.monotonic() + timeout
        for thread in list(self._threads):
            thread.join(max(0.0, deadline - time.monotonic()))
        return not any(t.is_alive() for t in self._threads)

    def get(self, job_id: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job_id)

    def start(self, idx, path: Path, original_name: str) -> Job:
        job = Job(uuid.uuid4().hex, path.name, original_name, created=time.time())
        with self._lock:
            finished = [j.id for j in self._jobs.values() if j.done]
            for old in finished[: max(0, len(self._jobs) - MAX_JOBS)]:
                del self._jobs[old]  # keep memory bounded; the oldest finished jobs go first
            self._jobs[job.id] = job
        thread = threading.Thread(target=self._run, args=(idx, job, path), daemon=True, name=f"ingest-{job.id[:8]}")
        with self._lock:
            self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        thread.start()
        return job

    def _run(self, idx, job: Job, path: Path) -> None:
        from ingest.pipeline import Pipeline

        with self._ingest_lock:
            job.status = "running"
            try:
                idx.record_model()
                outcome = Pipeline(idx).ingest_file(path)
                job.report_id, job.message, job.warnings = outcome.report_id, outcome.message, list(outcome.warnings)
                job.status = outcome.status
            except Exception as exc:  # noqa: BLE001 - a job must end, and say why
                log.exception("upload job %s failed", job.id)
                job.message = f"Oväntat fel vid inläsningen: {exc}"
                job.status = "failed"


def jobs() -> Jobs:
    return current_app.extensions.setdefault("kb.jobs", Jobs())


def _admin_token() -> str:
    token = index().config.admin_token
    if not token:
        abort(404)
    return token


def _token_ok(given: str) -> bool:
    return hmac.compare_digest(_admin_token().encode(), given.encode())


def _save(upload: FileStorage) -> tuple[Path, str]:
    """Store the upload under a sanitised name; the original name goes in a sidecar .json."""
    original = (upload.filename or "").strip()
    name = secure_filename(original)
    if not name or Path(name).suffix.lower() not in ALLOWED:
        raise ValueError("Välj en fil av typen PDF, Markdown (.md) eller text (.txt).")
    folder = index().config.data_dir / "uploads"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    upload.save(path)
    path.with_name(path.name + ".json").write_text(
        json.dumps({"original_name": original, "uploaded_at": time.strftime("%Y-%m-%dT%H:%M:%S")},
                   ensure_ascii=False))
    return path, original


@admin.get("/admin/upload")
def upload_form():
    _admin_token()
    return render_template("upload.html", allowed=sorted(ALLOWED), errors={}, file_name="")


def _accept(token: str) -> tuple[Job | None, int, str]:
    """Check the token, save the file and start its job; or the status and message of a refusal."""
    if not _token_ok(token):
        return None, 403, "Fel eller saknad administratörsnyckel."
    upload_file = request.files.get("file")
    if upload_file is None:
        return None, 400, "Välj en fil att lägga till (fältet file)."
    try:
        path, original = _save(upload_file)
    except ValueError as exc:
        return None, 400, str(exc)
    return jobs().start(index(), path, original), 202, ""


@admin.post("/admin/upload")
def upload():
    _admin_token()
    job, status, message = _accept(request.form.get("token", ""))
    if job is None:  # the form again, the message at the field it is about; a browser never refills a file
        field_name = "token" if status == 403 else "file"
        return render_template("upload.html", allowed=sorted(ALLOWED), errors={field_name: message},
                               file_name=(request.files.get("file") or FileStorage()).filename or ""), status
    return redirect(url_for("admin.job_page", job_id=job.id), code=303)


JOB_GONE = "Jobbet finns inte (servern kan ha startats om)."


def _job(job_id: str) -> Job | None:
    _admin_token()
    return jobs().get(job_id)


@admin.get("/admin/jobs/<job_id>")
def job_page(job_id: str):
    if (job := _job(job_id)) is None:
        return error_page(404, JOB_GONE)
    job = replace(job, warnings=list(job.warnings))  # one moment's state: the ingest thread moves on meanwhile
    return render_template("job.html", job=job, label=STATUS_LABELS.get(job.status, job.status))


def _job_json(job: Job) -> dict:
    return {**asdict(job), "done": job.done, "label": STATUS_LABELS.get(job.status, job.status),
            "url": f"/api/admin/jobs/{job.id}",
            "report_url": f"/reports/{job.report_id}" if job.report_id and job.done else None}


@admin.post("/api/admin/reports")
def api_upload():
    _admin_token()
    auth = request.headers.get("Authorization", "")
    job, status, message = _accept(auth.removeprefix("Bearer ").strip() if auth.startswith("Bearer ") else "")
    if job is None:
        return json_error(status, message)
    return jsonify(_job_json(job)), 202


@admin.get("/api/admin/jobs/<job_id>")
def api_job(job_id: str):
    if (job := _job(job_id)) is None:
        return json_error(404, JOB_GONE)
    return jsonify(_job_json(job))
