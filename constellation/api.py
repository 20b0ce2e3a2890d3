"""The public coverage functions: :func:`coverage` (figures of merit as an ``xarray.Dataset``) and
:func:`coverage_counts` (raw per-sample counts), composed from the coverage engine
(:mod:`constellation.engine`) and its runners (:mod:`constellation.runners`).

Window-edge rule (``window_edges``), edge refinement and the definition of every figure of merit (with
its STK Coverage figure-of-merit name) are in :mod:`constellation.kernels.reductions`; the Dataset
attributes repeat them.
"""

from __future__ import annotations

import inspect
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import numpy as np

from .engine import EDGE_RULES, NADIRS, Requirement, check_grid_arg, make_plan
from .formats import DatasetParts, build_dataset
from .grid import Grid, global_grid
from .kernels import precompile
from .kernels import reductions as red
from .runners import run_plan, run_serial

if TYPE_CHECKING:  # xarray is imported where a Dataset is built (it is most of the start-up time)
    import xarray as xr

__all__ = ["coverage", "coverage_parts", "coverage_counts", "Requirement", "EDGE_RULES"]


_ACCESS_RULE = "accesses touching the window ends are counted, truncated at the window edges"
_REFINE_RULE = {
    True: "transition times found between samples: each satellite that rose or set contributes the zero of "
          "its margin (min of sin(el) - sin(mask) and, for a cone, cos(nadir) - cos(half-angle)) on its "
          "position between the two samples (the chord bent by the two-body + J2 + rotating-frame "
          "acceleration), found by inverse quadratic interpolation kept inside the sign bracket until a step "
          "moves the time by at most 1 ms; each service whose Sun limit changed contributes the zero of its Sun "
          "margin on the normalised chord of the Sun directions (a quadratic, solved in closed form); the events "
          "are replayed in time order and the edge is the last one "
          "that switched coverage (so min_sats > 1 and Sun limits are exact too)",
    False: "transitions on samples: an access runs from its first to its last covered sample",
}


_SUN_RULE = ("a satellite serves a cell only while the Sun's elevation above the cell's WGS84 horizon is within "
             "[min_sun_elevation_deg, max_sun_elevation_deg]: apparent geocentric Sun direction from JPL DE421 "
             "(skyfield-data), one unit vector per sample, elevation asin(sun . up), no parallax (< 0.0025 deg) "
             "or refraction; figures of merit come from the coverage intervals cut to the Sun intervals")

_GATEWAY_RULE = ("bent pipe: a satellite serves a cell only while it also sees at least one gateway at or above "
                 "that gateway's elevation mask (WGS84 ellipsoid normal, the same exact test as the cells); the "
                 "instants it gains or loses its last gateway are found between samples like the other edges")

_FOM_ATTRS = {
    "coverage_fraction": ("fraction of the analysis time with at least min_sats satellites serving", "1",
                          "Coverage Time: Percent Time Covered (as a fraction)"),
    "coverage_time_s": ("time with at least min_sats satellites serving", "s", "Coverage Time: Total"),
    "sats_in_view_min": ("minimum number of satellites serving, over the samples", "1",
                         "N Asset Coverage: Minimum"),
    "sats_in_view_mean": ("mean number of satellites serving, over the samples", "1",
                          "N Asset Coverage: Average"),
    "sats_in_view_max": ("maximum number of satellites serving, over the samples", "1",
                         "N Asset Coverage: Maximum"),
    "revisit_max_s": ("longest coverage gap", "s", "Revisit Time: Maximum"),
    "revisit_mean_s": ("mean coverage gap", "s", "Revisit Time: Average"),
    "revisit_std_s": ("standard deviation of the coverage gaps (population)", "s",
                      "Revisit Time: Std Deviation"),
    "gap_count": ("number of coverage gaps", "1", "Number of Gaps"),
    "time_average_gap_s": ("sum of squared gaps over the analysis time", "s", "Time Average Gap"),
    "response_mean_s": ("mean wait from a random instant to the next coverage: sum of squared gaps / "
                        "(2 x analysis time)", "s", "Response Time: Average"),
    "response_max_s": ("longest wait for coverage (longest gap)", "s", "Response Time: Maximum"),
    "access_count": ("number of accesses (covered intervals)", "1", "Number of Accesses"),
    "access_duration_mean_s": ("mean access duration", "s", "Access Duration: Average"),
    "access_duration_max_s": ("longest access duration", "s", "Access Duration: Maximum"),
    "first_access_s": ("start of the first access after the window start", "s",
                       "Simple Coverage: time of first access"),
    "revisit_daylight_max_s": ("longest coverage gap counting only the time within the Sun limits at the cell",
                               "s", "Revisit Time: Maximum, over the time within the Sun limits"),
    "revisit_daylight_mean_s": ("mean coverage gap counting only the time within the Sun limits at the cell "
                                "(gaps with no such time are none)", "s",
                                "Revisit Time: Average, over the time within the Sun limits"),
}


