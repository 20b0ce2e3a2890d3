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

from . import _child
from ._common import (
    build_grid,
    import_in_background,
    load_elements,
    modules_hidden,
    output_checked,
    percent,
    select,
    span_text,
    start_time,
    warn_far_epochs,
    with_run_note,
)

#: Service requirements ``--per-group`` uses for the Jinan-368 groups (override with ``--requirement``).
#:
#: * ``eo`` (Earth observation): a cell is served when it lies within 30 deg of the satellite's nadir,
#:   the off-nadir pointing range typical of small agile optical imagers (beyond it ground resolution
#:   degrades roughly as 1/cos^2 of the off-nadir angle), and above a 10 deg elevation mask.  At the
#:   plan's 535 km the 30 deg cone is the binding limit: it corresponds to about 57 deg elevation.
#:   Optical imaging needs daylight: the Sun at least 10 deg above the target's horizon (below about
#:   10 deg, long shadows and a long atmospheric path leave little usable signal; 10 deg is a common
#:   minimum solar elevation of optical imaging planners' target requirements).
#: * ``comm`` (communication) and ``nav`` (navigation augmentation): a 10 deg elevation mask, the
#:   usual minimum for user terminals and GNSS-style receivers; no cone (whole visible footprint).
#:
#: Groups not listed here use the command's ``--min-elevation``, ``--half-angle`` and ``--min-sats``;
#: ``--min-sun-elevation`` / ``--max-sun-elevation`` replace the Sun limits of every group, ``--nadir`` the
#: cone axis of every group.
#:
#: No group needs gateways by default: the plan does not say whether the comm payload is transparent
#: (bent pipe) or regenerative with inter-satellite links, nor where its gateways are (the shipped
#: station network is the remote-sensing receiving stations, not comm gateways), so a default would
#: invent both.  ``--gateways NETWORK`` with ``--per-group`` gives the comm group a bent-pipe requirement;
#: ``--requirement GROUP:gateways=NETWORK`` any group.
DEFAULT_REQUIREMENTS: dict[str, dict[str, Any]] = {
    "eo": dict(min_elevation_deg=10.0, half_angle_deg=30.0, min_sats=1, min_sun_elevation_deg=10.0),
    "comm": dict(min_elevation_deg=10.0, half_angle_deg=None, min_sats=1),
    "nav": dict(min_elevation_deg=10.0, half_angle_deg=None, min_sats=1),
}

_REQ_KEYS = {
    "elev": "min_elevation_deg", "el": "min_elevation_deg", "elevation": "min_elevation_deg",
    "min_elevation": "min_elevation_deg", "min_elevation_deg": "min_elevation_deg",
    "half": "half_angle_deg", "half_angle": "half_angle_deg", "half_angle_deg": "half_angle_deg",
    "n": "min_sats", "min_sats": "min_sats",
    "sun": "min_sun_elevation_deg", "min_sun": "min_sun_elevation_deg",
    "min_sun_elevation_deg": "min_sun_elevation_deg", "max_sun": "max_sun_elevation_deg",
    "max_sun_elevation_deg": "max_sun_elevation_deg",
    "gateways": "gateways", "gw": "gateways",
    "gateway_elev": "gateway_min_elevation_deg", "gw_elev": "gateway_min_elevation_deg",
    "gateway_min_elevation_deg": "gateway_min_elevation_deg",
    "nadir": "nadir",
}

#: ``--gateways`` names of the shipped station networks (besides a stations CSV path).
GATEWAY_NETWORKS = ("china",)

