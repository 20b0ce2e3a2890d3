"""Real element sets shipped with the package, by short name, so that examples run offline.

Each sample is an unmodified CelesTrak group file (3-line format), installed in
``constellation/tle_data/samples/``; where each one comes from is in ``tle_data/README.md``.

- ``gps``: CelesTrak ``gps-ops``, 31 satellites, epochs 2022-02-03/04;
- ``galileo``: ``galileo``, 28, 2022-02-01 ... 04;
- ``glonass``: ``glo-ops``, 25, 2022-01-31 ... 02-04;
- ``beidou``: ``beidou``, 50 (GEO, IGSO and MEO), 2022-01-29 ... 02-04;
- ``iridium``: ``iridium-NEXT``, 80 (67 in the 780 km operational shell, 13 spares), 2025-07-18/19.

::

    import constellation as C
    C.samples.names()              # ['beidou', 'galileo', 'glonass', 'gps', 'iridium']
    gps = C.samples.load("gps")    # a Constellation, as C.load(C.samples.path("gps")) gives
"""

from __future__ import annotations

import atexit
import contextlib
import importlib.resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from . import Constellation

__all__ = ["names", "path", "load"]

#: short name -> file name in ``constellation/tle_data/samples/``
_FILES: dict[str, str] = {
    "beidou": "beidou_2022-02-04.txt",
    "galileo": "galileo_2022-02-04.txt",
    "glonass": "glo-ops_2022-02-04.txt",
    "gps": "gps-ops_2022-02-04.txt",
    "iridium": "iridium-NEXT_2025-07-19.tle",
}

# file paths of samples that had to be copied out of a zipped install, removed at exit
_extracted = contextlib.ExitStack()
atexit.register(_extracted.close)


def names() -> list[str]:
    """The short names of the shipped samples, sorted: ``['beidou', 'galileo', 'glonass', 'gps', 'iridium']``."""
    return sorted(_FILES)


def _file_name(name: str) -> str:
    """The file name of sample ``name`` (a short name or the file name itself, in any letter case)."""
    if not isinstance(name, str):
        raise TypeError(f"a sample name is a string, got {type(name).__name__}")
    key = name.strip().lower()
    if key in _FILES:
        return _FILES[key]
    for file in _FILES.values():
        if key == file.lower():
            return file
    raise ValueError(f"no shipped sample named {name!r}; the samples are {', '.join(names())} "
                     f"(or their file names: {', '.join(sorted(_FILES.values()))})")


def path(name: str) -> Path:
    """Path of the shipped sample ``name`` on the file system.

    Parameters
    ----------
    name : str
        A short name from :func:`names` (``"gps"``, ``"galileo"``, ``"glonass"``, ``"beidou"``,
        ``"iridium"``) or the sample's file name (``"gps-ops_2022-02-04.txt"``); letter case is ignored.

    Returns
    -------
    pathlib.Path
        The installed file (read it with :func:`constellation.load` or any TLE reader).

    Raises
    ------
    ValueError
        For a name that is not a shipped sample; the message lists the valid ones.
    """
    resource = importlib.resources.files("constellation.tle_data").joinpath("samples", _file_name(name))
    if isinstance(resource, Path):
        return resource
    # installed inside a zip archive: a real file is needed, so the sample is copied out for this process
    return _extracted.enter_context(importlib.resources.as_file(resource))


def load(name: str, **kw: Any) -> Constellation:
    """Read the shipped sample ``name``: the same :class:`~constellation.Constellation` that
    ``constellation.load(path(name), **kw)`` returns (named after the file, e.g. ``gps-ops_2022-02-04``).

    Parameters
    ----------
    name : str
        As for :func:`path`.
    **kw
        Passed on to :func:`constellation.load` (``strict``).
    """
    from .elements import load as load_file

    return load_file(path(name), **kw)
