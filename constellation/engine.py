"""The coverage engine: figures of merit per grid cell, streamed over time chunks.

A run is resolved once into a :class:`RunPlan` (:func:`make_plan`); each time chunk then propagates the
satellites (:class:`constellation.propagation.ItrsWindow`, :func:`chunk_positions`), finds the cells each
satellite serves with the row-by-row footprint kernels of :mod:`constellation.kernels.sweep` (exact
WGS84 elevation test, optional nadir cone and Sun limits, identical to a brute force of every satellite
against every cell) and folds each sample into mergeable per-cell reductions (:mod:`constellation.kernels.reductions`,
:func:`chunk_state`), and :class:`Assembler` joins the chunks in time order, so memory is O(cells +
satellites x chunk) and the result does not depend on the chunking.  The runners that drive a plan are in
:mod:`constellation.runners`; the public :func:`constellation.coverage` and
:func:`constellation.api.coverage_counts` are in :mod:`constellation.api`.

Window-edge rule (``window_edges``), edge refinement and the definition of every figure of merit (with
its STK Coverage figure-of-merit name) are in :mod:`constellation.kernels.reductions`; the Dataset
attributes repeat them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from .budget import check_fits
from .checks import whole
from .grid import Grid, global_grid
from .kernels import gatewaylinks, rowmodel, sweep, visibility
from .kernels import reductions as red
from .kernels.rowmodel import RowTable
from .propagation import ItrsWindow, auto_node_step_s, hermite_error_km, sgp4_tables, warn_failures
from .satellite import as_constellation
from .timescale import as_datetime64

__all__ = ["Requirement", "NADIRS", "EDGE_RULES", "POSITION_TOL_M", "RunPlan", "make_plan", "chunk_state",
           "GATEWAY_MIN_ELEVATION_DEG", "kernel_block_steps", "chunk_positions", "stream_positions", "Assembler"]

#: The axes a nadir cone may have (:class:`Requirement`'s ``nadir``); the first is the default.
NADIRS = ("geocentric", "geodetic")

EDGE_RULES = {
    "count": "gaps touching the start or end of the analysis window are counted as gaps (a cell never "
             "covered has one gap as long as the window; the wait in a final gap runs to the window end)",
    "exclude": "gaps touching the start or end of the analysis window are left out of every gap statistic "
               "(STK 'optimistic' rule); the window length stays the full window",
}
#: Target of the automatic node step of Hermite positions (m): see :func:`constellation.propagation.
#: auto_node_step_s`; the estimated error of each run is in its attributes.
POSITION_TOL_M = 5.0
_STENCIL = 4  # nodes per Hermite interpolation (degree 7)
#: Above this many Hermite nodes per sample (samples far apart: hours, or years between two of them), SGP4 at
#: every sample is less work than SGP4 at every node of the window and the run takes it instead: the nodes'
#: work and memory grow with the window's span, the samples' with their number.
_MAX_NODES_PER_SAMPLE = 64
#: Elevation mask (deg) of the gateways of a :class:`Requirement` that state none (the bent-pipe default of
#: :func:`constellation.relay.bent_pipe_coverage` too).
GATEWAY_MIN_ELEVATION_DEG = 10.0
#: Arc ends from the analytic estimate where its error bound clears every cell centre (identical
#: results; False walks every arc end with the exact test - for tests that compare the two).
_FAST_ARCS = True


@dataclass(frozen=True)
class Requirement:
    """What serving a cell means.

    A satellite serves a cell when it is at least ``min_elevation_deg`` above the cell's local horizon
    (WGS84 ellipsoid normal) and, if ``half_angle_deg`` is given, inside its nadir cone of that
    half-angle; the cell is covered when at least ``min_sats`` satellites serve it.  ``nadir`` is the
    cone's axis: ``"geocentric"`` (default: the direction to the Earth's centre) or ``"geodetic"`` (the
    inward WGS84 ellipsoid normal at the satellite's geodetic sub-point; the two differ by at most
    0.19 deg).  With
    ``min_sun_elevation_deg`` (daylight imaging) and/or ``max_sun_elevation_deg`` (night-time sensors), a
    satellite serves a cell only while the Sun's elevation above the cell's horizon is within those
    limits (:mod:`constellation.sun`); None: no limit.

    With ``gateways`` (bent-pipe, transparent payloads) a satellite serves a cell only while it also sees
    at least one gateway: a station network (:func:`constellation.stations.as_network` takes a
    :class:`~constellation.stations.StationNetwork`, a point grid, a stations CSV path or sites), each
    gateway at least its own elevation mask; ``gateway_min_elevation_deg`` (default
    :data:`GATEWAY_MIN_ELEVATION_DEG`) is the mask of gateways that state none.  The network is held
    resolved, as a :class:`~constellation.stations.StationNetwork`.
    """

    min_elevation_deg: float = 10.0
    half_angle_deg: float | None = None
    min_sats: int = 1
    min_sun_elevation_deg: float | None = None
    max_sun_elevation_deg: float | None = None
    gateways: Any = None
    gateway_min_elevation_deg: float | None = None
    nadir: str = "geocentric"

    def __post_init__(self):
        if not isinstance(self.nadir, str) or self.nadir not in NADIRS:
            raise ValueError(f"nadir must be one of {', '.join(repr(n) for n in NADIRS)}, got {self.nadir!r}")
        if not (-90.0 <= float(self.min_elevation_deg) < 90.0):
            raise ValueError(f"min_elevation_deg must be in [-90, 90), got {self.min_elevation_deg}")
        if self.half_angle_deg is not None and not (0.0 < float(self.half_angle_deg) <= 180.0):
            raise ValueError(f"half_angle_deg must be in (0, 180], got {self.half_angle_deg}")
        if int(self.min_sats) != self.min_sats or int(self.min_sats) < 1:
            raise ValueError(f"min_sats must be a whole number >= 1, got {self.min_sats}")
        for name in ("min_sun_elevation_deg", "max_sun_elevation_deg"):
            v = getattr(self, name)
            number = isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
            if v is not None and not (number and -90.0 <= float(v) <= 90.0):
                raise ValueError(f"{name} must be None or a number in [-90, 90], got {v!r}")
        lo, hi = self.min_sun_elevation_deg, self.max_sun_elevation_deg
        if lo is not None and hi is not None and float(lo) > float(hi):
            raise ValueError(f"min_sun_elevation_deg ({lo}) must not exceed max_sun_elevation_deg ({hi})")
        gm = self.gateway_min_elevation_deg
        if gm is not None:
            number = isinstance(gm, (int, float, np.integer, np.floating)) and not isinstance(gm, bool)
            if not (number and -90.0 <= float(gm) < 90.0):
                raise ValueError(f"gateway_min_elevation_deg must be None or a number in [-90, 90), got {gm!r}")
            if self.gateways is None:
                raise ValueError("gateway_min_elevation_deg needs gateways= (the gateway stations)")
        if self.gateways is not None:
            from .stations import as_network

            try:
                net = as_network(self.gateways, GATEWAY_MIN_ELEVATION_DEG if gm is None else float(gm))
            except (ValueError, FileNotFoundError) as exc:
                raise type(exc)(f"gateways: {exc}") from None
            object.__setattr__(self, "gateways", net)

    @property
    def gateway_limited(self) -> bool:
        """Whether the satellites serve only while they see a gateway (bent pipe)."""
        return self.gateways is not None

    @property
    def sun_limited(self) -> bool:
        """Whether a Sun limit applies."""
        return self.min_sun_elevation_deg is not None or self.max_sun_elevation_deg is not None

    def sun_sines(self) -> tuple[float, float]:
        """The sines of the lowest and highest Sun elevation allowed (``-2, 2`` where there is no limit)."""
        lo = -2.0 if self.min_sun_elevation_deg is None else math.sin(math.radians(float(self.min_sun_elevation_deg)))
        hi = 2.0 if self.max_sun_elevation_deg is None else math.sin(math.radians(float(self.max_sun_elevation_deg)))
        return lo, hi


def _services(c, min_elevation_deg, half_angle_deg, min_sats, requirements, min_sun_elevation_deg=None,
              max_sun_elevation_deg=None, gateways=None, gateway_min_elevation_deg=None, nadir="geocentric"):
    """The satellite tables ``(sats_f, sats_i)`` (service index and requirement of each satellite), the
    services' ``min_sats``, their labels (None without ``requirements``) and requirements."""
    if not isinstance(nadir, str) or nadir not in NADIRS:
        raise ValueError(f"nadir must be one of {', '.join(repr(n) for n in NADIRS)}, got {nadir!r}")
    ns = len(c)
    if requirements is None:
        req = Requirement(min_elevation_deg, half_angle_deg, min_sats, min_sun_elevation_deg, max_sun_elevation_deg,
                          gateways, gateway_min_elevation_deg, nadir)
        reqs, labels = [req], None
        serv = np.zeros(ns, np.int64)
    else:
        if not isinstance(requirements, dict) or not requirements:
            raise ValueError("requirements must be a non-empty dict {group label: Requirement}")
        labels = [str(k) for k in requirements]
        if "any" in labels:
            raise ValueError("'any' is reserved for the combined service; rename that group")
        if min_sun_elevation_deg is not None or max_sun_elevation_deg is not None:
            raise ValueError("with requirements, give Sun limits in each Requirement (min_sun_elevation_deg=...), "
                             "not as arguments")
        if gateways is not None or gateway_min_elevation_deg is not None:
            raise ValueError("with requirements, give gateways in each Requirement (gateways=...), not as arguments")
        if nadir != "geocentric":
            raise ValueError("with requirements, give the nadir in each Requirement (nadir=...), not as an argument")
        reqs = []
        for k, v in requirements.items():
            if not isinstance(v, Requirement):
                raise ValueError(f"requirements[{k!r}] must be a Requirement, got {type(v).__name__}")
            reqs.append(v)
        groups = c.groups.astype(str) if ns else np.zeros(0, str)
        serv = np.full(ns, -1, np.int64)
        present = set(groups.tolist())
        for j, k in enumerate(labels):
            if k not in present:
                raise ValueError(f"requirements names group {k!r}, but the constellation's groups are "
                                 f"{sorted(present)}")
            serv[groups == k] = j
    sin_el = np.array([math.sin(math.radians(r.min_elevation_deg)) for r in reqs])
    use_cone = np.array([0 if r.half_angle_deg is None else
                         (visibility.CONE_GEODETIC if r.nadir == "geodetic" else visibility.CONE_GEOCENTRIC)
                         for r in reqs], np.int64)
    cos_half = np.array([math.cos(math.radians(r.half_angle_deg)) if r.half_angle_deg is not None else -1.0
                         for r in reqs])
    j = np.maximum(serv, 0)
    sats_f, sats_i = sweep.satellite_tables(serv, sin_el[j], use_cone[j], cos_half[j])
    return sats_f, sats_i, np.array([r.min_sats for r in reqs], np.int64), labels, reqs