EPILOG = """\
examples:
  constellation coverage                                   # Jinan-368, 1 day at 30 s, 1 deg global grid
  constellation coverage --duration 6h --step 60s --grid-deg 2 --output cov.zarr
  constellation coverage --region=20,55,70,140 --grid-deg 0.5 --min-elevation 20
  constellation coverage --per-group --requirement eo:elev=15,half=25 --output services.nc
  constellation coverage --group eo --min-sun-elevation 10 --half-angle 30   # daylight imaging revisit
  constellation coverage --per-group --requirement eo:sun=none          # eo without its daylight default
  constellation coverage --group eo --half-angle 30 --nadir geodetic    # cone about the geodetic nadir
  constellation coverage gps-ops.txt --min-elevation 5 --min-sats 4 --grid-deg 5
  constellation coverage --duration 7d --output week.zarr            # resumable: kill it, then
  constellation coverage --duration 7d --output week.zarr --resume   # ... finishes where it stopped
  constellation coverage --grid-deg 2 --snapshots 10m -o day.nc      # then: constellation animate day.nc
  constellation coverage --scheduler tcp://10.0.0.5:8786 --output week.zarr --duration 7d
  constellation coverage --group comm --gateways gateways.csv --gateway-min-elevation 5   # bent pipe
  constellation coverage --per-group --gateways china           # the comm group served through gateways

A region that starts with a minus sign needs '=': --region=-10,10,-20,20.
--per-group defaults: eo: half-angle 30 deg (off-nadir pointing limit of small agile imagers), 10 deg
elevation and the Sun at least 10 deg above the target (daylight imaging); comm and nav: 10 deg
elevation; other groups: --min-elevation/--half-angle/--min-sats.  --min-sun-elevation and
--max-sun-elevation replace the Sun limits of every group; --requirement GROUP:sun=DEG,max_sun=DEG of one.
No group needs gateways by default; with --per-group, --gateways applies to the comm group, and
--requirement GROUP:gateways=CSV|china,gw_elev=DEG to any group (gateways=none: none).
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
    p.add_argument("--region", metavar="S,N,W,E|NAME|GEOJSON",
                   help="regional lat/lon box in degrees (west > east crosses the antimeridian), or a country "
                        "(name or ISO code, e.g. China) or GeoJSON polygon file: its cells, area-weighted")
    p.add_argument("--sites", metavar="CSV", help="sites CSV (columns name, lat, lon[, height_m]) instead of a grid")
    p.add_argument("--min-elevation", type=float, default=10.0, metavar="DEG",
                   help="elevation mask in degrees (default 10)")
    p.add_argument("--half-angle", type=float, default=None, metavar="DEG",
                   help="sensor / antenna nadir cone half-angle in degrees (default: none)")
    p.add_argument("--nadir", choices=("geocentric", "geodetic"), default=None,
                   help="axis of the nadir cone: towards the Earth's centre (geocentric, the default) or the "
                        "inward WGS84 ellipsoid normal at the sub-satellite point (geodetic)")
    p.add_argument("--min-sun-elevation", type=float, default=None, metavar="DEG",
                   help="serve a cell only while the Sun is at least DEG above its horizon (daylight imaging; "
                        "default: no limit)")
    p.add_argument("--max-sun-elevation", type=float, default=None, metavar="DEG",
                   help="serve a cell only while the Sun is at most DEG above its horizon (night-time sensors, "
                        "e.g. -12; default: no limit)")
    p.add_argument("--gateways", metavar="CSV|china",
                   help="bent pipe: a satellite serves only while it also sees one of these gateways: a stations "
                        "CSV (lat, lon[, name, height_m, min_elevation_deg]) or 'china' (the shipped network); "
                        "with --per-group, the comm group's")
    p.add_argument("--gateway-min-elevation", type=float, default=None, metavar="DEG",
                   help="elevation mask of the gateways that state none in their file (default 10)")
    p.add_argument("--min-sats", type=int, default=1, metavar="N",
                   help="satellites needed at once for a cell to count as covered (default 1)")
    p.add_argument("--group", nargs="+", action="extend", metavar="G",
                   help="use only these sub-constellation groups (e.g. eo comm)")
    p.add_argument("--launched", action="store_true", help="use only launched satellites")
    p.add_argument("--per-group", action="store_true",
                   help="a service per group with its own requirement (defaults in the epilog), plus 'any'")
    p.add_argument("--requirement", action="append", default=[], metavar="GROUP:elev=E,half=H,n=N,sun=S",
                   help="requirement of one group (repeatable; implies --per-group), e.g. eo:elev=10,half=30; "
                        "sun=DEG / max_sun=DEG are Sun elevation limits (none: no limit); gateways=CSV|china "
                        "(none: none) and gw_elev=DEG a bent-pipe requirement; nadir=geocentric|geodetic the "
                        "cone's axis")
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
    """``"GROUP:elev=10,half=30,n=1,sun=10,max_sun=60,nadir=geodetic"`` -> ``("GROUP", {...})``;
    ``half=none`` for no cone, ``sun=none`` / ``max_sun=none`` for no Sun limit, ``nadir`` the cone's axis
    (``geocentric`` or ``geodetic``)."""
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
                             f"(or half=none), n=COUNT, sun=DEG or max_sun=DEG (or none), nadir=geocentric|geodetic")
        value = value.strip()
        if name == "nadir":
            if value.lower() not in ("geocentric", "geodetic"):
                raise ValueError(f"--requirement {text!r}: nadir={value!r} is not geocentric or geodetic")
            out[name] = value.lower()
            continue
        try:
            if name == "min_sats":
                out[name] = int(value)
                if out[name] < 1:
                    raise ValueError
            elif name in ("half_angle_deg", "min_sun_elevation_deg", "max_sun_elevation_deg", "gateways") \
                    and value.lower() in ("none", "off", ""):
                out[name] = None
            elif name == "gateways":
                out[name] = value
            else:
                out[name] = float(value)
                if not math.isfinite(out[name]) or ("sun" in name and not -90.0 <= out[name] <= 90.0) or (
                        name == "gateway_min_elevation_deg" and not -90.0 <= out[name] < 90.0):
                    raise ValueError
        except ValueError:
            expected = ("a whole number >= 1" if name == "min_sats" else "a Sun elevation in [-90, 90] degrees"
                        if "sun" in name else "an elevation in [-90, 90) degrees" if "gateway" in name
                        else "a number of degrees")
            raise ValueError(f"--requirement {text!r}: {key.strip()}={value!r} is not {expected}") from None
    if not out:
        raise ValueError(f"--requirement {text!r}: give at least one of elev=, half=, n=, sun=, max_sun=, "
                         f"gateways=")
    return group, out


def gateway_network(text: str, min_elevation_deg: float | None, what: str = "--gateways"):
    """The gateway stations ``text`` names: a stations CSV path (:func:`constellation.stations.read_stations`,
    ``min_elevation_deg`` for stations without a mask of their own, default 10) or a shipped network
    (:data:`GATEWAY_NETWORKS`)."""
    from ..engine import GATEWAY_MIN_ELEVATION_DEG
    from ..stations import china_network, read_stations

    if str(text).strip().lower() == "china":
        return china_network()
    path = Path(text)
    if not path.is_file():
        raise FileNotFoundError(f"{what}: no stations file {str(path)!r} (give a CSV with lat, lon columns, or "
                                f"one of {', '.join(GATEWAY_NETWORKS)})")
    try:
        return read_stations(path, GATEWAY_MIN_ELEVATION_DEG if min_elevation_deg is None else min_elevation_deg)
    except ValueError as exc:
        raise ValueError(f"{what}: {exc}") from None


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
    if args.min_sun_elevation is not None or args.max_sun_elevation is not None:
        for g in groups:  # the command's Sun limits replace every group's (both ends)
            reqs[g].update(min_sun_elevation_deg=args.min_sun_elevation, max_sun_elevation_deg=args.max_sun_elevation)
    if args.gateways is not None:
        if "comm" not in reqs:
            raise ValueError(f"--gateways with --per-group gives the comm group its gateways, but there is no comm "
                             f"group here (groups: {', '.join(groups)}); use --requirement GROUP:gateways=...")
        reqs["comm"].update(gateways=args.gateways, gateway_min_elevation_deg=args.gateway_min_elevation)
    if args.nadir is not None:
        for g in groups:  # the command's nadir is every group's cone axis
            reqs[g]["nadir"] = args.nadir
    for text in args.requirement:
        g, values = parse_requirement(text)
        if g not in reqs:
            raise ValueError(f"--requirement {text!r}: no satellites in group {g!r}; groups present: "
                             f"{', '.join(groups)}")
        reqs[g].update(values)
    for g, r in reqs.items():
        if r.get("gateways") is not None:
            r["gateways"] = gateway_network(r["gateways"], r.get("gateway_min_elevation_deg"),
                                            f"gateways of group {g!r}")
        elif r.get("gateway_min_elevation_deg") is not None:
            raise ValueError(f"requirement of group {g!r}: gw_elev= needs gateways=")
    out = {}
    for g, r in reqs.items():
        try:
            out[g] = Requirement(**r)
        except ValueError as exc:
            raise ValueError(f"requirement of group {g!r}: {exc}") from None
    return out


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


def _sun_words(ds) -> str:
    """How the run's Sun limits read in the summary ("" without any)."""
    lo, hi = ds.attrs.get("min_sun_elevation_deg"), ds.attrs.get("max_sun_elevation_deg")
    if lo is None and hi is None:
        reqs = str(ds.attrs.get("requirements", ""))
        return "Sun limits hold at the target (per service: see the requirements attribute)" if "sun_" in reqs else ""
    if lo is not None and hi is not None:
        return f"the Sun is {float(lo):g} to {float(hi):g} deg above the target's horizon"
    if lo is not None:
        return f"the Sun is at least {float(lo):g} deg above the target's horizon"
    return f"the Sun is at most {float(hi):g} deg above the target's horizon"