_INT_FOMS = ("gap_count", "access_count")
_NO_GAP_NOTE = ("NaN where the cell has no counted gap; time_average_gap_s and response times are 0 there "
                "if the cell is ever covered, NaN if never")


def coverage_counts(sats: Any, times: Any, grid: Grid | None = None, *, min_elevation_deg: float = 10.0,
                    half_angle_deg: float | None = None, requirements: dict[str, Requirement] | None = None,
                    chunk_steps: int | None = None, positions: str = "hermite",
                    nadir: str = "geocentric") -> np.ndarray:
    """Satellites serving each cell at each sample: int16 ``(n_time, n_cell)``, or
    ``(n_service + 1, n_time, n_cell)`` with ``requirements`` (last entry: the sum, "any").

    Materialises time x cells, so meant for small cases (tests, point grids).  ``positions`` and ``nadir``
    as for :func:`coverage`.
    """
    out = run_serial(sats, times, grid, min_elevation_deg=min_elevation_deg, half_angle_deg=half_angle_deg,
                     min_sats=1, requirements=requirements, refine_edges=False, chunk_steps=chunk_steps,
                     progress=False, want_siv=True, positions=positions, nadir=nadir)
    return out["siv"] if requirements is not None else out["siv"][0]


def coverage(sats: Any, times: Any, grid: Grid | None = None, *, min_elevation_deg: float = 10.0,
             half_angle_deg: float | None = None, min_sats: int = 1,
             requirements: dict[str, Requirement] | None = None, window_edges: str = "count",
             refine_edges: bool = True, chunk_steps: int | None = None, progress: bool = False,
             positions: str = "hermite", client: Any = None, checkpoint: Any = None,
             resume: bool = False, min_sun_elevation_deg: float | None = None,
             max_sun_elevation_deg: float | None = None, snapshots: Any = None, gateways: Any = None,
             gateway_min_elevation_deg: float | None = None, by_gateway: bool = False,
             nadir: str = "geocentric") -> xr.Dataset:
    """Coverage figures of merit of ``sats`` over ``grid`` at ``times``.

    Parameters
    ----------
    sats : Constellation, or anything :func:`constellation.as_constellation` takes
    times : datetime64 array (UTC, increasing; normally a uniform step from
        :func:`constellation.time_range`).  The analysis window is ``times[0] .. times[-1]``.
    grid : :class:`constellation.grid.Grid`, default ``global_grid(1.0)``
    min_elevation_deg, half_angle_deg, min_sats
        The requirement (see :class:`Requirement`) when ``requirements`` is not given.
    nadir : "geocentric" (default) or "geodetic"
        The axis of that requirement's nadir cone (with ``half_angle_deg``): the direction to the Earth's
        centre, or the inward WGS84 ellipsoid normal at the satellite's geodetic sub-point (the two differ
        by at most 0.19 deg).  With ``requirements``, set it per :class:`Requirement` instead.  Recorded in
        the ``nadir`` attribute.
    min_sun_elevation_deg, max_sun_elevation_deg : float, optional
        Sun limits of that requirement (deg, in [-90, 90]): a satellite serves a cell only while the
        Sun's elevation above the cell's horizon is at least / at most these (daylight imaging; night-time
        sensors).  Every figure of merit honours them: it is computed from the coverage intervals cut to
        the cell's Sun intervals.  With ``requirements``, set them per :class:`Requirement` instead.
    gateways, gateway_min_elevation_deg : optional
        Bent pipe: a satellite serves a cell only while it also sees at least one of these gateways (a
        station network: :class:`~constellation.stations.StationNetwork`, point grid, stations CSV path
        or sites; each at least its own elevation mask, ``gateway_min_elevation_deg`` (default 10) for
        those that state none).  Every figure of merit honours it, with the instants a satellite gains or
        loses its last gateway found between samples like the other edges.  With ``requirements``, set
        them per :class:`Requirement`.
    by_gateway : bool
        With ``gateways``: also ``coverage_fraction_by_gateway(gateway, cells)``, the fraction of the time
        each cell is served through each gateway alone (as if it were the only one; refined edges like
        the rest), from one more run per gateway (serial, in this process).  A cell served through two
        gateways at once counts for both.
    requirements : dict {group label: Requirement}, optional
        One service per sub-constellation group: satellites of that group serve under that group's
        requirement; satellites of other groups are ignored.  Adds a leading ``service`` dimension with
        one entry per key plus ``"any"`` (covered when any service covers; its ``sats_in_view`` is the sum).
    window_edges : "count" or "exclude"
        Whether gaps touching the window ends count (see :data:`EDGE_RULES`).
    refine_edges : bool
        Find access and gap edges between samples by root finding on interpolated positions (and Sun
        directions): within 0.1 s of the true crossing at steps up to 60 s (README, Accuracy).
    chunk_steps : int, optional
        Time steps per streamed chunk (default: automatic, ~150 MB of working memory).  The result is
        identical whatever the chunking.
    progress : bool
        Show a tqdm progress bar over chunks.
    positions : "hermite" (default) or "exact"
        Satellite positions at the samples: SGP4 at nodes a few minutes apart with degree-7 Hermite
        interpolation (:class:`constellation.propagation.ItrsWindow`, node step chosen for
        :data:`constellation.engine.POSITION_TOL_M`; the run's estimated error is in the
        ``position_error_max_m`` attribute), or SGP4 at every sample.
    client : distributed.Client, optional
        Run the time chunks on this dask cluster (:func:`constellation.distributed.run_dask`): the plan is
        sent to each worker once and chunk states are combined on the workers.  Without ``chunk_steps``
        the window is cut into about five chunks per worker thread, the last rounds shorter
        (:func:`constellation.distributed.dask_bounds`).  Bit-identical to the run without a client.
        Needs the optional ``dask`` extra.
    checkpoint : path, optional
        A Zarr store (:mod:`constellation.checkpoint`) that receives each finished chunk's partial results
        as the run goes, then the final Dataset (read it with :func:`constellation.io.read_dataset`).  An
        existing store is refused unless ``resume``.
    resume : bool
        With ``checkpoint``: continue the run in that store, computing only the chunks it lacks; a store
        made from different inputs is refused.  Bit-identical to an uninterrupted run.
    snapshots : int, duration or sequence of times, optional
        Also record the satellites serving each cell, and the sub-satellite points, at some samples: every
        k-th sample (an int), every ``"10m"`` (a multiple of the step), or the listed sample times
        (:mod:`constellation.snapshots`).  Adds ``sats_in_view_snapshot([service,] snapshot_time, cells)``
        and ``sat_lat_deg``/``sat_lon_deg``/``sat_alt_km(snapshot_time, satellite)``; the other results are
        unchanged.  Refused, saying what would fit, above :data:`constellation.snapshots.SNAPSHOT_MAX_BYTES`.

    Returns
    -------
    xarray.Dataset with the per-cell figures of merit of the contract (dims ``("lat", "lon")`` for
    regular grids, ``("cell",)`` otherwise), ``cell_area_km2``, ``area_covered_fraction(time)`` and, for
    point grids, ``sats_in_view(time, cell)`` (int16).  Definitions are in
    :mod:`constellation.kernels.reductions` and in each variable's attributes.
    """
    return _coverage(False, **locals())


