"""An independent oracle of coverage edges: Skyfield's SGP4 and frames, bisection to a millisecond.

Used by ``test_coverage_exact_edges.py`` and by ``benchmarks/bench_edges.py`` (which prints the README's
edge accuracy table).  For each satellite and site the visibility margin (the same definition as the
engine: ``sin(elevation) - sin(mask)``, and ``cos(nadir angle) - cos(half-angle)`` for a geocentric-nadir
cone or a geodetic-nadir one, the nadir then the inward WGS84 normal at the geodetic latitude that
:func:`geodetic_normal` finds by its own iteration) is scanned every ``scan_s`` seconds on Skyfield
positions (``EarthSatellite.at(t).frame_xyz(itrs)``), and every sign change refined by bisection to
``tol_s`` on Skyfield positions again.  The Sun limit's intervals come the same way from Skyfield's
apparent geocentric Sun (JPL DE421, from the ``skyfield-data`` package) in ITRS, scanned every 60 s.
The covered intervals of a site are then formed exactly from those interval lists: covered while at least
``min_sats`` satellites are in view and the Sun is within its limits.  With gateways (bent pipe) a
satellite's margin is the smaller of its margin at the site and the largest of its margins at the
gateways (each ``sin(elevation) - sin(gateway mask)``): it serves the site while it sees the site and at
least one gateway.  Nothing here uses the package's propagation, frames or kernels.
"""

from __future__ import annotations

import math
import os

import numpy as np

_TS = None
_EPH = None


def _ts():
    global _TS
    if _TS is None:
        from skyfield.api import load

        _TS = load.timescale(builtin=True)
    return _TS


def _eph():
    global _EPH
    if _EPH is None:
        import skyfield_data
        from skyfield.api import load_file

        _EPH = load_file(os.path.join(os.path.dirname(skyfield_data.__file__), "data", "de421.bsp"))
    return _EPH


def _times(start: np.datetime64, sec: np.ndarray):
    """Skyfield times ``sec`` seconds after the UTC ``start`` (a window inside one UTC day's leap-second
    table: none fell in 2026)."""
    d = start.astype("datetime64[D]")
    s0 = float((start - d) / np.timedelta64(1, "ns")) / 1e9
    y, m, dd = (int(x) for x in str(d).split("-"))
    return _ts().utc(y, m, dd, 0, 0, s0 + np.asarray(sec, float))


def _site(lat_deg: float, lon_deg: float, h_m: float):
    from skyfield.api import wgs84

    p = np.asarray(wgs84.latlon(lat_deg, lon_deg, elevation_m=h_m).itrs_xyz.km, float)
    la, lo = math.radians(lat_deg), math.radians(lon_deg)
    u = np.array([math.cos(la) * math.cos(lo), math.cos(la) * math.sin(lo), math.sin(la)])
    return p, u


_POS: dict = {}  # Skyfield positions on a scan grid, per satellite (the scans of several sites share them)


def _positions(es, start, sec):
    from skyfield.framelib import itrs

    key = (id(es), str(start), sec.size, float(sec[0]), float(sec[-1])) if sec.size > 64 else None
    if key is not None and key in _POS:
        return _POS[key]
    s = np.asarray(es.at(_times(start, sec)).frame_xyz(itrs).km, float).reshape(3, -1)
    if key is not None:
        if len(_POS) > 64:
            _POS.clear()
        _POS[key] = s
    return s


WGS84_A_KM = 6378.137
WGS84_E2 = (1.0 / 298.257223563) * (2.0 - 1.0 / 298.257223563)


def geodetic_normal(s: np.ndarray) -> np.ndarray:
    """Unit WGS84 ellipsoid normals at the geodetic sub-points of ITRS positions ``s`` (3, n), km: the
    geodetic latitude by the classic fixed point ``phi = atan2(z + e^2 N(phi) sin(phi), p)`` (Hofmann-
    Wellenhof et al., *GNSS*, 2008, sec. 10.2.1), iterated 12 times (it contracts by about ``e^2`` per
    step: converged to rounding)."""
    x, y, z = s
    p = np.hypot(x, y)
    lat = np.arctan2(z, p * (1.0 - WGS84_E2))
    for _ in range(12):
        sl = np.sin(lat)
        lat = np.arctan2(z + WGS84_E2 * WGS84_A_KM / np.sqrt(1.0 - WGS84_E2 * sl * sl) * sl, p)
    lon = np.arctan2(y, x)
    return np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)])


def _sat_margin(es, start, sec, p, u, sin_el, cos_half, nadir="geocentric"):
    s = _positions(es, start, sec)
    d = s - p[:, None]
    rd = np.linalg.norm(d, axis=0)
    m = (u @ d) / rd - sin_el
    if cos_half is not None:
        if nadir == "geodetic":
            mc = (geodetic_normal(s) * d).sum(0) / rd - cos_half
        else:
            mc = (s * d).sum(0) / (np.linalg.norm(s, axis=0) * rd) - cos_half
        m = np.minimum(m, mc)
    return m


