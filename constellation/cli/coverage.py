"""``constellation coverage``: ground coverage figures of merit over a grid or sites, saved to NetCDF/Zarr.

Runs :func:`constellation.coverage` for a constellation (default: the shipped Jinan-368 plan)
over a time window, writes the result with :func:`constellation.io.write_dataset` and prints a
one-paragraph summary: area-weighted mean coverage, the fraction of the area covered continuously, the
worst revisit gap and where it is, the mean number of satellites in view, the run time and the output.

A ``.zarr`` output is a resumable run (:mod:`constellation.checkpoint`): each finished time chunk's partial
results are written to the store as the run goes, and ``--resume`` continues a killed run where it
stopped (bit-identical result; a store from other inputs is refused).  ``--scheduler ADDRESS`` runs the
chunks on a dask cluster (:mod:`constellation.distributed`).  A ``.nc`` output is written once, at the end.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from ._common import build_grid, import_in_background, load_elements, modules_hidden, select

#: Service requirements ``--per-group`` uses for the Jinan-368 groups (override with ``--requirement``).
#:
#: * ``eo`` (Earth observation): a cell is served when it lies within 30 deg of the satellite's nadir,
#:   the off-nadir pointing range typical of small agile optical imagers (beyond it ground resolution
#:   degrades roughly as 1/cos^2 of the off-nadir angle), and above a 10 deg elevation mask.  At the
#:   plan's 535 km the 30 deg cone is the binding limit: it corresponds to about 57 deg elevation.
#: * ``comm`` (communication) and ``nav`` (navigation augmentation): a 10 deg elevation mask, the
#:   usual minimum for user terminals and GNSS-style receivers; no cone (whole visible footprint).
#:
#: Groups not listed here use the command's ``--min-elevation``, ``--half-angle`` and ``--min-sats``.
DEFAULT_REQUIREMENTS: dict[str, dict[str, Any]] = {
    "eo": dict(min_elevation_deg=10.0, half_angle_deg=30.0, min_sats=1),
    "comm": dict(min_elevation_deg=10.0, half_angle_deg=None, min_sats=1),
    "nav": dict(min_elevation_deg=10.0, half_angle_deg=None, min_sats=1),
}

_REQ_KEYS = {
    "elev": "min_elevation_deg", "el": "min_elevation_deg", "elevation": "min_elevation_deg",
    "min_elevation": "min_elevation_deg", "min_elevation_deg": "min_elevation_deg",
    "half": "half_angle_deg", "half_angle": "half_angle_deg", "half_angle_deg": "half_angle_deg",
    "n": "min_sats", "min_sats": "min_sats",
}

EPILOG = """\
examples:
  constellation coverage                                   # Jinan-368, 1 day at 30 s, 1 deg global grid
  constellation coverage --duration 6h --step 60s --grid-deg 2 --output cov.zarr
  constellation coverage --region=20,55,70,140 --grid-deg 0.5 --min-elevation 20
  constellation coverage --per-group --requirement eo:elev=15,half=25 --output services.nc
  constellation coverage gps-ops.txt --min-elevation 5 --min-sats 4 --grid-deg 5
  constellation coverage --duration 7d --output week.zarr            # resumable: kill it, then
  constellation coverage --duration 7d --output week.zarr --resume   # ... finishes where it stopped
  constellation coverage --grid-deg 2 --snapshots 10m -o day.nc      # then: constellation animate day.nc
  constellation coverage --scheduler tcp://10.0.0.5:8786 --output week.zarr --duration 7d