def coverage_parts(sats: Any, times: Any, grid: Grid | None = None, **kwargs: Any) -> DatasetParts:
    """What :func:`coverage` returns, as the parts of its Dataset (:class:`~constellation.formats.DatasetParts`:
    numpy arrays and dicts), made without importing xarray: for a caller that builds the Dataset
    elsewhere (:func:`constellation.formats.build_dataset` makes the same Dataset), as the command line does
    in its writer process (:mod:`constellation.cli._child`).  Takes :func:`coverage`'s arguments, except
    ``snapshots``, ``by_gateway``, ``client`` and ``checkpoint``."""
    args = inspect.signature(coverage).bind(sats, times, grid, **kwargs)
    args.apply_defaults()
    for name in ("snapshots", "client", "checkpoint"):
        if args.arguments[name] is not None:
            raise ValueError(f"coverage_parts does not take {name}= (coverage() does)")
    if args.arguments["by_gateway"]:
        raise ValueError("coverage_parts does not take by_gateway= (coverage() does)")
    return _coverage(True, **args.arguments)


def _coverage(parts_only, sats, times, grid, *, min_elevation_deg, half_angle_deg, min_sats, requirements,
              window_edges, refine_edges, chunk_steps, progress, positions, client, checkpoint, resume,
              min_sun_elevation_deg, max_sun_elevation_deg, snapshots, gateways, gateway_min_elevation_deg,
              by_gateway, nadir):
    """:func:`coverage`, or with ``parts_only`` :func:`coverage_parts`."""
    if window_edges not in red_edges():
        raise ValueError(f"window_edges must be 'count' or 'exclude', got {window_edges!r}")
    grid = global_grid(1.0) if grid is None else grid
    check_grid_arg(grid)
    if by_gateway and gateways is None:
        raise ValueError("by_gateway=True needs gateways= (one requirement with gateways)")
    if not isinstance(nadir, str) or nadir not in NADIRS:
        raise ValueError(f"nadir must be one of {', '.join(repr(n) for n in NADIRS)}, got {nadir!r}")
    sun = dict(min_sun_elevation_deg=min_sun_elevation_deg, max_sun_elevation_deg=max_sun_elevation_deg)
    if gateways is not None or gateway_min_elevation_deg is not None:
        sun.update(gateways=gateways, gateway_min_elevation_deg=gateway_min_elevation_deg)
    snap_index = None
    if snapshots is not None:  # checked before the run, so a bad request fails at once
        if min_sun_elevation_deg is not None or max_sun_elevation_deg is not None or (requirements and any(
                getattr(r, "min_sun_elevation_deg", None) is not None
                or getattr(r, "max_sun_elevation_deg", None) is not None for r in requirements.values())):
            raise ValueError("snapshots do not apply Sun elevation limits: ask for one or the other")
        if "gateways" in sun or (requirements and any(getattr(r, "gateways", None) is not None
                                                       for r in requirements.values())):
            raise ValueError("snapshots do not apply gateways (bent pipe): ask for one or the other")
        from .snapshots import check_size, snapshot_indices

        n_times = np.asarray(times).size
        snap_index = snapshot_indices(times, snapshots)
        check_size(1 if requirements is None else len(requirements) + 1, snap_index.size, grid.n_cells, n_times)
    precompile.ensure((["coverage", "coverage-exact"] if positions == "exact" else ["coverage"])
                      + (["coverage-gateways"] if gateways is not None or (requirements and any(
                          getattr(r, "gateways", None) is not None for r in requirements.values())) else []))
    if client is None and checkpoint is None:
        if resume:
            raise ValueError("resume=True needs checkpoint= (the store to resume)")
        out = run_serial(sats, times, grid, min_elevation_deg=min_elevation_deg, half_angle_deg=half_angle_deg,
                         min_sats=min_sats, requirements=requirements, refine_edges=refine_edges,
                         chunk_steps=chunk_steps, progress=progress, want_siv=(grid.kind == "points"),
                         positions=positions, nadir=nadir, **sun)
    else:  # the same plan, on a dask cluster and/or through a checkpoint store
        # on a cluster the plan travels to the workers while its node step is chosen (run_dask)
        plan = make_plan(sats, times, grid, min_elevation_deg=min_elevation_deg, half_angle_deg=half_angle_deg,
                         min_sats=min_sats, requirements=requirements, refine_edges=refine_edges,
                         chunk_steps=chunk_steps, want_siv=(grid.kind == "points"), positions=positions,
                         background=client is not None and checkpoint is None, nadir=nadir, **sun)
        out = run_plan(plan, client=client, checkpoint=checkpoint, resume=resume, progress=progress,
                       rechunk=chunk_steps is None)
    parts = _dataset_parts(out, window_edges=window_edges, refine_edges=bool(refine_edges),
                           min_elevation_deg=min_elevation_deg, half_angle_deg=half_angle_deg, min_sats=min_sats,
                           nadir=nadir, **sun)
    if parts_only:
        return parts
    ds = build_dataset(parts)
    if by_gateway:
        ds = _with_gateway_fractions(ds, out, window_edges=window_edges, refine_edges=refine_edges,
                                     chunk_steps=chunk_steps, positions=positions, min_elevation_deg=min_elevation_deg,
                                     half_angle_deg=half_angle_deg, min_sats=min_sats, nadir=nadir, **sun)
    if snap_index is not None:
        from .snapshots import snapshot_variables

        data_vars, coords, attrs = snapshot_variables(
            out["constellation"], out["times"], grid, snap_index, min_elevation_deg=min_elevation_deg,
            half_angle_deg=half_angle_deg, requirements=requirements, with_any=out["with_any"], nadir=nadir)
        ds = ds.assign_coords(coords).assign(data_vars)
        ds.attrs.update(attrs)
    if checkpoint is not None:
        from .checkpoint import write_final

        write_final(checkpoint, ds)
    return ds