def _sun_margin(start, sec, u, sin_lo, sin_hi):
    from skyfield.framelib import itrs

    eph = _eph()
    v = np.asarray(eph["earth"].at(_times(start, sec)).observe(eph["sun"]).apparent().frame_xyz(itrs).au,
                   float).reshape(3, -1)
    e = (u @ v) / np.linalg.norm(v, axis=0)
    return np.minimum(e - sin_lo, sin_hi - e)


def _intervals(fun, t_end: float, scan_s: float, tol_s: float) -> list[tuple[float, float]]:
    """Intervals of ``[0, t_end]`` where ``fun(seconds array) >= 0``: sign changes on a ``scan_s`` grid,
    each refined by (vectorised) bisection to ``tol_s``."""
    grid = np.arange(0.0, t_end + 1e-9, scan_s)
    if grid[-1] < t_end:
        grid = np.append(grid, t_end)
    ok = fun(grid) >= 0.0
    k = np.flatnonzero(ok[1:] != ok[:-1])
    lo, hi = grid[k].copy(), grid[k + 1].copy()
    rising = ~ok[k]
    while k.size and np.max(hi - lo) > tol_s:
        mid = 0.5 * (lo + hi)
        now = fun(mid) >= 0.0
        before = now != rising  # still on the starting side
        lo = np.where(before, mid, lo)
        hi = np.where(before, hi, mid)
    edges = 0.5 * (lo + hi)
    out, open_at = [], 0.0 if ok[0] else None
    for e, r in zip(edges, rising):
        if r:
            open_at = e
        elif open_at is not None:
            out.append((open_at, e))
            open_at = None
    if open_at is not None:
        out.append((open_at, t_end))
    return out


_ES: dict = {}


def _earth_satellite(sat):
    from skyfield.api import EarthSatellite

    es = _ES.get(id(sat.satrec))
    if es is None or es.model is not sat.satrec:
        es = _ES[id(sat.satrec)] = EarthSatellite.from_satrec(sat.satrec, _ts())
    return es


def coverage_edges(sats, site, start: np.datetime64, t_end_s: float, *, min_elevation_deg: float = 10.0,
                   half_angle_deg: float | None = None, min_sats: int = 1, min_sun_elevation_deg=None,
                   max_sun_elevation_deg=None, gateways=None, gateway_min_elevation_deg=None, scan_s: float = 1.0,
                   tol_s: float = 1e-3, nadir: str = "geocentric") -> list[tuple[float, int]]:
    """The true coverage edges of a site ``(lat_deg, lon_deg, height_m)`` over ``[0, t_end_s]`` seconds
    from ``start``: ``[(time_s, +1 rise / -1 set), ...]`` in time order (window ends are not edges).
    ``gateways``: sites ``(lat_deg, lon_deg, height_m)`` one of which a satellite must see, at
    ``gateway_min_elevation_deg`` (default 10)."""
    p, u = _site(*site)
    sin_el = math.sin(math.radians(min_elevation_deg))
    cos_half = None if half_angle_deg is None else math.cos(math.radians(half_angle_deg))
    gws = [_site(*g) for g in (gateways or [])]
    sin_gw = math.sin(math.radians(10.0 if gateway_min_elevation_deg is None else gateway_min_elevation_deg))

    def served(es, x):
        m = _sat_margin(es, start, x, p, u, sin_el, cos_half, nadir)
        if gws:
            m = np.minimum(m, np.max([_sat_margin(es, start, x, gp, gu, sin_gw, None) for gp, gu in gws], axis=0))
        return m

    events = []
    for sat in sats:
        es = _earth_satellite(sat)
        for a, b in _intervals(lambda x, es=es: served(es, x), t_end_s, scan_s, tol_s):
            events += [(a, 1, 0), (b, -1, 0)]
    sun_on = min_sun_elevation_deg is not None or max_sun_elevation_deg is not None
    day = [(0.0, t_end_s)]
    if sun_on:
        lo = -2.0 if min_sun_elevation_deg is None else math.sin(math.radians(min_sun_elevation_deg))
        hi = 2.0 if max_sun_elevation_deg is None else math.sin(math.radians(max_sun_elevation_deg))
        day = _intervals(lambda x: _sun_margin(start, x, u, lo, hi), t_end_s, 60.0, tol_s)
    for a, b in day:
        events += [(a, 0, 1), (b, 0, -1)]
    events.sort(key=lambda e: (e[0], -e[1] - e[2]))
    n = d = 0
    covered = False
    out = []
    for t, dn, dd in events:
        n += dn
        d += dd
        now = n >= min_sats and d > 0
        if now != covered:
            if 0.0 < t < t_end_s:
                out.append((t, 1 if now else -1))
            covered = now
    return out