def _ticks(times: np.ndarray) -> np.ndarray:
    ns = (times - times[0]).astype("timedelta64[ns]").astype(np.int64)
    return (ns + 500) // 1000  # microsecond ticks (reductions.TICKS_PER_S)


#: Satellite-table bytes one call of the row kernel works through (see :func:`kernel_block_steps`).  Every
#: grid row reads, at every step, the table columns of the satellites whose cap reaches it (72 B each), so
#: one call reads a band of the table once per row; kept near this size, the band read by the row before
#: is still in the processor's cache (the block sizes tried are in
#: ``benchmarks/results/2026-11-27-distributed.md``).
KERNEL_BLOCK_BYTES = 20_000_000
#: Fewest steps per call of the row kernel (each call redoes its lead sample).
MIN_KERNEL_BLOCK = 16


def check_grid_arg(grid: Any) -> None:
    """Refuse a ``grid`` that is not a :class:`~constellation.grid.Grid` (a ``TypeError`` that says how to
    make one)."""
    if not isinstance(grid, Grid):
        raise TypeError(f"grid must be a constellation.grid.Grid (e.g. C.grid.global_grid(1.0), "
                        f"C.grid.region(...), C.grid.points(...)), got {type(grid).__name__} {grid!r:.40}")


#: Bytes per cell per output service: the reduction state (N_FIELDS int64), the finished figures of merit
#: and the Dataset built from them (two copies of 16 float64 or int64), the row coverage.
_BYTES_PER_CELL_OUT = 8 * red.N_FIELDS + 2 * 8 * 16 + 8
#: Bytes per cell of the grid's own arrays (coordinates, normals, ITRS positions, areas, weights).
_BYTES_PER_CELL_GRID = 8 * 14


