"""Helpers shared by the test modules: where the reference files are.

Imported as ``from helpers import ...``: pytest puts ``tests/`` on ``sys.path`` (rootdir-relative
"prepend" import mode; ``tests/`` has a ``conftest.py`` and no ``__init__.py``).  Fixtures live in
``conftest.py``.

Every file a test reads is in the repository or in an installed dependency, never beside the checkout:

* ``tests/data/``: CelesTrak snapshots and OMM samples, provenance in ``tests/data/README.md``;
* ``constellation.tle_data/samples/``: the GNSS and Iridium snapshots the package ships
  (``tle_data/README.md``);
* the ``sgp4`` package: Vallado's verification vectors ``SGP4-VER.TLE`` and ``tcppver.out``.
"""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data"


def _existing(path: Path) -> Path:
    assert path.is_file(), f"test data file {path} is missing"
    return path


def data_file(name: str) -> Path:
    """A file of ``tests/data``."""
    return _existing(DATA / name)


def sample_file(name: str) -> Path:
    """One of the real snapshots shipped in the package, ``constellation.tle_data/samples/<name>``."""
    return _existing(Path(str(files("constellation.tle_data") / "samples" / name)))


def sgp4_file(name: str) -> Path:
    """A data file of the installed python-sgp4 (``SGP4-VER.TLE``, ``tcppver.out``)."""
    return _existing(Path(str(files("sgp4") / name)))
