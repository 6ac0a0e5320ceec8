"""Faults: an ingest killed midway, searches during an ingest, a Chroma server that goes away,
a read-only or full disk. Each leaves a consistent index and a clear message."""

from __future__ import annotations

import contextlib
import shutil
import signal
import subprocess
import threading
from pathlib import Path

import pytest

from kb.index import Index
from kb.search import Searcher
from tests.chroma_server import ChromaServer
from tests.conftest import CORPUS, ingest_folder, make_config
from tests.kb_process import REPO, kb_argv, kb_env, run_kb

pytestmark = pytest.mark.slow


def make_copies(folder: Path, times: int) -> Path:
    """The corpus `times` over, each copy under its own name and with its own content."""
    folder.mkdir(parents=True)
    for n in range(times):
        for source in sorted(CORPUS.glob("*.txt")):
            text = source.read_text(encoding="utf-8")
            (folder / f"kopia{n:03d}-{source.name}").write_text(
                f"Kopia {n} av {source.stem}\n\n{text}\nBilaga {n}: rapporten granskades igen år {2000 + n}.\n",
                encoding="utf-8")
    return folder


def state(data_dir: Path, chroma_url: str | None = None) -> dict:
    """What an index holds, from all three stores, and whether they agree."""
    index = Index.open(make_config(data_dir.parent, data_dir=data_dir, chroma_url=chroma_url))
    try:
        catalog = index.catalog.chunk_ids()
        lexical = index.lexical.chunk_ids()
        vectors = index.vectors.ids()
        rows = index.catalog._query("SELECT count(*), count(DISTINCT id) FROM chunks")[0]
        reports = {r.id: r.chunk_count for r in index.catalog.reports()}
        return {"catalog": catalog, "lexical": lexical, "vectors": vectors, "reports": reports,
                "vector_count": index.vectors.count(), "rows": tuple(rows)}
    finally:
        index.close()


def assert_catalog_whole(s: dict) -> None:
    """After a failed write: catalog and lexical agree; vectors upserted for a report whose
    catalog write failed are orphans that search ignores and the next run deletes."""
    assert s["catalog"] == s["lexical"] and s["catalog"] <= s["vectors"]
    assert s["rows"][0] == s["rows"][1] and sum(s["reports"].values()) == len(s["catalog"])


def assert_consistent(s: dict) -> None:
    assert s["catalog"] == s["lexical"] == s["vectors"], "stores disagree"
    assert s["vector_count"] == len(s["vectors"]) == s["rows"][0] == s["rows"][1], "duplicates"
    assert sum(s["reports"].values()) == len(s["catalog"]), "orphan chunks"