def estimate_bytes(n_sat: int, n_cells: int, n_rows: int, n_t: int, *, n_out: int = 1,
                   chunk_steps: int | None = None, keep_sats_in_view: bool = False) -> int:
    """An upper estimate of the memory (bytes) a coverage run needs: the per-cell state and results, the
    per-sample series, the satellites-in-view series of point grids (int16 per cell and sample), one
    chunk's positions and row series (:func:`_auto_chunk`) and one kernel block."""
    chunk = _auto_chunk(n_sat, n_rows, n_t) if chunk_steps is None else min(int(chunk_steps), n_t)
    per_cell = n_out * _BYTES_PER_CELL_OUT + _BYTES_PER_CELL_GRID
    series = n_out * n_t * 8 * 3 + (n_out * n_t * n_cells * 2 * 2 if keep_sats_in_view else 0)
    chunk_bytes = chunk * (64 * max(n_sat, 1) + 4 * n_rows * n_out)
    return int(n_cells * per_cell + series + chunk_bytes + KERNEL_BLOCK_BYTES)


def _auto_chunk(n_sat: int, n_rows: int, n_t: int) -> int:
    # chunk memory: the positions (24 B per satellite-step, plus the Hermite nodes' states and the
    # driver's position buffer: 64 B allowed) and the row series (4 B per row-step); the geometry and the
    # latitude-sorted table (48 + 80 B per satellite-step) are made per kernel block (KERNEL_BLOCK_BYTES),
    # so they do not grow with the chunk.  At most ~150 MB of chunk memory, and at most 512 steps (longer
    # chunks gain nothing: the per-chunk costs are already small there)
    per_step = 64 * max(n_sat, 1) + 4 * n_rows
    return int(max(1, min(n_t, 512, 150_000_000 // per_step)))


@dataclass
class RunPlan:
    """Everything one time chunk of a coverage run needs, resolved once (picklable: it is what a dask
    worker receives).  Built by :func:`make_plan`; chunk ``k`` covers samples ``bounds[k]``.

    ``constellation`` and ``times`` are the run's satellites and UTC samples (``ticks``: microseconds from
    the first); ``rows`` the grid as the kernels read it (:class:`~constellation.kernels.rowmodel.RowTable`);
    ``sats_f`` and ``sats_i`` the satellite requirement tables (columns ``SAT_*`` of
    :mod:`constellation.kernels.visibility`); ``service_min_sats``, ``service_labels`` (None for one
    requirement) and ``requirements`` the services; ``with_any`` adds the output "any";
    ``keep_sats_in_view`` keeps the per-sample counts (site grids); the rest says how positions are made.
    """

    constellation: Any
    times: np.ndarray
    ticks: np.ndarray
    grid: Grid
    rows: RowTable
    sats_f: np.ndarray
    sats_i: np.ndarray
    service_min_sats: np.ndarray
    service_labels: list | None
    requirements: list
    with_any: bool
    refine: bool
    keep_sats_in_view: bool
    bounds: list
    positions: str = "hermite"
    node_step_s: float = 0.0
    stencil: int = 4
    position_error_m: float = 0.0
    position_note: str = ""
    #: a ``concurrent.futures.Future`` of ``(node_step_s, position_error_m, position_note)`` while the node
    #: step is still being chosen in a background thread (plans made for a cluster run, so that the plan
    #: travels to the workers meanwhile); :meth:`resolved` waits for it.  Never pickled.
    pending: Any = field(default=None, repr=False, compare=False)
    #: per service, the sines of the Sun elevation limits ``(n_serv, 2)`` (``-2, 2``: none), and the unit
    #: Sun direction (ITRS) at every sample ``(n_t, 3)``; both None when no service has a Sun limit
    serv_sun: np.ndarray | None = None
    sun: np.ndarray | None = None
    #: bent pipe: the gateways of every service that has some, float64 ``(n_gw, 7)`` (columns
    #: :data:`constellation.kernels.gatewaylinks.GW_FIELDS`), and per satellite the rows of its service's
    #: gateways ``(n_sat, 2)`` (an empty range: none needed); both None when no service has gateways
    gateways: np.ndarray | None = None
    sat_gateways: np.ndarray | None = None

    def resolved(self) -> RunPlan:
        """This plan with its node step chosen (itself when nothing is pending)."""
        if self.pending is None:
            return self
        node_step_s, err_m, note = self.pending.result()
        return replace(self, pending=None, node_step_s=node_step_s, position_error_m=err_m, position_note=note,
                       positions="hermite" if node_step_s else "exact")

    def position_fields(self) -> dict:
        """The fields :meth:`resolved` fills in, as keyword arguments of ``dataclasses.replace``."""
        return dict(positions=self.positions, node_step_s=self.node_step_s,
                    position_error_m=self.position_error_m, position_note=self.position_note)

    def window(self):
        """The :class:`constellation.propagation.ItrsWindow` serving this plan's positions (one per
        process: it is cached on the plan and not pickled)."""
        if self.pending is not None:
            raise RuntimeError("the plan's node step is still being chosen: use plan.resolved()")
        win = self.__dict__.get("_window")
        if win is None:
            win = ItrsWindow(self.constellation, self.times, method=self.positions, node_step_s=self.node_step_s or 1.0,
                             stencil=self.stencil)
            self.__dict__["_window"] = win
        return win

    def __getstate__(self):
        d = dict(self.__dict__)
        d.pop("_window", None)
        d["pending"] = None
        return d

    @property
    def n_out(self) -> int:
        return int(self.service_min_sats.size) + (1 if self.with_any else 0)

    @property
    def n_cells(self) -> int:
        return self.rows.n_cells

    @property
    def n_rows(self) -> int:
        return self.rows.n_rows


def make_plan(sats: Any, times: Any, grid: Grid | None = None, *, min_elevation_deg: float = 10.0,
              half_angle_deg: float | None = None, min_sats: int = 1,
              requirements: dict[str, Requirement] | None = None, refine_edges: bool = True,
              chunk_steps: int | None = None, want_siv: bool = False, positions: str = "hermite",
              position_tol_m: float = POSITION_TOL_M, background: bool = False,
              min_sun_elevation_deg: float | None = None,
              max_sun_elevation_deg: float | None = None, gateways: Any = None,
              gateway_min_elevation_deg: float | None = None, nadir: str = "geocentric") -> RunPlan:
    """Validate the inputs of a coverage run and resolve them into a :class:`RunPlan`.

    With ``background``, the Hermite node step (:func:`_node_step`: SGP4 over a sample of the window, in
    nogil kernels) is chosen in a thread and the plan returned at once with it in :attr:`RunPlan.pending`
    (:meth:`RunPlan.resolved` waits for it), so that a cluster run can pickle and send the plan meanwhile.
    """
    if positions not in ("hermite", "exact"):
        raise ValueError(f"positions must be 'hermite' or 'exact', got {positions!r}")
    if not position_tol_m > 0:
        raise ValueError(f"position_tol_m must be positive, got {position_tol_m!r}")
    c = as_constellation(sats)
    times = as_datetime64(times)
    if times.ndim != 1 or times.size == 0:
        raise ValueError("times must be a non-empty 1-D array of UTC datetime64 values")
    if times.size > 1 and np.any(np.diff(times) <= np.timedelta64(0, "ns")):
        raise ValueError("times must be strictly increasing")
    grid = global_grid(1.0) if grid is None else grid
    check_grid_arg(grid)
    n_t = times.size
    if chunk_steps is None:
        chunk_steps = _auto_chunk(len(c), grid.row_start.size, n_t)
    chunk_steps = whole(chunk_steps, "chunk_steps", low=1)
    n_out = 1 if requirements is None else len(requirements) + 1
    need = estimate_bytes(len(c), grid.n_cells, grid.row_start.size, n_t, n_out=n_out, chunk_steps=chunk_steps,
                          keep_sats_in_view=bool(want_siv))
    check_fits(need, f"coverage of {len(c):,} satellites over {grid.n_cells:,} cells at {n_t:,} times",
               "use a coarser grid, a region, fewer sites or fewer time steps (or set chunk_steps lower)"
               if want_siv else "use a coarser grid, a region or fewer sites")
    bounds = [(i, min(i + chunk_steps, n_t)) for i in range(0, n_t, chunk_steps)]
    node_step_s, err_m, note, pending = 0.0, 0.0, "", None
    hermite = positions == "hermite" and len(c) > 0
    if hermite and background:
        from concurrent.futures import ThreadPoolExecutor

        sgp4_tables(c)  # built here, not in both threads at once
        ex = ThreadPoolExecutor(max_workers=1, thread_name_prefix="node-step")
        pending = ex.submit(_node_step, c, times, position_tol_m)  # beside the rest of the plan
        ex.shutdown(wait=False)  # the thread ends with the job
    sats_f, sats_i, serv_min, labels, reqs = _services(c, min_elevation_deg, half_angle_deg, min_sats, requirements,
                                                       min_sun_elevation_deg, max_sun_elevation_deg, gateways,
                                                       gateway_min_elevation_deg, nadir)
    gw_table, sat_gw = _gateway_tables(reqs, sats_i)
    serv_sun = sun = None
    if any(r.sun_limited for r in reqs):
        from .sun import sun_directions_itrs

        serv_sun = np.array([r.sun_sines() for r in reqs], np.float64).reshape(len(reqs), 2)
        sun = sun_directions_itrs(times)
    rows = rowmodel.row_geometry(grid)
    if hermite and not background:
        node_step_s, err_m, note = _node_step(c, times, position_tol_m)
        if not node_step_s:
            positions = "exact"
    return RunPlan(constellation=c, times=times, ticks=_ticks(times), grid=grid, rows=rows, sats_f=sats_f,
                   sats_i=sats_i, service_min_sats=serv_min, service_labels=labels, requirements=reqs,
                   with_any=requirements is not None, refine=bool(refine_edges), keep_sats_in_view=bool(want_siv),
                   bounds=bounds, positions=positions, node_step_s=node_step_s, stencil=_STENCIL,
                   position_error_m=err_m, position_note=note, pending=pending, serv_sun=serv_sun, sun=sun,
                   gateways=gw_table, sat_gateways=sat_gw)


def _gateway_tables(reqs: list, sats_i: np.ndarray) -> tuple[np.ndarray | None, np.ndarray | None]:
    """The plan's gateway table (rows of :data:`~constellation.kernels.gatewaylinks.GW_FIELDS`: each
    service's gateways in turn) and each satellite's rows of it; ``(None, None)`` when no requirement has
    gateways."""
    if not any(r.gateway_limited for r in reqs):
        return None, None
    from .grid import points

    blocks, ranges, n = [], [], 0
    for r in reqs:
        if not r.gateway_limited:
            ranges.append((0, 0))
            continue
        net = r.gateways
        g = points(net.lat_deg, net.lon_deg, net.names, net.height_m)
        block = np.empty((len(net), 7))
        block[:, 0:3] = g.itrs_km()
        block[:, 3:6] = g.up()
        block[:, 6] = np.sin(np.radians(np.asarray(net.min_elevation_deg, float)))
        blocks.append(block)
        ranges.append((n, n + len(net)))
        n += len(net)
    serv = sats_i[:, visibility.SAT_SERV]
    table = np.array(ranges, np.int64)
    sat_gw = np.where((serv >= 0)[:, None], table[np.maximum(serv, 0)], 0).astype(np.int64)
    return np.ascontiguousarray(np.concatenate(blocks)), np.ascontiguousarray(sat_gw)


def _node_step(c, times: np.ndarray, tol_m: float) -> tuple[float, float, str]:
    """Node step (s) for Hermite positions of ``c`` over ``times``: :func:`auto_node_step_s`'s choice for
    ``tol_m``, halved while the run's estimated error (:func:`hermite_error_km`) exceeds twice ``tol_m``
    (orbits the rule does not model well: decaying or eccentric ones).  Returns ``(step_s, error_m,
    note)``.  When no step down to the sample spacing keeps the error within bounds, the run takes SGP4 at
    every sample: for uniform samples by putting the nodes on them (step = the sample spacing, error 0:
    a node's interpolated position is its own SGP4 position), else step 0 (python-sgp4 at every
    sample).  Step 0 too where the node grid would have more than :data:`_MAX_NODES_PER_SAMPLE` nodes per
    sample."""
    step = float(auto_node_step_s(c, tol_km=tol_m / 1000.0, stencil=_STENCIL))
    span = float((times[-1] - times[0]) / np.timedelta64(1, "s")) if times.size > 1 else 0.0
    if span / step > _MAX_NODES_PER_SAMPLE * times.size:
        return 0.0, 0.0, (f"the samples are far sparser than Hermite nodes every {step:g} s ({span / step:.3g} "
                          f"nodes for {times.size} samples): SGP4 at every sample instead")
    dt = span / (times.size - 1) if times.size > 1 else step
    note = ""
    while True:
        err_m = 1000.0 * hermite_error_km(c, times, node_step_s=step, stencil=_STENCIL, n_intervals=16)
        if err_m <= 2.0 * tol_m:
            return step, err_m, note
        if step / 2.0 < max(dt, 1.0):
            gaps_ns = np.diff(times.view(np.int64))
            if gaps_ns.size and gaps_ns.min() == gaps_ns.max() > 0:
                # uniform samples: nodes on the samples, where the interpolation returns the nodes' own
                # SGP4 positions, from the numba kernel
                return float(gaps_ns[0]) / 1e9, 0.0, (
                    f"Hermite positions at every node step down to the sample spacing left an estimated "
                    f"{err_m:.1f} m error: SGP4 at every sample instead (nodes on the samples)")
            return 0.0, 0.0, (f"Hermite positions at every node step down to the sample spacing left an "
                              f"estimated {err_m:.1f} m error: SGP4 at every sample instead")
        note = f"node step halved from the rule's choice: {err_m:.1f} m estimated at {step:g} s"
        step /= 2.0


def stream_positions(plan: RunPlan, progress: bool, slot=None):
    """Yield ``(k, pos)`` for every chunk ``k``: ``pos`` float64 ``(n_chunk, n_sat, 3)`` ITRS km,
    time-major, from the plan's :class:`~constellation.propagation.ItrsWindow`.  With ``"exact"`` positions
    (python-sgp4, which holds the GIL) the next chunk is propagated in a background thread while the
    caller runs the kernels on this one (they release the GIL); Hermite positions are cheap enough to
    compute in line, into ``slot(k)`` when given (a buffer the caller reuses from chunk to chunk)."""
    from concurrent.futures import ThreadPoolExecutor

    bar = None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(plan.bounds), desc="coverage", unit="chunk")
    ns = len(plan.constellation)

    def get(k, out=None):
        a, b = plan.bounds[k]
        return plan.window().block(a, b, out=out)[0] if ns else np.zeros((b - a, 0, 3))

    try:
        if plan.positions == "exact" and ns:
            with ThreadPoolExecutor(max_workers=1) as ex:
                fut = ex.submit(get, 0)
                for k in range(len(plan.bounds)):
                    pos = fut.result()
                    if k + 1 < len(plan.bounds):
                        fut = ex.submit(get, k + 1)
                    yield k, pos
                    if bar is not None:
                        bar.update(1)
        else:
            for k in range(len(plan.bounds)):
                yield k, get(k, None if slot is None else slot(k))
                if bar is not None:
                    bar.update(1)
    finally:
        if bar is not None:
            bar.close()
    if ns:
        win = plan.window()
        first, code = win.failures()
        warn_failures(plan.constellation, first, code, win.node_times if plan.positions == "hermite" else plan.times,
                       stacklevel=4)


def chunk_positions(plan: RunPlan, k: int, out: np.ndarray | None = None) -> tuple[np.ndarray, int]:
    """Positions of chunk ``k`` with its lead (up to two samples before it): ``(pos, n_lead)``, ``pos``
    float64 ``(n_lead + n_chunk, n_sat, 3)``.  Bit-identical to the streamed positions whatever the order
    chunks are computed in (:class:`~constellation.propagation.ItrsWindow` guarantees it).  ``out``: an
    optional C-contiguous float64 buffer ``(m, n_sat, 3)`` with ``m >= n_lead + n_chunk``; ``pos`` is then
    its first rows (a caller running chunk after chunk saves allocating and page-faulting a new array)."""
    a, b = plan.bounds[k]
    n_lead = min(2, a)
    if not len(plan.constellation):
        return np.zeros((n_lead + b - a, 0, 3)), n_lead
    if out is not None:
        if out.shape[0] < n_lead + b - a:
            raise ValueError(f"out has {out.shape[0]} rows, chunk {k} needs {n_lead + b - a}")
        out = out[:n_lead + b - a]
    return plan.window().block(a - n_lead, b, out=out)[0], n_lead


def kernel_block_steps(n_sat: int) -> int:
    """Steps per call of the row kernel (:func:`constellation.kernels.sweep.coverage_rows`) for
    ``n_sat`` satellites: as many as keep that call's satellite table near :data:`KERNEL_BLOCK_BYTES`
    (72 B per satellite-step), at least :data:`MIN_KERNEL_BLOCK`.  A chunk longer than this is done as
    several calls that resume one state (identical results); see :data:`KERNEL_BLOCK_BYTES`."""
    return int(max(MIN_KERNEL_BLOCK, KERNEL_BLOCK_BYTES // (72 * max(int(n_sat), 1))))


def chunk_state(plan: RunPlan, k: int, pos: np.ndarray | None = None, n_lead: int | None = None,
                out: np.ndarray | None = None,
                block_steps: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """Partial result of chunk ``k``: its reduction state ``(n_out * n_cells, N_FIELDS)`` (opening at the
    chunk's lead sample, so consecutive chunks meet in :func:`constellation.kernels.reductions.combine`),
    its covered cells per row ``(n_out, n_rows, n_chunk)`` and (point grids) satellites in view
    ``(n_out, n_chunk, n_cells)`` or None.  Positions are computed here unless given (with their lead);
    ``out`` is an optional state buffer to reuse.

    The row kernel runs over blocks of at most ``block_steps`` steps (default
    :func:`kernel_block_steps`), each resuming the state the block before left (``resume``): the result
    is the same whatever the block length, only the memory the kernel sweeps per row changes.
    """
    if pos is None:
        pos, n_lead = chunk_positions(plan, k)
    a, b = plan.bounds[k]
    rg = plan.rows
    n_out, n_cells, n_new = plan.n_out, plan.n_cells, b - a
    state = np.empty((n_out, n_cells, red.N_FIELDS), np.int64) if out is None else out.reshape(
        n_out, n_cells, red.N_FIELDS)
    row_cov = np.zeros((n_out, plan.n_rows, n_new), np.int32)
    siv = np.zeros((n_out, n_new, n_cells), np.int16) if plan.keep_sats_in_view else np.zeros((0, 0, 0), np.int16)
    step_max = kernel_block_steps(len(plan.constellation)) if block_steps is None else int(block_steps)
    if step_max < 1:
        raise ValueError(f"block_steps must be >= 1, got {block_steps}")
    n_blocks = -(-n_new // step_max)
    edges = [n_new * j // n_blocks for j in range(n_blocks + 1)]
    for j in range(n_blocks):
        e0, e1 = edges[j], edges[j + 1]
        # a later block leads with (up to) the two samples before it, from this chunk's own positions
        lead = n_lead if j == 0 else min(2, n_lead + e0)
        p0, p1 = n_lead + e0 - lead, n_lead + e1
        whole = n_blocks == 1
        rc = row_cov if whole else np.zeros((n_out, plan.n_rows, e1 - e0), np.int32)
        sv = siv if whole or not plan.keep_sats_in_view else np.zeros((n_out, e1 - e0, n_cells), np.int16)
        # per block, so that the geometry (48 B per satellite-step) is read back while still in cache
        geo = visibility.sat_geometry(pos[p0:p1], plan.sats_f, plan.sats_i, rg.r_min_km)
        gw_frac = None
        if plan.gateways is not None:
            # bent pipe: a satellite without a gateway in view serves nothing at that sample (out of the
            # satellite table: NaN cap); the instants links change refine the cells' edges
            linked, gw_frac = gatewaylinks.relay_links(pos[p0:p1], plan.ticks[a + e0 - lead:a + e1], plan.gateways,
                                                       plan.sat_gateways)
            geo[:, :, visibility.GEO_CAP][linked == 0] = np.nan
        opts = np.array([lead, a + e0, bool(_FAST_ARCS), plan.with_any, plan.refine, j > 0], np.int64)
        sweep.coverage_rows(pos[p0:p1], geo, plan.ticks[a + e0 - lead:a + e1], rg.cells, rg.rows_f, rg.rows_i,
                            plan.sats_f, plan.sats_i, plan.service_min_sats, opts, state, rc, sv,
                            sun=None if plan.sun is None else plan.sun[a + e0 - lead:a + e1], serv_sun=plan.serv_sun,
                            gw_frac=gw_frac)
        if not whole:
            row_cov[:, :, e0:e1] = rc
            if plan.keep_sats_in_view:
                siv[:, e0:e1] = sv
    return state.reshape(n_out * n_cells, red.N_FIELDS), row_cov, (siv if plan.keep_sats_in_view else None)


class Assembler:
    """Folds chunk results, in time order, into the whole run's state, coverage series and counts."""

    def __init__(self, plan: RunPlan):
        self.plan = plan
        n_t = plan.times.size
        self.state = None
        self.next_k = 0
        self.siv = np.zeros((plan.n_out, n_t, plan.n_cells), np.int16) if plan.keep_sats_in_view else None
        # area-weighted covered fraction per sample, from covered cells per row (a row's cells share one
        # weight); kept instead of the per-row series so memory does not grow with the window
        g = plan.grid
        w = np.asarray(g.weights(), float)
        rs = np.asarray(g.row_start)
        self.row_w = np.ascontiguousarray(w[rs] if rs.size else np.zeros(0))
        total = float((self.row_w * np.asarray(g.row_count)).sum())
        self.total_w = total if total > 0 else 1.0
        self.acf = np.zeros((plan.n_out, n_t))

    def add(self, k: int, state: np.ndarray, row_cov: np.ndarray, siv: np.ndarray | None) -> None:
        """Fold chunk ``k`` (chunks must come in order; ``state`` may be kept as the accumulator)."""
        if k != self.next_k:
            raise ValueError(f"chunk {k} arrived out of order (expected {self.next_k})")
        a, b = self.plan.bounds[k]
        if self.state is None:
            self.state = state
        else:
            red.combine_into(self.state, state)
        red.area_fraction(row_cov, self.row_w, self.total_w, self.acf, a)
        if self.siv is not None:
            self.siv[:, a:b] = siv
        self.next_k += 1

    def result(self) -> dict:
        p = self.plan
        if self.next_k != len(p.bounds):
            raise ValueError(f"only {self.next_k} of {len(p.bounds)} chunks were folded")
        return dict(constellation=p.constellation, times=p.times, grid=p.grid,
                    state=self.state.reshape(p.n_out, p.n_cells, red.N_FIELDS), acf=self.acf, siv=self.siv,
                    service_labels=p.service_labels, requirements=p.requirements, with_any=p.with_any,
                    positions=_position_attrs(p))


def _position_attrs(plan: RunPlan) -> dict:
    """Dataset attributes describing how the positions were obtained (with the estimated Hermite error)."""
    if plan.positions == "exact" or not len(plan.constellation):
        return dict(positions="SGP4 (python-sgp4) at every sample, TEME -> ITRS", position_error_max_m=0.0,
                    **({"position_note": plan.position_note} if plan.position_note else {}))
    gaps_us = np.diff(plan.ticks)
    if gaps_us.size and gaps_us.min() == gaps_us.max() == round(plan.node_step_s * 1e6):
        text = "SGP4 (numba kernel for near-Earth satellites) at every sample, TEME -> ITRS"
    else:
        text = (f"SGP4 at nodes every {plan.node_step_s:g} s, turned into ITRS, Hermite interpolation of "
                f"positions and velocities over {plan.stencil} nodes (degree {2 * plan.stencil - 1})")
    out = dict(positions=text,
               position_node_step_s=float(plan.node_step_s),
               position_error_max_m=round(float(plan.position_error_m), 3),
               position_error_rule="largest interpolation error against SGP4 at every sample, over 16 node "
                                   "intervals spread over the window (three points each), all satellites")
    if plan.position_note:
        out["position_note"] = plan.position_note
    return out