def _with_gateway_fractions(ds, out, *, window_edges, refine_edges, chunk_steps, positions, min_elevation_deg,
                            half_angle_deg, min_sats, min_sun_elevation_deg, max_sun_elevation_deg, gateways,
                            gateway_min_elevation_deg, nadir="geocentric"):
    """``ds`` with ``coverage_fraction_by_gateway``: one run per gateway of the resolved network."""
    net = out["requirements"][0].gateways
    grid = out["grid"]
    frac = []
    for name in net.names:
        one = run_serial(out["constellation"], out["times"], grid, min_elevation_deg=min_elevation_deg,
                         half_angle_deg=half_angle_deg, min_sats=min_sats, requirements=None,
                         refine_edges=refine_edges, chunk_steps=chunk_steps, progress=False, want_siv=False,
                         positions=positions, min_sun_elevation_deg=min_sun_elevation_deg,
                         max_sun_elevation_deg=max_sun_elevation_deg, gateways=net.select([name]), nadir=nadir)
        frac.append(red.finish(one["state"][0], window_edges)["coverage_fraction"].reshape(grid.shape))
    ds = ds.assign_coords(
        gateway=("gateway", np.asarray(net.names).astype(object), dict(long_name="gateway station")),
        gateway_lat=("gateway", net.lat_deg, dict(units="degrees_north", long_name="gateway latitude")),
        gateway_lon=("gateway", net.lon_deg, dict(units="degrees_east", long_name="gateway longitude")))
    ds["coverage_fraction_by_gateway"] = (("gateway", *grid.dims), np.stack(frac), dict(
        long_name="fraction of the analysis time with at least min_sats satellites serving that also see this "
                  "gateway (as if it were the only one)", units="1"))
    return ds