def _sun_adjective(ds) -> str:
    lo, hi = ds.attrs.get("min_sun_elevation_deg"), ds.attrs.get("max_sun_elevation_deg")
    if lo is not None and float(lo) >= 0.0 and hi is None:
        return "daylight"
    if hi is not None and float(hi) < 0.0 and lo is None:
        return "night-time"
    return "Sun-limited"


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
             f"{kind} mean coverage {percent(mean('coverage_fraction'), 2)}% of the time; "
             f"{percent(continuous, 2)}% of the {'area' if w is not None else 'sites'} covered continuously"]
    rv = np.asarray(one["revisit_max_s"].values, dtype=float)
    sun = _sun_words(ds)
    if sun:
        parts.append(f"only while {sun}")
    if "gateway_rule" in ds.attrs:
        gws = str(ds.attrs.get("gateways", ""))
        n_gw = gws.count(" deg)") if gws else 0
        parts.append(f"bent pipe: served only while the satellite sees one of {n_gw} gateways" if n_gw else
                     "bent pipe: some services served only through gateways (see the requirements attribute)")
    if np.isfinite(rv).any():
        idx = np.unravel_index(int(np.nanargmax(rv)), rv.shape)
        if sun:  # with the mean beside the worst: nights make the all-time revisit long
            parts.append(f"revisit counting all time: mean {span_text(mean('revisit_mean_s'))}, worst gap "
                         f"{span_text(np.nanmax(rv))} at {_where(one, idx)}")
            rd = np.asarray(one["revisit_daylight_max_s"].values, dtype=float) \
                if "revisit_daylight_max_s" in one else np.full(1, np.nan)
            if np.isfinite(rd).any():  # the gaps counting only the time within the Sun limits
                jdx = np.unravel_index(int(np.nanargmax(rd)), rd.shape)
                parts.append(f"{_sun_adjective(ds)} revisit (only the time within the Sun limits counts): mean "
                             f"{span_text(mean('revisit_daylight_mean_s'))}, worst gap "
                             f"{span_text(np.nanmax(rd))} at {_where(one, jdx)}")
        else:
            parts.append(f"worst revisit gap {span_text(np.nanmax(rv))} at {_where(one, idx)}")
    else:
        parts.append("no coverage gaps anywhere")
    parts.append(f"mean {mean('sats_in_view_mean'):.2f} satellites in view")
    if "service" in ds.dims:
        per = ", ".join(f"{s}: {percent(mean('coverage_fraction', ds.sel(service=s)), 2)}%"
                        for s in ds["service"].values if s != "any")
        parts.append(f"per service {per} (figures above for 'any')")
    text = "; ".join(parts) + "."
    return with_run_note(text, run_s, output)


