"""Fixtures for reader tests: where the shared real documents live."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]


def pytest_configure(config: pytest.Config) -> None:
    """Register the marker for tests that take more than a few seconds."""
    config.addinivalue_line("markers", "slow: takes more than about five seconds (OCR, long PDFs)")


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared test material beside the repo; KB_SHARED_DIR overrides it."""
    path = Path(os.environ.get("KB_SHARED_DIR") or REPO_ROOT.parent / "shared")
    if not path.is_dir():
        pytest.skip(f"shared test material not found at {path} (set KB_SHARED_DIR)")
    return path


@pytest.fixture(scope="session")
def real_pdfs(shared_dir: Path) -> Path:
    """The real Swedish PDFs."""
    return shared_dir / "data" / "real" / "pdfs"


@pytest.fixture(scope="session")
def edge_cases(shared_dir: Path) -> Path:
    """The PDF edge cases from pypdf's test material."""
    return shared_dir / "data" / "pdf-edge-cases"