def red_edges() -> tuple[str, ...]:
    return tuple(EDGE_RULES)


def _dataset_parts(out: dict, *, window_edges, refine_edges, min_elevation_deg, half_angle_deg, min_sats,
                   min_sun_elevation_deg=None, max_sun_elevation_deg=None, gateways=None,
                   gateway_min_elevation_deg=None, nadir="geocentric") -> DatasetParts:
    from .version import __version__

    c, times, grid, state = out["constellation"], out["times"], out["grid"], out["state"]
    labels, with_any = out["service_labels"], out["with_any"]
    n_out = state.shape[0]
    foms = [red.finish(state[o], window_edges) for o in range(n_out)]
    gdims = grid.dims
    lead = ("service",) if with_any else ()

    def shape_cells(a):
        return a.reshape(grid.shape)

    data_vars = {}
    sun_limited = any(r.sun_limited for r in out["requirements"])
    for name in red.FOM_NAMES + (red.DAYLIGHT_FOM_NAMES if sun_limited else ()):
        arr = np.stack([shape_cells(f[name]) for f in foms]) if with_any else shape_cells(foms[0][name])
        long_name, units, stk = _FOM_ATTRS[name]
        attrs = dict(long_name=long_name, units=units, stk_name=stk)
        if name.startswith("revisit_") or name in ("time_average_gap_s", "response_mean_s", "response_max_s"):
            attrs["window_edges"] = EDGE_RULES[window_edges]
            attrs["comment"] = _NO_GAP_NOTE
        if name.startswith("access_"):
            attrs["window_edges"] = _ACCESS_RULE
        data_vars[name] = (lead + gdims, arr.astype(np.int64 if name in _INT_FOMS else np.float64), attrs)
    area = np.asarray(grid.area_km2, float)
    data_vars["cell_area_km2"] = (gdims, shape_cells(area), dict(
        long_name="cell area on the WGS84 ellipsoid (NaN for points)", units="km2"))
    acf = out["acf"]
    acf_attrs = dict(long_name="area-weighted fraction of the grid covered at each sample (unweighted for points)",
                     units="1", stk_name="Coverage: Percent Area Covered vs time (as a fraction)")
    if grid.kind != "points":
        acf_attrs["cell_methods"] = "area: mean"  # CF-1.10 section 7.3.4: a mean over the grid's area
    data_vars["area_covered_fraction"] = (lead + ("time",), acf if with_any else acf[0], acf_attrs)
    if out["siv"] is not None:
        siv = out["siv"]
        data_vars["sats_in_view"] = (lead + ("time", "cell"), siv if with_any else siv[0], dict(
            long_name="number of satellites serving the point at each sample", units="1",
            stk_name="N Asset Coverage vs time"))
    coords = {"time": ("time", times, dict(long_name="time", standard_name="time"))}
    coords.update(grid.coords())
    if grid.kind != "regular":
        coords["cell"] = ("cell", np.arange(grid.n_cells), dict(long_name="cell index"))
        if grid.kind == "points":
            coords["name"] = ("cell", np.asarray(grid.names).astype(object))
            coords["height_m"] = ("cell", np.asarray(grid.height_m, float), dict(
                units="m", long_name="height above the WGS84 ellipsoid"))
    if with_any:
        coords["service"] = ("service", np.array(list(labels) + ["any"], dtype=object))
    step = float(np.median(np.diff(times).astype("timedelta64[ns]").astype(np.int64))) / 1e9 \
        if times.size > 1 else 0.0
    iso = lambda t: np.datetime_as_string(t, unit="s") + "Z"  # noqa: E731
    attrs = dict(
        Conventions="CF-1.10",
        title="Constellation ground coverage figures of merit",
        source=c.source or "",
        constellation=c.name or "",
        n_satellites=len(c),
        time_coverage_start=iso(times[0]),
        time_coverage_end=iso(times[-1]),
        step_s=step,
        min_elevation_deg=float(min_elevation_deg),
        half_angle_deg=None if half_angle_deg is None else float(half_angle_deg),  # no cone: no attribute
        nadir=nadir,
        min_sats=int(min_sats),
        window_edges=window_edges,
        window_edges_rule=EDGE_RULES[window_edges] + "; " + _ACCESS_RULE,
        refine_edges=int(refine_edges),
        refine_edges_rule=_REFINE_RULE[refine_edges],
        visibility="elevation above the WGS84 ellipsoid-normal horizon >= min_elevation_deg (and inside the "
                   "nadir cone when half_angle_deg is set, about the nadir named by the nadir attribute: "
                   "geocentric, towards the Earth's centre, or geodetic, the inward WGS84 ellipsoid normal at "
                   "the satellite's geodetic sub-point), exact per cell and sample",
        grid=grid.description or grid.kind,
        history=f"{datetime.now(UTC).strftime('%Y-%m-%dT%H:%M:%SZ')} constellation.coverage()",
        software=f"constellation {__version__}",
    )
    if half_angle_deg is None:
        del attrs["half_angle_deg"]
    attrs.update(out.get("positions", {}))
    for name, v in (("min_sun_elevation_deg", min_sun_elevation_deg), ("max_sun_elevation_deg", max_sun_elevation_deg)):
        if v is not None:
            attrs[name] = float(v)
    if any(r.sun_limited for r in out["requirements"]):
        attrs["sun_rule"] = _SUN_RULE
    gw_reqs = [r for r in out["requirements"] if r.gateway_limited]
    if gw_reqs:
        attrs["gateway_rule"] = _GATEWAY_RULE
        if not with_any:
            net = gw_reqs[0].gateways
            attrs["gateways"] = ", ".join(f"{n} ({la:.4f}, {lo:.4f}, mask {m:g} deg)" for n, la, lo, m in zip(
                net.names, net.lat_deg, net.lon_deg, net.min_elevation_deg))
    if with_any:
        attrs["requirements"] = "; ".join(
            f"{k}: min_elevation_deg={r.min_elevation_deg:g}, half_angle_deg="
            f"{'none' if r.half_angle_deg is None else f'{r.half_angle_deg:g}'}, min_sats={r.min_sats}"
            + "".join(f", {n}={getattr(r, n):g}" for n in ("min_sun_elevation_deg", "max_sun_elevation_deg")
                      if getattr(r, n) is not None)
            + (f", gateways={','.join(f'{n}({m:g})' for n, m in zip(r.gateways.names, r.gateways.min_elevation_deg))}"
               if r.gateway_limited else "")
            + (f", nadir={r.nadir}" if r.nadir != "geocentric" else "")
            for k, r in zip(labels, out["requirements"]))
    return DatasetParts(data_vars, coords, attrs,
                        "name" if grid.kind == "points" else None)  # sites by name: ds.sel(name="Jinan")