A region that starts with a minus sign needs '=': --region=-10,10,-20,20.
--per-group defaults: eo: half-angle 30 deg (off-nadir pointing limit of small agile imagers) and
10 deg elevation; comm and nav: 10 deg elevation; other groups: --min-elevation/--half-angle/--min-sats.
"""


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    p = subparsers.add_parser(
        "coverage",
        help="coverage figures of merit (coverage time, revisit, satellites in view) over a grid or sites",
        description="Compute ground coverage of a constellation (default: the shipped Jinan-368 plan) over "
                    "a global grid, a region, an equal-area grid or sites, and write the per-cell figures "
                    "of merit to NetCDF (.nc) or Zarr (.zarr).  Prints a summary at the end.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("elements", nargs="?", metavar="ELEMENTS",
                   help="TLE/3LE/OMM element file (default: the shipped Jinan-368 plan)")
    p.add_argument("--start", metavar="ISO",
                   help="window start, UTC (default: the plan epoch 2026-01-01T00:00:00Z for the plan, else "
                        "the median element epoch of the file rounded down to the hour)")
    p.add_argument("--duration", default="1d", help="window length, e.g. 2h, 1d (default 1d)")
    p.add_argument("--step", default="30s", help="time step, e.g. 30s, 1m (default 30s)")
    p.add_argument("--grid-deg", type=float, default=1.0, metavar="DEG",
                   help="grid resolution in degrees (default 1)")
    p.add_argument("--equal-area", action="store_true", help="near-equal-area global grid instead of lat/lon")
    p.add_argument("--region", metavar="S,N,W,E",
                   help="regional lat/lon box in degrees (west > east crosses the antimeridian)")
    p.add_argument("--sites", metavar="CSV", help="sites CSV (columns name, lat, lon[, height_m]) instead of a grid")
    p.add_argument("--min-elevation", type=float, default=10.0, metavar="DEG",
                   help="elevation mask in degrees (default 10)")
    p.add_argument("--half-angle", type=float, default=None, metavar="DEG",
                   help="sensor / antenna nadir cone half-angle in degrees (default: none)")
    p.add_argument("--min-sats", type=int, default=1, metavar="N",
                   help="satellites needed at once for a cell to count as covered (default 1)")
    p.add_argument("--group", nargs="+", action="extend", metavar="G",
                   help="use only these sub-constellation groups (e.g. eo comm)")
    p.add_argument("--launched", action="store_true", help="use only launched satellites")
    p.add_argument("--per-group", action="store_true",
                   help="a service per group with its own requirement (defaults in the epilog), plus 'any'")
    p.add_argument("--requirement", action="append", default=[], metavar="GROUP:elev=E,half=H,n=N",
                   help="requirement of one group (repeatable; implies --per-group), e.g. eo:elev=10,half=30")
    p.add_argument("--exclude-window-edges", action="store_true",
                   help="do not count gaps that touch the window start or end (STK's optimistic rule)")
    p.add_argument("--no-refine", action="store_true",
                   help="do not interpolate access and gap edges between samples")
    p.add_argument("-o", "--output", default="coverage.nc", metavar="PATH",
                   help="output file, .nc (NetCDF-4) or .zarr (default: coverage.nc in the current folder); "
                        "a .zarr output keeps each finished time chunk as it goes, so the run can be resumed")
    p.add_argument("--resume", action="store_true",
                   help="continue the run stored in the --output .zarr store (computes only the chunks it "
                        "lacks; refused if the store was made from different inputs)")
    p.add_argument("--chunk-steps", type=int, default=None, metavar="N",
                   help="time steps per chunk (default: automatic); a resumable run saves one chunk at a time. "
                        "The result does not depend on it")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the time chunks on the dask cluster whose scheduler is at ADDRESS "
                        "(e.g. tcp://10.0.0.5:8786); needs the 'dask' extra")
    p.add_argument("--exact-positions", action="store_true",
                   help="SGP4 at every sample (default: SGP4 at nodes minutes apart + Hermite interpolation, "
                        "error estimated per run in the position_error_max_m attribute)")
    p.add_argument("--snapshots", metavar="EVERY",
                   help="also record the satellites serving each cell and the sub-satellite points every EVERY "
                        "(a duration such as 10m, a multiple of --step, or a whole number of samples), for "
                        "'constellation animate' and the report's animation")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar and no summary")
    p.set_defaults(func=run)

    def one_line_error(message: str) -> None:  # argparse prints usage + error; keep it to one line
        print(f"constellation coverage: error: {message} (see 'constellation coverage --help')",
              file=sys.stderr)
        raise SystemExit(2)

    p.error = one_line_error  # type: ignore[method-assign]
    return p


# -- argument parsing helpers --------------------------------------------------------------------------

def parse_requirement(text: str) -> tuple[str, dict[str, Any]]:
    """``"GROUP:elev=10,half=30,n=1"`` -> ``("GROUP", {...})``; ``half=none`` for no cone."""
    group, sep, body = str(text).partition(":")
    group = group.strip()
    if not sep or not group:
        raise ValueError(f"--requirement: expected GROUP:elev=E,half=H,n=N (e.g. eo:elev=10,half=30), got {text!r}")
    out: dict[str, Any] = {}
    for item in filter(None, (s.strip() for s in body.split(","))):
        key, eq, value = item.partition("=")
        name = _REQ_KEYS.get(key.strip().lower())
        if not eq or name is None:
            raise ValueError(f"--requirement {text!r}: cannot read {item!r}; expected elev=DEG, half=DEG "
                             f"(or half=none) or n=COUNT")
        value = value.strip()
        try:
            if name == "min_sats":
                out[name] = int(value)
                if out[name] < 1:
                    raise ValueError
            elif name == "half_angle_deg" and value.lower() in ("none", "off", ""):
                out[name] = None
            else:
                out[name] = float(value)
                if not math.isfinite(out[name]):
                    raise ValueError
        except ValueError:
            expected = "a whole number >= 1" if name == "min_sats" else "a number of degrees"
            raise ValueError(f"--requirement {text!r}: {key.strip()}={value!r} is not {expected}") from None
    if not out:
        raise ValueError(f"--requirement {text!r}: give at least one of elev=, half=, n=")
    return group, out


def _requirements(args: argparse.Namespace, sats) -> dict | None:
    if not (args.per_group or args.requirement):
        return None
    from ..engine import Requirement

    groups = list(dict.fromkeys(str(g) for g in sats.groups))
    if groups == [""] or not groups:
        raise ValueError("--per-group/--requirement need satellites with group labels (like the plan's eo, "
                         "comm, nav); these satellites have none")
    base = dict(min_elevation_deg=args.min_elevation, half_angle_deg=args.half_angle, min_sats=args.min_sats)
    reqs = {g: dict(DEFAULT_REQUIREMENTS.get(g, base)) for g in groups}
    for text in args.requirement:
        g, values = parse_requirement(text)
        if g not in reqs:
            raise ValueError(f"--requirement {text!r}: no satellites in group {g!r}; groups present: "
                             f"{', '.join(groups)}")
        reqs[g].update(values)
    return {g: Requirement(**r) for g, r in reqs.items()}


# -- summary -------------------------------------------------------------------------------------------

def _weights(ds) -> np.ndarray | None:
    if "cell_area_km2" in ds:
        w = np.asarray(ds["cell_area_km2"].values, dtype=float)
        if np.isfinite(w).all() and w.sum() > 0:
            return w
    return None


def _where(ds, index: tuple[int, ...]) -> str:
    """Describe the cell at ``index`` (in the per-cell array's own layout): site name or lat/lon."""
    if "name" in ds.coords and ds["name"].dims == ("cell",):
        return str(ds["name"].values[index[-1]])
    if ds["lat"].ndim == 1 and "lon" in ds.dims:
        lat, lon = float(ds["lat"].values[index[0]]), float(ds["lon"].values[index[1]])
    else:
        lat, lon = float(ds["lat"].values[index[-1]]), float(ds["lon"].values[index[-1]])
    return f"lat {lat:+.1f}, lon {lon:+.1f}"


def summarize(ds, *, run_s: float | None = None, output: str | None = None) -> str:
    """One paragraph on a coverage result: area-weighted coverage, the fraction of the area covered
    continuously, the worst revisit (where), the mean number of satellites in view, run time, output.

    With a ``service`` dimension, the figures are those of the ``"any"`` service, followed by each
    service's area-weighted coverage.
    """
    one = ds.sel(service="any") if "service" in ds.dims else ds
    w = _weights(one)
    wts = np.ones(one["coverage_fraction"].shape) if w is None else w.reshape(one["coverage_fraction"].shape)
    kind = "area-weighted" if w is not None else "site-averaged"

    def mean(name: str, obj=one) -> float:
        v = np.asarray(obj[name].values, dtype=float)
        ok = np.isfinite(v)
        return float((v[ok] * wts[ok]).sum() / wts[ok].sum()) if ok.any() else float("nan")

    cf = np.asarray(one["coverage_fraction"].values, dtype=float)
    continuous = float(wts[cf >= 1.0 - 1e-9].sum() / wts.sum())
    parts = [f"Coverage of {ds.attrs.get('n_satellites', '?')} satellites "
             f"({ds.attrs.get('constellation') or ds.attrs.get('source') or 'constellation'}), "
             f"{ds.attrs.get('time_coverage_start', '?')} to {ds.attrs.get('time_coverage_end', '?')} "
             f"every {float(ds.attrs.get('step_s', float('nan'))):g} s, over {ds.attrs.get('grid', 'the grid')}: "
             f"{kind} mean coverage {100 * mean('coverage_fraction'):.2f}% of the time; "
             f"{100 * continuous:.2f}% of the {'area' if w is not None else 'sites'} covered continuously"]
    rv = np.asarray(one["revisit_max_s"].values, dtype=float)
    if np.isfinite(rv).any():
        idx = np.unravel_index(int(np.nanargmax(rv)), rv.shape)
        parts.append(f"worst revisit gap {np.nanmax(rv) / 60.0:.1f} min at {_where(one, idx)}")
    else:
        parts.append("no coverage gaps anywhere")
    parts.append(f"mean {mean('sats_in_view_mean'):.2f} satellites in view")
    if "service" in ds.dims:
        per = ", ".join(f"{s}: {100 * mean('coverage_fraction', ds.sel(service=s)):.2f}%"
                        for s in ds["service"].values if s != "any")
        parts.append(f"per service {per} (figures above for 'any')")
    text = "; ".join(parts) + "."
    tail = []
    if run_s is not None:
        tail.append(f"Run time {run_s:.1f} s")
    if output:
        tail.append(f"written to {output}")
    return text + (" " + ", ".join(tail) + "." if tail else "")


def _long_run(n_sat: int, n_step: int, n_cell: int) -> bool:
    """Whether a run is big enough (likely over a couple of seconds) to deserve a progress bar: at least
    1e10 satellite-cell-steps (the default case, Jinan-368 x 1 deg x 1 day at 30 s, is 6.9e10)."""
    return float(n_sat) * n_step * n_cell >= 1e10


# -- run -----------------------------------------------------------------------------------------------

def run(args: argparse.Namespace) -> int:
    # dask only with --scheduler (xarray would load it just to look for dask arrays); xarray and the NetCDF
    # writer load beside the computation, ready for the result
    with modules_hidden(() if args.scheduler else ("dask", "distributed")):
        import_in_background("xarray", "h5netcdf")
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from ..io import cf_attrs, output_format, write_dataset
    from ..timescale import parse_duration, parse_time, time_range

    t_start = time.perf_counter()
    # cheap checks first, so bad input fails before any work
    checkpointed = output_format(args.output) == "zarr"
    out_dir = Path(args.output).resolve().parent
    if not out_dir.is_dir():
        raise FileNotFoundError(f"--output: folder {str(out_dir)!r} does not exist")
    if args.resume and not checkpointed:
        raise ValueError(f"--resume needs a .zarr --output (a resumable store), got {args.output!r}")
    if checkpointed and not args.resume and Path(args.output).exists():
        raise ValueError(f"--output {args.output!r} already exists: add --resume to continue the run stored "
                         f"there, or remove it to start again")
    try:
        duration_s = parse_duration(args.duration)
    except ValueError as exc:
        raise ValueError(f"--duration: {exc}") from None
    try:
        step_s = parse_duration(args.step)
    except ValueError as exc:
        raise ValueError(f"--step: {exc}") from None
    if step_s <= 0 or duration_s <= 0:
        raise ValueError(f"--duration and --step must be positive, got {args.duration!r} and {args.step!r}")
    if step_s > duration_s:
        raise ValueError(f"--step {args.step!r} is longer than --duration {args.duration!r}")
    if args.min_sats < 1:
        raise ValueError(f"--min-sats must be at least 1, got {args.min_sats}")
    if not -90 <= args.min_elevation < 90:
        raise ValueError(f"--min-elevation must lie in [-90, 90) degrees, got {args.min_elevation:g}")
    if args.half_angle is not None and not 0 < args.half_angle <= 180:
        raise ValueError(f"--half-angle must lie in (0, 180] degrees, got {args.half_angle:g}")
    grid = build_grid(args.grid_deg, region=args.region, sites=args.sites, equal_area=args.equal_area)
    sats, default_start, label = load_elements(args.elements)
    sats = select(sats, args.group, args.launched)
    if args.start:
        try:
            start = parse_time(args.start)
        except (ValueError, TypeError) as exc:
            raise ValueError(f"--start: {exc}") from None
    else:
        start = default_start
    times = time_range(start, step_s=step_s, duration=duration_s)
    requirements = _requirements(args, sats)

    from ..api import coverage

    progress = not args.quiet and _long_run(len(sats), times.size, grid.n_cells)
    kwargs: dict[str, Any] = dict(
        min_elevation_deg=args.min_elevation, half_angle_deg=args.half_angle, min_sats=args.min_sats,
        window_edges="exclude" if args.exclude_window_edges else "count", refine_edges=not args.no_refine,
        progress=progress, positions="exact" if args.exact_positions else "hermite")
    if args.chunk_steps is not None:
        if args.chunk_steps < 1:
            raise ValueError(f"--chunk-steps must be at least 1, got {args.chunk_steps}")
        kwargs["chunk_steps"] = args.chunk_steps
    elif progress:  # the bar advances per time chunk: ask for ~40 of them (the result does not depend on it)
        kwargs["chunk_steps"] = max(1, -(-times.size // 40))
    if requirements is not None:
        kwargs["requirements"] = requirements
    if args.snapshots:
        from ..snapshots import snapshot_indices

        every = args.snapshots.strip()
        kwargs["snapshots"] = int(every) if every.isdigit() else every
        try:
            snapshot_indices(times, kwargs["snapshots"])
        except ValueError as exc:
            raise ValueError(f"--{exc}") from None
    if checkpointed:
        kwargs.update(checkpoint=args.output, resume=args.resume)
    client = None
    if args.scheduler:
        from ..distributed import require_distributed

        client = require_distributed().Client(args.scheduler, timeout="30s")
        kwargs["client"] = client
    try:
        ds = coverage(sats, times, grid, **kwargs)
    finally:
        if client is not None:
            client.close()
    ds = cf_attrs(ds, history=f"constellation coverage: {label}, {grid.description or grid.kind}, "
                              f"{args.duration} every {args.step}")
    if checkpointed:  # the store holds the result already: record it again with the command's history
        from ..checkpoint import write_final

        path = write_final(args.output, ds)
    else:
        path = write_dataset(ds, args.output)
    if not args.quiet:
        print(summarize(ds, run_s=time.perf_counter() - t_start, output=str(path)), file=sys.stdout)
    return 0
