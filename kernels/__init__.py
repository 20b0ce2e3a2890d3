"""Numba kernels: the hot loops of constellation, free of Python objects.

Installed as ``constellation.kernels``.  Each module holds kernels for one concept:

* :mod:`.frames`  - TEME -> ITRS rotation (GMST 1982, polar motion) and WGS84 geodetic conversion.

Compiled kernels are cached on disk (``cache=True``).  Where the package directory is read-only (a system
install) numba's own locator falls back to a per-user cache directory; :func:`configure_cache` picks a
writable directory up front (``$NUMBA_CACHE_DIR`` if set, else ``$XDG_CACHE_HOME/constellation/numba``)
and, if none is writable, switches caching off cleanly instead of failing.
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


def configure_cache() -> bool:
    """Choose the numba cache directory before any kernel compiles; return whether caching is on.

    Must run before ``numba`` reads its configuration for the first ``@njit(cache=True)`` compile, which
    is why this package calls it on import.
    """
    if os.environ.get("CONSTELLATION_NO_CACHE"):
        return False
    candidate = os.environ.get("NUMBA_CACHE_DIR")
    if not candidate:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        candidate = os.path.join(base, "constellation", "numba")
    if _writable(candidate):
        os.environ["NUMBA_CACHE_DIR"] = candidate
        if "numba" in sys.modules:  # numba already imported: update its live configuration too
            sys.modules["numba"].core.config.CACHE_DIR = candidate
        return True
    return False


#: Whether compiled kernels are cached on disk.  Pass as ``cache=CACHE`` to ``numba.njit``.
CACHE: bool = configure_cache()
