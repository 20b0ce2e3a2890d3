"""constellation: track satellite constellations and compute their ground coverage.

The public API, in data-flow order::

    import constellation as C
    sats = C.load("active.tle")                 # any TLE/3LE/OMM file; or C.jinan368(), the shipped plan
    times = C.time_range("2026-01-01", duration="1d", step_s=30)
    pos = C.propagate(sats, times)               # xarray.Dataset (satellite, time): ITRS + WGS84 geodetic
    cov = C.coverage(sats, times, grid=C.grid.global_grid(1.0), min_elevation_deg=10)

Each stage lives in its own module (``elements``, ``design``, ``propagation``, ``grid``, ``engine``,
``contacts``, ``navigation``, ``plot``) and can be used alone.  Heavy modules are imported on first use, so
``import constellation`` stays quick.
"""

from __future__ import annotations

import importlib
import sys
import types
from typing import Any

from .elements import load
from .satellite import Constellation, Satellite, as_constellation
from .timescale import parse_duration, parse_time, time_range
from .version import __version__

# name -> (module, attribute or None for the module itself), imported on first access
_LAZY = {
    "propagate": ("propagation", "propagate"),
    "jinan368": ("design", "jinan368"),
    "design": ("design", None),
    "elements": ("elements", None),
    "grid": ("grid", None),
    "coverage": ("api", "coverage"),
    "Requirement": ("engine", "Requirement"),
    "passes": ("contacts", "passes"),
    "dop": ("navigation", "dop"),
    "look_angles": ("topo", "look_angles"),
    "plot": ("plot", None),
    "io": ("io", None),
}

__all__ = [
    "Constellation", "Satellite", "as_constellation", "load", "time_range",
    "parse_time", "parse_duration", *_LAZY,
]


def __getattr__(name: str) -> Any:
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'constellation' has no attribute {name!r}") from None
    mod = importlib.import_module(f".{module}", __name__)
    value = mod if attr is None else getattr(mod, attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(types.ModuleType):
    """The package module: importing the submodule ``constellation.coverage`` (say) must not replace the
    function ``constellation.coverage`` that shares its name, as the import system would otherwise do."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and _LAZY.get(name, (None, None))[1] is not None:
            return
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package