def test_an_ingest_killed_midway_resumes_to_the_same_index_as_a_clean_run(tmp_path):
    folder = make_copies(tmp_path / "reports", 30)
    total = len(list(folder.glob("*.txt")))
    clean = tmp_path / "clean"
    done = run_kb("ingest", "--quiet", str(folder), env=kb_env(clean))
    assert done.returncode == 0, done.stderr[-2000:]

    killed = tmp_path / "killed"
    process = subprocess.Popen(kb_argv("ingest", str(folder)), env=kb_env(killed), cwd=REPO,
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    seen = 0
    for line in process.stderr:  # one "NY  <path>" line per added file
        seen += line.startswith("NY ")
        if seen >= total // 3:
            process.send_signal(signal.SIGKILL)
            break
    process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    partial = state(killed)
    assert 0 < len(partial["reports"]) < total  # really killed midway

    resumed = run_kb("ingest", "--quiet", str(folder), env=kb_env(killed))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert "oförändrade" in resumed.stdout
    after, reference = state(killed), state(clean)
    assert_consistent(after)
    assert_consistent(reference)
    assert after["catalog"] == reference["catalog"] and after["reports"] == reference["reports"]
    assert len(after["reports"]) == total


def test_searches_during_an_ingest_always_get_answers(tmp_path):
    from ingest.pipeline import Pipeline
    from web import create_app

    folder = make_copies(tmp_path / "reports", 4)
    index = Index.open(make_config(tmp_path))
    ingest_folder(index, CORPUS / "orsa-2015-resurscentrum.txt")
    app = create_app({"TESTING": True}, config=index.config, index=index)
    searcher = Searcher(index)
    failures: list[str] = []
    answered = [0]
    stop = threading.Event()

    def hammer_searcher(seed: int) -> None:
        queries = ["intern kontroll", "försörjningsstöd", "samverkan Arbetsförmedlingen", "Resurscentrum mål"]
        while not stop.is_set():
            try:
                assert searcher.search(queries[seed % 4], k=10).hits
                answered[0] += 1
            except Exception as exc:  # noqa: BLE001 - any error is the finding
                failures.append(f"searcher: {exc!r}")
            seed += 1

    def hammer_site() -> None:
        client = app.test_client()
        while not stop.is_set():
            for url in ("/api/search?q=kontroll", "/?q=uppf%C3%B6ljning", "/api/reports", "/healthz",
                        "/reports/orsa-2015-resurscentrum"):
                response = client.get(url)
                if response.status_code != 200:
                    failures.append(f"{url}: {response.status_code}")
                answered[0] += 1

    threads = [threading.Thread(target=hammer_searcher, args=(i,)) for i in range(3)]
    threads += [threading.Thread(target=hammer_site) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        summary = Pipeline(index).run([folder])
    finally:
        stop.set()
        for t in threads:
            t.join(timeout=60)
    assert not summary.failed
    assert failures == [], failures[:5]
    assert answered[0] > 20
    assert_consistent(state(index.config.data_dir))
    index.close()


def test_a_chroma_server_that_goes_away_is_a_503_and_the_site_recovers(tmp_path):
    from web import create_app

    server = ChromaServer(tmp_path / "server").start()
    try:
        index = Index.open(make_config(tmp_path, chroma_url=server.url))
        ingest_folder(index, CORPUS / "orsa-2015-resurscentrum.txt")
        client = create_app({"TESTING": True}, config=index.config, index=index).test_client()
        assert client.get("/api/search?q=Resurscentrum").status_code == 200
        assert client.get("/healthz").get_json()["status"] == "ok"
        server.stop()

        api = client.get("/api/search?q=Resurscentrum")
        assert api.status_code == 503 and "inte tillgängligt" in api.get_json()["error"]
        page = client.get("/?q=Resurscentrum")
        assert page.status_code == 503 and "inte tillgängligt" in page.get_data(as_text=True)
        assert "Traceback" not in page.get_data(as_text=True)
        health = client.get("/healthz")
        assert health.status_code == 503 and health.get_json()["status"] == "degraded"
        assert client.get("/reports/orsa-2015-resurscentrum").status_code == 200  # the catalog still serves
        assert client.get("/api/reports").status_code == 200

        server = ChromaServer(tmp_path / "server", port=server.port).start()
        assert client.get("/api/search?q=Resurscentrum").status_code == 200
        assert client.get("/?q=Resurscentrum").status_code == 200
        assert client.get("/healthz").get_json()["status"] == "ok"
        index.close()
    finally:
        server.stop()


def test_a_chroma_server_that_is_down_is_a_clear_cli_error(tmp_path):
    from tests.chroma_server import free_port

    env = kb_env(tmp_path / "data", chroma_url=f"http://127.0.0.1:{free_port()}")
    result = run_kb("search", "kontroll", env=env, timeout=120)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr and "Error:" in result.stderr


@contextlib.contextmanager
def mounted(target: Path, *options: str):
    """`mount` for a test (we run as root); skips where mounting is not allowed."""
    target.mkdir(parents=True, exist_ok=True)
    done = subprocess.run(["mount", *options, str(target)], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        pytest.skip(f"cannot mount here: {done.stderr.strip()}")
    try:
        yield target
    finally:
        subprocess.run(["umount", "-l", str(target)], check=False)


def test_a_read_only_data_dir_is_a_clear_error_and_changes_nothing(tmp_path):
    data = tmp_path / "data"
    env = kb_env(data)
    assert run_kb("ingest", "--quiet", str(CORPUS / "orsa-2015-resurscentrum.txt"), env=env).returncode == 0
    before = state(data)
    with mounted(data, "--bind", str(data)):
        subprocess.run(["mount", "-o", "remount,bind,ro", str(data)], check=True)
        result = run_kb("ingest", str(CORPUS), env=env)
        assert result.returncode != 0
        assert "kan inte skrivas" in result.stderr, result.stderr[-2000:]
        assert "Traceback" not in result.stderr
    after = state(data)
    assert after == before
    assert_consistent(after)


def test_a_full_disk_is_a_clear_error_and_a_rerun_with_space_completes(tmp_path):
    folder = make_copies(tmp_path / "reports", 6)
    data = tmp_path / "data"
    env = kb_env(data)
    with mounted(data, "-t", "tmpfs", "-o", "size=3m", "tmpfs"):
        result = run_kb("ingest", str(folder), env=env)
        assert result.returncode != 0
        assert "kan inte skrivas" in result.stderr, result.stderr[-3000:]
        assert "Traceback" not in result.stderr
        subprocess.run(["mount", "-o", "remount,size=200m", str(data)], check=True)
        assert_catalog_whole(state(data))
        rerun = run_kb("ingest", "--quiet", str(folder), env=env)
        assert rerun.returncode == 0, rerun.stderr[-2000:]
        final = state(data)
        assert_consistent(final)
        assert len(final["reports"]) == len(list(folder.glob("*.txt")))
    shutil.rmtree(data, ignore_errors=True)
