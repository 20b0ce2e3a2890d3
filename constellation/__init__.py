"""constellation: track satellite constellations and compute their ground coverage.

The public API, in data-flow order::

    import constellation as C
    sats = C.load("active.tle")                 # any TLE/3LE/OMM file; or C.jinan368(), the shipped plan
    times = C.time_range("2026-01-01", duration="1d", step_s=30)
    pos = C.propagate(sats, times)               # xarray.Dataset (satellite, time): ITRS + WGS84 geodetic
    cov = C.coverage(sats, times, grid=C.grid.global_grid(1.0), min_elevation_deg=10)

The functions come from modules named for their concepts (``C.propagate`` from ``propagation``,
``C.coverage`` from ``api`` over the coverage ``engine``, ``C.passes`` from ``contacts``, ``C.dop`` from
``navigation``), so no module shares a name with a function.  Every name is imported on first use, so
``import constellation`` stays quick (no xarray, matplotlib, dask, skyfield or numba until needed).

The modules form layers (:data:`LAYERS`); each imports only from its own layer and the layers before it,
without cycles (``tests/test_layers.py`` checks every import in every module, function-level ones
included).
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from .version import __version__  # noqa: F401  (re-exported)

#: The package's modules by layer, lowest first: ``(layer, what it holds, modules)``.  A module imports
#: only modules of its own layer or of lower ones, and never in a cycle.  ``"kernels.*"``: every module
#: of that package; ``""``: this package façade itself.
LAYERS = (
    (1, "numba kernels (no Python objects)", ("kernels", "kernels.*")),
    (2, "foundations: errors, version, time scales, satellites and constellations, atomic writes, sites, "
        "the shipped element sets (data), boundary checks, the memory budget, installed libraries' bytecode",
     ("errors", "version", "timescale", "satellite", "atomic", "sites", "tle_data", "checks", "budget",
      "bytecode", "staleness")),
    (3, "inputs and formats: element sets, design plans, grids, result file formats, the shipped samples",
     ("elements", "design", "grid", "formats", "samples", "stations", "regions")),
    (4, "positions: propagation (and the engine's position feed), topocentric geometry, the Sun",
     ("propagation", "topo", "sun")),
    (5, "analyses: the coverage engine (plan, chunk states, assembly), passes, DOP",
     ("engine", "contacts", "navigation", "augmentation", "relay", "groundlink", "imaging")),
    (6, "runners: dask cluster, checkpointed (Zarr) store, the dispatch and the serial runner",
     ("distributed", "checkpoint", "runners")),
    (7, "the public API: coverage(), result I/O, coverage snapshots", ("api", "io", "snapshots")),
    (8, "applications: plots, service maps, planning (compare, deployment, design search), the report, the "
        "command line, this façade",
     ("plot", "servicemaps", "comparison", "deployment", "design_search", "report", "cli", "cli.*", "__main__",
      "")),
)

# name -> (module, attribute or None for the module itself), imported on first access
_LAZY = {
    "Constellation": ("satellite", "Constellation"),
    "Satellite": ("satellite", "Satellite"),
    "as_constellation": ("satellite", "as_constellation"),
    "load": ("elements", "load"),
    "time_range": ("timescale", "time_range"),
    "parse_time": ("timescale", "parse_time"),
    "parse_duration": ("timescale", "parse_duration"),
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
    "samples": ("samples", None),
    "dop_augmentation": ("augmentation", "dop_augmentation"),
    "bent_pipe_coverage": ("relay", "bent_pipe_coverage"),
    "stations": ("stations", None),
    "groundlink": ("groundlink", None),
    "imaging": ("imaging", None),
    "regions": ("regions", None),
    "compare": ("comparison", "compare"),
    "comparison": ("comparison", None),
    "deployment": ("deployment", None),
    "deploy": ("deployment", "deploy"),
    "design_search": ("design_search", None),
    "search_designs": ("design_search", "search"),
    "report": ("report", None),
    "sun": ("sun", None),
}

#: The public names (each lazy: imported on first access); a test keeps this list and ``_LAZY`` equal.
__all__ = ["Constellation", "Satellite", "as_constellation", "load", "time_range", "parse_time",
           "parse_duration", "propagate", "jinan368", "design", "elements", "grid", "coverage", "Requirement",
           "passes", "dop", "look_angles", "plot", "io", "samples", "dop_augmentation",
           "bent_pipe_coverage", "stations", "groundlink", "imaging", "regions",
           "compare", "comparison", "deployment", "deploy", "design_search", "search_designs", "report", "sun"]

if TYPE_CHECKING:  # what the names are, for type checkers and editors (at run time: __getattr__)
    from . import design, elements, grid, groundlink, imaging, io, plot, report, samples, stations, sun
    from .api import coverage
    from .augmentation import dop_augmentation
    from .contacts import passes
    from .design import jinan368
    from .elements import load
    from .engine import Requirement
    from .navigation import dop
    from .propagation import propagate
    from .relay import bent_pipe_coverage
    from .satellite import Constellation, Satellite, as_constellation
    from .timescale import parse_duration, parse_time, time_range
    from .topo import look_angles


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