def _long_run(n_sat: int, n_step: int, n_cell: int) -> bool:
    """Whether a run is big enough (likely over a couple of seconds) to deserve a progress bar: at least
    1e10 satellite-cell-steps (the default case, Jinan-368 x 1 deg x 1 day at 30 s, is 6.9e10)."""
    return float(n_sat) * n_step * n_cell >= 1e10


# -- run -----------------------------------------------------------------------------------------------

#: How long a scheduler address may refuse connections (a scheduler still starting) before the command
#: gives up on it, in seconds.
REFUSED_WAIT_S = 5.0


def _unreachable(host: str, port: int, wait_s: float) -> str | None:
    """Why nothing accepts a TCP connection at ``host:port`` (tried again while it is refused, for up to
    ``wait_s`` seconds), or None when something does."""
    import socket

    deadline = time.monotonic() + wait_s
    while True:
        try:
            with socket.create_connection((host, port), timeout=max(0.1, deadline - time.monotonic())):
                return None
        except ConnectionRefusedError:
            if time.monotonic() >= deadline:
                return f"connection refused for {wait_s:g} s (nothing listens at {host}:{port})"
            time.sleep(0.2)
        except TimeoutError:
            return f"no answer from {host}:{port} within {wait_s:g} s"
        except OSError as exc:  # an unknown host, an unreachable network
            return str(exc) or type(exc).__name__


