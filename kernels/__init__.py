"""Numba kernels: the hot loops of constellation, free of Python objects.

Installed as ``constellation.kernels``.  Each module holds kernels for one concept:

* :mod:`.fastmath`   - branch-free polynomial sine, cosine, arctangent, arccosine and a fused multiply-add;
* :mod:`.sgp4_near`  - the near-Earth SGP4 propagation step, many satellites and times in SIMD lanes;
* :mod:`.frames`     - TEME -> ITRS rotation (GMST 1982, polar motion) and WGS84 geodetic conversion;
* :mod:`.interp`     - node states to ITRS and Hermite interpolation to the analysis times;
* :mod:`.visibility` - the exact service test, its margin, and per-satellite geometry and pruning caps;
* :mod:`.rowmodel`   - a grid row as a circle of latitude: the served arc and the exact walk of its ends;
* :mod:`.fastpath`   - the analytic arc ends where a proved error bound decides them;
* :mod:`.sattables`  - per step, the satellites sorted by latitude;
* :mod:`.sweep`      - the row sweep: counts per cell and coverage transitions, handed to the reductions;
* :mod:`.reductions` - figures of merit as mergeable per-cell states (start, absorb, combine, finish);
* :mod:`.dop`        - dilution of precision per cell;
* :mod:`.bruteforce` - the all-pairs oracle the engine is checked against;
* :mod:`.parallel`   - running a kernel over ranges of work on several threads;
* :mod:`.precompile` - compiling the kernels ahead of their first use, on several cores.

Compiled kernels are cached on disk (``cache=True``).  :func:`configure_cache` picks a writable directory
up front (under ``$NUMBA_CACHE_DIR`` if set, else under ``$XDG_CACHE_HOME/constellation/numba``, one
subdirectory per version of the kernels) and, if none is writable, switches caching off cleanly instead of
failing.  :mod:`.precompile` compiles them ahead of a run, on several cores.
"""

from __future__ import annotations

import os
import sys
import tempfile

__all__ = ["configure_cache", "CACHE"]


def _writable(path: str) -> bool:
    try:
        os.makedirs(path, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path):
            pass
        return True
    except OSError:
        return False


def _sources_tag() -> str:
    """A short hash of every kernel module's source and numba's version: the name of the cache directory."""
    import hashlib
    from importlib import metadata

    try:
        numba_version = metadata.version("numba")
    except metadata.PackageNotFoundError:  # pragma: no cover - numba is a dependency
        numba_version = "?"
    h = hashlib.sha256(numba_version.encode())
    here = os.path.dirname(os.path.abspath(__file__))
    for name in sorted(os.listdir(here)):
        if name.endswith(".py"):
            with open(os.path.join(here, name), "rb") as f:
                h.update(name.encode() + b"\0" + f.read())
    return "kernels-" + h.hexdigest()[:12]


def configure_cache() -> bool:
    """Choose the numba cache directory before any kernel compiles; return whether caching is on.

    The directory is ``kernels-<hash>`` under ``$NUMBA_CACHE_DIR`` if set, else under
    ``$XDG_CACHE_HOME/constellation/numba``, the hash taken over the kernels' sources and numba's version.
    numba keys a cached kernel on its own source only, not on the kernels it calls, so after any change to
    the kernels a fresh directory keeps a stale caller from being loaded.  Must run before ``numba`` reads
    its configuration for the first ``@njit(cache=True)`` compile, which is why this package calls it on
    import.
    """
    if os.environ.get("CONSTELLATION_NO_CACHE"):
        return False
    base = os.environ.get("NUMBA_CACHE_DIR")
    if not base:
        home = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        base = os.path.join(home, "constellation", "numba")
    tag = _sources_tag()
    candidate = base if os.path.basename(os.path.normpath(base)) == tag else os.path.join(base, tag)
    if _writable(candidate):
        os.environ["NUMBA_CACHE_DIR"] = candidate
        if "numba" in sys.modules:  # numba already imported: update its live configuration too
            sys.modules["numba"].core.config.CACHE_DIR = candidate
        return True
    return False


#: Whether compiled kernels are cached on disk.  Pass as ``cache=CACHE`` to ``numba.njit``.
CACHE: bool = configure_cache()
