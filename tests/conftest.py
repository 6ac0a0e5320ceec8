"""Shared fixtures: real Chroma in temp dirs, the real model where relevance matters,
the Flask app and test client over the real corpus."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from kb.config import Config
from kb.index import Index

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO / "corpus"


def shared_dir() -> Path:
    """../shared beside the repository (KB_SHARED_DIR overrides)."""
    return Path(os.environ.get("KB_SHARED_DIR") or REPO.parent / "shared")


def pytest_sessionstart(session) -> None:
    """In CI the real test material must be there: tests that need it would otherwise skip."""
    if os.environ.get("CI") and not (shared_dir() / "seeds").is_dir():
        pytest.exit(f"../shared is missing (looked in {shared_dir()}); CI needs the real test material", 3)


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if not path.is_dir():
        pytest.fail(f"../shared is missing: expected it at {path} (set KB_SHARED_DIR)")
    return path


def _cache_dir() -> Path:
    return Config.from_env().cache_dir


def make_config(tmp: Path, **overrides) -> Config:
    """A config with its own data dir; the model cache is shared so conversion happens once."""
    values = {"data_dir": tmp / "data", "cache_dir": _cache_dir(), "model": "hashing-256"}
    values.update(overrides)
    return Config(**values)


def ingest_folder(index: Index, *paths: Path):
    from ingest.pipeline import Pipeline

    return Pipeline(index).run(list(paths))


@pytest.fixture
def fake_index(tmp_path: Path):
    """A fresh index with the deterministic hashing embedder: fast, when the model is not the point."""
    index = Index.open(make_config(tmp_path))
    yield index
    index.close()


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory) -> Path:
    """corpus/ copied, so tests may change files without touching the repository."""
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(CORPUS, target)
    return target


@pytest.fixture(scope="session")
def corpus_index(tmp_path_factory, corpus_copy: Path):
    """The shipped corpus ingested with the real e5 model into real Chroma in a temp dir."""
    config = make_config(tmp_path_factory.mktemp("real"), model="multilingual-e5-small")
    index = Index.open(config)
    summary = ingest_folder(index, corpus_copy)
    assert not summary.failed, [(o.path, o.message) for o in summary.failed]
    yield index
    index.close()


@pytest.fixture(scope="session")
def app(corpus_index):
    from web import create_app

    return create_app({"TESTING": True}, config=corpus_index.config, index=corpus_index)


@pytest.fixture
def client(app):
    return app.test_client()