def connect_scheduler(address: str, timeout_s: float = 30.0):
    """A dask ``Client`` of the scheduler at ``address`` (``--scheduler``), waiting up to ``timeout_s``
    seconds (up to :data:`REFUSED_WAIT_S` where the port refuses connections); an address that cannot be
    used, no answer or an answer that is not a dask scheduler's is a ValueError naming the option (one
    line, exit 2)."""
    from ..distributed import require_distributed

    distributed = require_distributed()
    from distributed.comm import get_address_host_port, parse_address

    try:
        host, port = get_address_host_port(address)
    except ValueError as exc:  # no port, unknown scheme, ...
        raise ValueError(f"--scheduler {address!r}: not a scheduler address (e.g. tcp://10.0.0.5:8786): {exc}") \
            from None
    if parse_address(address)[0] in ("tcp", "tls"):  # a port nobody listens on: say so now, not after the timeout
        why = _unreachable(host, port, min(timeout_s, REFUSED_WAIT_S))
        if why:
            raise ValueError(f"--scheduler {address!r}: cannot connect to a dask scheduler: {why}")
    try:
        return distributed.Client(address, timeout=f"{timeout_s:g}s")
    except OSError as exc:  # refused, timed out, no such host
        reason = str(exc) or type(exc).__name__
    except Exception as exc:  # noqa: BLE001 - something answered, not as a dask scheduler does
        reason = f"what answered is not a dask scheduler ({type(exc).__name__})"
    raise ValueError(f"--scheduler {address!r}: cannot connect to a dask scheduler: {reason}")


def run(args: argparse.Namespace) -> int:
    # dask only with --scheduler (xarray would load it just to look for dask arrays)
    # (not where xarray is loaded already: it found dask installed then, and would fail to import it now)
    with modules_hidden(() if args.scheduler or "xarray" in sys.modules else ("dask", "distributed")):
        return _run(args)


def _run(args: argparse.Namespace) -> int:
    from ..timescale import parse_duration

    t_start = time.perf_counter()
    # cheap checks first, so bad input fails before any work
    checkpointed = output_checked(args.output) == "zarr"
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
    for flag, v in (("--min-sun-elevation", args.min_sun_elevation), ("--max-sun-elevation", args.max_sun_elevation)):
        if v is not None and not -90 <= v <= 90:
            raise ValueError(f"{flag} must lie in [-90, 90] degrees, got {v:g}")
    if args.min_sun_elevation is not None and args.max_sun_elevation is not None \
            and args.min_sun_elevation > args.max_sun_elevation:
        raise ValueError(f"--min-sun-elevation ({args.min_sun_elevation:g}) must not exceed --max-sun-elevation "
                         f"({args.max_sun_elevation:g})")
    gm = args.gateway_min_elevation
    if gm is not None and not -90 <= gm < 90:
        raise ValueError(f"--gateway-min-elevation must lie in [-90, 90) degrees, got {gm:g}")
    if gm is not None and args.gateways is None:
        raise ValueError("--gateway-min-elevation needs --gateways (the gateway stations)")
    # the result's Dataset is built and written in a helper process that loads xarray meanwhile (._child)
    helped = not (checkpointed or args.scheduler or args.snapshots) and _fits_helper(args)
    writer = _child.start(_write, _RESULT_MODULES) if helped else None
    try:
        return _compute(args, t_start, duration_s, step_s, checkpointed, writer)
    finally:
        if writer is not None:
            writer.close()


#: Time chunks a run with a progress bar is cut into (the bar advances per chunk).
PROGRESS_CHUNKS = 20

#: What the result needs that a coverage run does not: xarray and the NetCDF writer.
_RESULT_MODULES = ("xarray", "h5netcdf")
#: The largest result (estimated from the options) sent to the helper process, which holds a second copy of
#: it while it writes: grids of a quarter degree and coarser.  Finer runs take minutes, where the helper's
#: tenth of a second does not matter, and their memory budget does not count that copy.
HELPER_MAX_BYTES = 256 << 20


