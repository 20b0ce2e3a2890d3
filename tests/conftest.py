"""Shared test fixtures.

Reference data (Vallado's vectors, real CelesTrak snapshots) lives in ``../shared/data`` beside the
repository.  Tests that need it take the ``shared_data`` fixture, which skips them, saying why, where the
folder is absent.
"""

from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """Path to ``../shared/data``; skips the test when it is not there."""
    if not SHARED_DATA.is_dir():
        pytest.skip(f"reference data folder {SHARED_DATA} is absent (it sits beside the repository in CI "
                    f"and developer checkouts)")
    return SHARED_DATA


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO
