"""Fixtures shared by all tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"


@pytest.fixture
def shared_data() -> Path:
    """The folder of real public datasets; tests using it skip in a clone without it."""
    path = SHARED / "data" / "real"
    if not path.is_dir():
        pytest.skip(f"real datasets not found at {path}: they sit beside the repository only "
                    "in the development workspace")
    return path


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Remove every SGL_ and locale variable that could leak in from the developer's shell."""
    for name in list(os.environ):
        if name.startswith("SGL_") or name in ("LANG", "LC_ALL", "LC_MESSAGES"):
            monkeypatch.delenv(name, raising=False)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clean_env: None) -> Path:
    """An empty project folder as the working directory."""
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.fixture(scope="session")
def prefect_server():
    """One Prefect test server for the whole session, in a temporary Prefect home."""
    from sgl.prefect_env import configure_prefect

    configure_prefect()
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