def _fits_helper(args: argparse.Namespace) -> bool:
    """Whether the result of a grid run is at most :data:`HELPER_MAX_BYTES`, bounded from the options before
    the grid is built: a global grid's cells (a region has fewer), about 200 bytes of figures per cell and
    output ("any" and three services with --per-group).  Site runs keep their series of satellites in view,
    whose size the sites file decides: they write in this process."""
    d = float(args.grid_deg)
    if args.sites or not (math.isfinite(d) and d > 0):
        return False
    outputs = 4 if (args.per_group or args.requirement) else 1
    return (180.0 / d) * (360.0 / d) * outputs * 200 <= HELPER_MAX_BYTES


def _write(request: tuple) -> tuple[str, str | None]:
    """Build the result's Dataset from its parts, write it and summarize it (``None`` when quiet): the
    request the helper process serves (:func:`_compute`)."""
    from ..io import build_dataset, cf_attrs, write_dataset

    parts, history, output, quiet = request
    ds = cf_attrs(build_dataset(parts), history=history)
    path = write_dataset(ds, output)
    return str(path), None if quiet else summarize(ds)


def _compute(args: argparse.Namespace, t_start: float, duration_s: float, step_s: float, checkpointed: bool,
             writer: _child.Child | None) -> int:
    """The run itself, after :func:`_run`'s checks; with a ``writer``, the result is written there."""
    from ..io import cf_attrs, write_dataset
    from ..timescale import time_range

    gateways = None if args.gateways is None else gateway_network(args.gateways, args.gateway_min_elevation)
    grid = build_grid(args.grid_deg, region=args.region, sites=args.sites, equal_area=args.equal_area)
    sats, default_start, label = load_elements(args.elements)
    sats = select(sats, args.group, args.launched)
    start = start_time(args.start, default_start)
    times = time_range(start, step_s=step_s, duration=duration_s)
    warn_far_epochs(sats, times[0], times[-1])
    requirements = _requirements(args, sats)

    from ..api import coverage, coverage_parts
    from ..runners import COMPUTING

    if writer is None:  # xarray and the NetCDF writer load beside the computation once it has started
        import_in_background(*_RESULT_MODULES, after=COMPUTING)
    progress = not args.quiet and _long_run(len(sats), times.size, grid.n_cells)
    kwargs: dict[str, Any] = dict(
        min_elevation_deg=args.min_elevation, half_angle_deg=args.half_angle, min_sats=args.min_sats,
        window_edges="exclude" if args.exclude_window_edges else "count", refine_edges=not args.no_refine,
        progress=progress, positions="exact" if args.exact_positions else "hermite")
    if args.chunk_steps is not None:
        if args.chunk_steps < 1:
            raise ValueError(f"--chunk-steps must be at least 1, got {args.chunk_steps}")
        kwargs["chunk_steps"] = args.chunk_steps
    elif progress:  # the bar advances per time chunk: ask for ~20 of them (the result does not depend on it;
        # each chunk's state is folded into the run's, a pass over every cell: 40 cost the default day 0.1 s)
        kwargs["chunk_steps"] = max(1, -(-times.size // PROGRESS_CHUNKS))
    if requirements is not None:
        kwargs["requirements"] = requirements
    else:
        kwargs.update(min_sun_elevation_deg=args.min_sun_elevation, max_sun_elevation_deg=args.max_sun_elevation)
        if gateways is not None:
            kwargs.update(gateways=gateways)
        if args.nadir is not None:
            kwargs["nadir"] = args.nadir
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
        client = connect_scheduler(args.scheduler)
        kwargs["client"] = client
    history = f"constellation coverage: {label}, {grid.description or grid.kind}, {args.duration} every {args.step}"
    if writer is not None:
        parts = coverage_parts(sats, times, grid, **kwargs)
        path, text = writer.call((parts, history, args.output, args.quiet))
    else:
        try:
            ds = coverage(sats, times, grid, **kwargs)
        finally:
            if client is not None:
                client.close()
        ds = cf_attrs(ds, history=history)
        if checkpointed:  # the store holds the result already: record it again with the command's history
            from ..checkpoint import write_final

            path = write_final(args.output, ds)
        else:
            path = write_dataset(ds, args.output)
        text = None if args.quiet else summarize(ds)
    if text is not None:
        print(with_run_note(text, time.perf_counter() - t_start, str(path)), file=sys.stdout)
    return 0
