"""Passes: when each satellite of a constellation rises above, culminates and sets below an elevation mask.

:func:`passes` returns one row per pass for every satellite over one or more ground sites, with event times
refined to a millisecond.  It works for a whole constellation at once:

1. **Coarse sampling.**  Each satellite gets a step from its own orbit: a tenth of the time the satellite
   takes to sweep a full turn *relative to the rotating Earth* at its fastest (perigee) angular rate,
   ``step = 2 pi / (n_perigee + omega_earth) / samples_per_orbit`` with
   ``n_perigee = n (1 + e)^2 / (1 - e^2)^(3/2)`` (Kepler's second law: the angular rate at perigee).
   Satellites with similar steps share one sample grid, and SGP4 runs for each group with python-sgp4's
   ``SatrecArray`` (:func:`constellation.propagation.teme_states`).  At every sample we evaluate
   ``h = sin(elevation) - sin(min_elevation)`` *and its time derivative* (from the SGP4 velocity and the
   Earth's rotation), so each sample interval is known to hold an elevation maximum when the rate turns
   from positive to negative.  Skyfield's ``EarthSatellite.find_events`` samples 20 times per orbit and
   brackets maxima from the sampled values alone; with the rates at each sample, ten samples per relative
   turn leave two to three samples between consecutive elevation extrema (which are about half a relative
   turn apart), so no maximum and hence no pass is stepped over, however briefly it crosses the mask.
2. **Refinement.**  The maxima (roots of the elevation rate), the minima that could dip under the mask
   between two samples above it, and then the mask crossings (roots of ``h``) are refined together, for
   all satellites and sites, by a bracketed Newton iteration with bisection as its safeguard (the method
   of ``rtsafe``, Press et al., *Numerical Recipes*, 3rd ed., section 9.4).  SGP4 runs only at the
   candidate times, once per satellite and iteration (``Satrec.sgp4_array``).  The derivatives come from
   the SGP4 velocity and, for the second derivative the maxima need, a two-body acceleration
   (``-mu r / |r|^3``): an approximate derivative only slows Newton's convergence, while the bracket
   keeps every answer exact to the tolerance.
3. **Assembly.**  Rises and sets alternate per satellite and site; each pass takes the highest maximum
   inside it as its culmination.

Geometry: the site is a WGS84 geodetic point (NIMA TR8350.2 eq. 4-14) and elevation is measured from the
plane normal to the ellipsoid there, as Skyfield's ``wgs84.latlon(...).at(t).altaz()`` does.  The site is
rotated into SGP4's TEME frame with GMST 1982 evaluated with UT1 (AIAA 2006-6753, Appendix C), so the
satellites never leave the frame SGP4 produces; polar motion is not applied (as by default in
:func:`constellation.propagate` and in Skyfield), which moves event times by well under 0.1 s.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from .checks import number
from .grid import Grid
from .kernels.frames import itrs_from_geodetic
from .propagation import earth_orientation, teme_states, warn_failures
from .satellite import Constellation, as_constellation
from .sites import parse_site
from .timescale import TIME_MAX, TIME_MIN, dut1_s, julian_utc, parse_duration, parse_time

__all__ = ["passes", "window", "coarse_step_s", "JINAN_SITE", "PASS_COLUMNS"]

#: Jinan, Shandong: the default site of the command line (WGS84 degrees north, east; metres).
JINAN_SITE = (36.65, 117.0, 0.0)

#: Columns of the table :func:`passes` returns (``site`` is added after ``group`` for several sites).
PASS_COLUMNS = ["satellite", "catalog_number", "group", "rise", "culmination", "set", "max_elevation_deg",
                "duration_s", "rise_azimuth_deg", "set_azimuth_deg", "rise_clipped", "set_clipped"]

_MU_KM3_S2 = 398600.8          # WGS-72 gravitational parameter, the constant SGP4's elements use
_OMEGA_EARTH_RAD_S = 7.292115e-5
_MAX_STEP_S = 6 * 3600.0       # never sample more coarsely than this (Skyfield's cap for slow orbits)
_GROUP_RATIO = 1.3             # satellites whose steps differ by less than this share a sample grid
_BLOCK_SATSTEPS = 400_000      # SGP4 states held at once in the coarse pass (about 50 bytes each)
_NS = 1_000_000_000


# --------------------------------------------------------------------------------------------------
# Geometry
# --------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Sites:
    """WGS84 sites: ITRS positions (km) and local east/north/up unit vectors, each (n_site, 3)."""

    names: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    height_m: np.ndarray
    pos_km: np.ndarray
    east: np.ndarray
    north: np.ndarray
    up: np.ndarray

    @classmethod
    def from_arrays(cls, lat_deg, lon_deg, height_m, names) -> _Sites:
        lat = np.radians(np.asarray(lat_deg, dtype=float))
        lon = np.radians(np.asarray(lon_deg, dtype=float))
        sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
        up = np.stack([cl * co, cl * so, sl], -1)
        east = np.stack([-so, co, np.zeros_like(so)], -1)
        north = np.stack([-sl * co, -sl * so, cl], -1)
        pos = itrs_from_geodetic(np.degrees(lat), np.degrees(lon), np.asarray(height_m, float) / 1000.0)
        return cls(np.asarray(names, dtype=str), np.degrees(lat), np.degrees(lon),
                   np.asarray(height_m, float), pos.reshape(-1, 3), east, north, up)


def _to_teme(vec: np.ndarray, c: np.ndarray, s: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Rotate ITRS vectors into TEME about z by GMST (the inverse of TEME -> PEF, R3(theta)); no polar motion."""
    x, y, z = vec[..., 0], vec[..., 1], vec[..., 2]
    return c * x - s * y, s * x + c * y, np.broadcast_to(z, np.broadcast(c, z).shape)


def _elevation_terms(r: np.ndarray, v: np.ndarray, c: np.ndarray, s: np.ndarray, w: np.ndarray,
                     site_pos: np.ndarray, site_up: np.ndarray, sin_mask: float, second: bool):
    """``h = sin(el) - sin(mask)``, ``dh/dt`` (1/s) and optionally ``d2h/dt2`` (1/s^2).

    ``r``, ``v``: TEME satellite states (km, km/s), shape ``(..., 3)``; ``c``, ``s``: cos and sin of GMST,
    ``w`` its rate (rad/s), broadcastable to ``r[..., 0]``; ``site_pos``, ``site_up`` ITRS (km, unit),
    broadcastable to ``r``.  With ``rho = r - S`` and ``q = rho . U``, ``sin(el) = q / |rho|``; the site
    ``S`` and normal ``U`` turn with the Earth, ``dS/dt = w z x S``, and the satellite's acceleration is
    taken as two-body ``-mu r / |r|^3`` for the second derivative.
    """
    sx, sy, sz = _to_teme(site_pos, c, s)
    ux, uy, uz = _to_teme(site_up, c, s)
    px, py, pz = r[..., 0] - sx, r[..., 1] - sy, r[..., 2] - sz
    # rate of the site position and normal in TEME: w z x (x, y, z) = w (-y, x, 0)
    dpx, dpy, dpz = v[..., 0] + w * sy, v[..., 1] - w * sx, v[..., 2]
    dux, duy = -w * uy, w * ux
    d2 = px * px + py * py + pz * pz
    d = np.sqrt(d2)
    q = px * ux + py * uy + pz * uz
    dq = dpx * ux + dpy * uy + dpz * uz + px * dux + py * duy
    dd = (px * dpx + py * dpy + pz * dpz) / d
    h = q / d - sin_mask
    dh = dq / d - q * dd / d2
    if not second:
        return h, dh, None
    rr = np.sqrt(r[..., 0] ** 2 + r[..., 1] ** 2 + r[..., 2] ** 2)
    k = -_MU_KM3_S2 / rr ** 3
    w2 = w * w
    # rho'' = a_sat - S'' with S'' = -w^2 (Sx, Sy, 0); U'' = -w^2 (Ux, Uy, 0)
    ax, ay, az = k * r[..., 0] + w2 * sx, k * r[..., 1] + w2 * sy, k * r[..., 2]
    d2q = (ax * ux + ay * uy + az * uz) + 2.0 * (dpx * dux + dpy * duy) - w2 * (px * ux + py * uy)
    d2d = (dpx * dpx + dpy * dpy + dpz * dpz + px * ax + py * ay + pz * az) / d - dd * dd / d
    d2h = d2q / d - 2.0 * dq * dd / d2 - q * d2d / d2 + 2.0 * q * dd * dd / (d2 * d)
    return h, dh, d2h


def _look_angles(r: np.ndarray, c, s, sites: _Sites, site_idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elevation and azimuth (degrees, azimuth clockwise from north in [0, 360)) of TEME positions."""
    S = _to_teme(sites.pos_km[site_idx], c, s)
    rho = np.stack([r[..., 0] - S[0], r[..., 1] - S[1], r[..., 2] - S[2]], -1)
    comp = []
    for basis in (sites.east, sites.north, sites.up):
        b = _to_teme(basis[site_idx], c, s)
        comp.append(rho[..., 0] * b[0] + rho[..., 1] * b[1] + rho[..., 2] * b[2])
    e, n, u = comp
    el = np.degrees(np.arctan2(u, np.hypot(e, n)))
    az = np.degrees(np.arctan2(e, n)) % 360.0
    return el, az


# --------------------------------------------------------------------------------------------------
# Sampling steps
# --------------------------------------------------------------------------------------------------

def coarse_step_s(sats: Any, samples_per_orbit: float = 10.0) -> np.ndarray:
    """Coarse sampling step (s) of each satellite for the pass search.

    ``2 pi / (n_p + omega_E) / samples_per_orbit``, where ``n_p = n (1 + e)^2 / (1 - e^2)^1.5`` is the
    angular rate at perigee (from Kepler's second law with the Kozai mean motion ``n`` and eccentricity
    ``e``) and ``omega_E`` the Earth's rotation rate, so the step is a fixed fraction of the quickest turn the
    satellite can make as seen from the rotating Earth.  Capped at 6 hours.
    """
    c = as_constellation(sats)
    n = np.array([r.no_kozai for r in c.satrecs], dtype=float) / 60.0  # rad/min -> rad/s
    e = np.clip(np.array([r.ecco for r in c.satrecs], dtype=float), 0.0, 0.999)
    n_p = np.where(n > 0, n, 0.0) * (1.0 + e) ** 2 / (1.0 - e * e) ** 1.5
    step = 2.0 * np.pi / (n_p + _OMEGA_EARTH_RAD_S) / float(samples_per_orbit)
    return np.minimum(step, _MAX_STEP_S)


def _step_groups(step_s: np.ndarray) -> list[tuple[np.ndarray, float]]:
    """Group satellites whose steps are within ``_GROUP_RATIO`` of each other; each group uses its smallest."""
    order = np.argsort(step_s, kind="stable")
    groups, start = [], 0
    while start < order.size:
        base = step_s[order[start]]
        stop = start + int(np.searchsorted(step_s[order[start:]], base * _GROUP_RATIO, side="right"))
        groups.append((np.sort(order[start:stop]), float(base)))
        start = stop
    return groups


# --------------------------------------------------------------------------------------------------
# Candidate evaluation and refinement
# --------------------------------------------------------------------------------------------------

class _Evaluator:
    """SGP4 at arbitrary (satellite, time) pairs plus the elevation terms for a (site) per pair."""

    def __init__(self, c: Constellation, t0: np.datetime64, sites: _Sites, sin_mask: float, dut1: Any):
        self.satrecs = c.satrecs
        self.t0 = t0
        self.jd0, self.fr0 = (float(x[0]) for x in julian_utc(np.array([t0])))
        self.sites = sites
        self.sin_mask = sin_mask
        self.dut1 = dut1
        self._dut1_nodes = None
        self.sgp4_calls = 0

    def states(self, sat: np.ndarray, t_s: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """TEME r (km), v (km/s), shape (n, 3), of satellite ``sat[k]`` at ``t_s[k]`` seconds after t0."""
        r = np.full((sat.size, 3), np.nan)
        v = np.full((sat.size, 3), np.nan)
        if sat.size == 0:
            return r, v
        order = np.argsort(sat, kind="stable")
        ss = sat[order]
        cuts = np.flatnonzero(np.diff(ss)) + 1
        fr = self.fr0 + t_s[order] / 86400.0
        jd = np.full(fr.shape, self.jd0)
        for lo, hi in zip(np.r_[0, cuts], np.r_[cuts, ss.size]):
            _, rr, vv = self.satrecs[ss[lo]].sgp4_array(jd[lo:hi], fr[lo:hi])
            r[order[lo:hi]] = rr
            v[order[lo:hi]] = vv
            self.sgp4_calls += 1
        return r, v

    def _dut1(self, t_s: np.ndarray):
        """UT1 - UTC (s) at ``t_s``: the user's value, or Skyfield's table interpolated from whole UTC hours
        (exact at the nodes; a leap second, which happens at a whole hour, is not smeared across it)."""
        if self.dut1 is not None:
            return self.dut1
        t_s = np.asarray(t_s, dtype=float)
        if t_s.size == 0:
            return np.zeros(0)
        lo, hi = float(np.nanmin(t_s)), float(np.nanmax(t_s))
        if self._dut1_nodes is None or lo < self._dut1_nodes[0][0] or hi > self._dut1_nodes[0][-1]:
            offset = float((self.t0 - self.t0.astype("datetime64[h]")) / np.timedelta64(1, "ns")) * 1e-9
            first = math.floor((lo + offset) / 3600.0) - 1
            last = math.ceil((hi + offset) / 3600.0) + 1
            nodes = np.arange(first, last + 1) * 3600.0 - offset
            self._dut1_nodes = (nodes, dut1_s(_stamp(self.t0, nodes)))
        nodes, vals = self._dut1_nodes
        k = np.clip(np.searchsorted(nodes, t_s, side="right") - 1, 0, nodes.size - 2)
        frac = (t_s - nodes[k]) / 3600.0
        jump = np.abs(vals[k + 1] - vals[k]) > 0.5
        return vals[k] + np.where(jump, 0.0, frac * (vals[k + 1] - vals[k]))

    def rotation(self, t_s: np.ndarray):
        """cos and sin of GMST 1982 (with UT1) and its rate (rad/s) at ``t_s`` seconds after t0."""
        eo = earth_orientation(_stamp(self.t0, t_s), self._dut1(t_s))
        return np.cos(eo.theta_rad), np.sin(eo.theta_rad), eo.theta_dot_rad_s

    def terms(self, sat, site, t_s, second=True):
        r, v = self.states(sat, t_s)
        c, s, w = self.rotation(t_s)
        return _elevation_terms(r, v, c, s, w, self.sites.pos_km[site], self.sites.up[site],
                                self.sin_mask, second)


def _refine(ev: _Evaluator, sat, site, lo, hi, x0, derivative: np.ndarray, sign: np.ndarray,
            tol_s: float, max_iter: int = 60) -> np.ndarray:
    """Bracketed Newton iteration (bisection when Newton leaves the bracket or converges too slowly).

    Solves ``F(t) = 0`` per problem with ``F = sign * h`` (``derivative`` False) or ``F = sign * dh/dt``
    (``derivative`` True), given ``F(lo) < 0 <= F(hi)`` (``lo`` may be later than ``hi``).  Returns the root
    times (s), each within ``tol_s`` of a bracketed root (Numerical Recipes, 3rd ed., section 9.4).
    """
    lo, hi, x = lo.astype(float).copy(), hi.astype(float).copy(), x0.astype(float).copy()
    dx = np.abs(hi - lo)
    active = np.arange(x.size)
    for _ in range(max_iter):
        if active.size == 0:
            break
        h, dh, d2h = ev.terms(sat[active], site[active], x[active], second=bool(derivative[active].any()))
        der = derivative[active]
        f = np.where(der, dh, h) * sign[active]
        df = (np.where(der, d2h, dh) if d2h is not None else dh) * sign[active]
        xa, la, ha = x[active], lo[active], hi[active]
        neg = f < 0
        la = np.where(neg, xa, la)
        ha = np.where(neg, ha, xa)
        with np.errstate(divide="ignore", invalid="ignore"):
            newton = xa - f / df
        dxo = dx[active]  # the previous step: Newton must at least halve it
        inside = ((newton - la) * (newton - ha) < 0) & np.isfinite(newton)
        fast = np.abs(2.0 * f) <= np.abs(dxo * df)
        use_newton = inside & fast
        mid = 0.5 * (la + ha)
        xn = np.where(use_newton, newton, mid)
        step = xn - xa
        bad = ~np.isfinite(f)  # propagation failed: stop there
        dx[active] = step
        x[active] = np.where(bad, xa, xn)
        lo[active], hi[active] = la, ha
        done = bad | (np.abs(step) < tol_s) | (np.abs(ha - la) < tol_s) | (f == 0)
        active = active[~done]
    return x


# --------------------------------------------------------------------------------------------------
# Public API
# --------------------------------------------------------------------------------------------------

def _parse_sites(site: Any) -> _Sites:
    if isinstance(site, Grid):
        if site.kind != "points":
            raise ValueError(f"passes needs a point grid (constellation.grid.points), got a {site.kind} grid "
                             f"of {site.n_cells} cells")
        return _Sites.from_arrays(site.lat_deg, site.lon_deg, site.height_m, site.names)
    lat, lon, h = parse_site(site)
    return _Sites.from_arrays([lat], [lon], [h], [f"{lat:g},{lon:g}"])


def passes(sats: Any, site: Any = JINAN_SITE, start: Any = None, stop: Any = None,
           min_elevation_deg: float = 10.0, *, duration: Any = None, dut1: Any = None,
           tolerance_s: float = 1e-3, samples_per_orbit: float = 10.0) -> pd.DataFrame:
    """Find every pass of every satellite over a site (or several) between two times.

    Parameters
    ----------
    sats : Constellation, Satellite, sgp4 Satrec, Skyfield EarthSatellite, or a list of them
    site : (lat_deg, lon_deg) or (lat_deg, lon_deg, height_m) tuple, ``"lat,lon[,h]"`` text, or a point
        :class:`~constellation.grid.Grid` from :func:`constellation.grid.points` (then the table has a
        ``site`` column with the site names).  WGS84 geodetic degrees; height above the ellipsoid in metres.
        Default: Jinan (36.65 N, 117.0 E).
    start, stop : ISO 8601 text, ``datetime``, ``datetime64`` (UTC)
        The search window; give ``duration`` (seconds or text such as ``"7d"``) instead of ``stop`` if you
        like.  ``start`` defaults to the latest element-set epoch of ``sats``.
    min_elevation_deg : float
        The elevation mask (degrees above the plane normal to the WGS84 ellipsoid at the site).
    dut1 : float or array, optional
        UT1 - UTC (s); default Skyfield's built-in IERS table.
    tolerance_s : float
        Accuracy of the refined event times (seconds).
    samples_per_orbit : float
        Coarse samples per turn of the satellite relative to the Earth (see :func:`coarse_step_s`); ten
        is ample, raise it only to double-check.

    Returns
    -------
    pandas.DataFrame, one row per pass, sorted by rise time (then satellite), columns:

    ``satellite`` (name), ``catalog_number``, ``group``, [``site``], ``rise``, ``culmination``, ``set``
    (UTC ``datetime64[ns]``), ``max_elevation_deg`` (elevation at culmination), ``duration_s``,
    ``rise_azimuth_deg``, ``set_azimuth_deg`` (clockwise from true north, [0, 360)), ``rise_clipped``,
    ``set_clipped`` (bool).

    A satellite already above the mask at ``start`` has ``rise == start`` and ``rise_clipped`` True; one
    still above it at ``stop`` has ``set == stop`` and ``set_clipped`` True (a geostationary satellite
    that is always in view gives one pass spanning the window with both flags).  ``culmination`` is the
    highest point of the pass inside the window: where a pass has several elevation maxima (an eccentric
    or slow orbit), the highest; for a clipped pass without a maximum inside the window, the clipped end.
    Unlike Skyfield's ``find_events``, which reports every maximum above the mask, there is one row per
    pass.  A satellite whose SGP4 propagation fails is treated as below the horizon from then on.

    The table's ``attrs`` record ``min_elevation_deg``, ``start``, ``stop`` and the sites.

    Examples
    --------
    >>> import constellation as C
    >>> table = C.passes(C.jinan368(), (36.65, 117.0), "2026-01-01", duration="1d")   # doctest: +SKIP
    """
    c = as_constellation(sats)
    sites = _parse_sites(site)
    t0, t1 = window(c, start, stop, duration)
    min_elevation_deg = number(min_elevation_deg, "min_elevation_deg", low=-90.0, high=90.0)
    tolerance_s = number(tolerance_s, "tolerance_s", low=1e-6, high=60.0)
    # fewer than 1 sample per relative turn misses passes; the work grows with it, so it is bounded too
    samples_per_orbit = number(samples_per_orbit, "samples_per_orbit", low=1.0, high=1000.0)
    span_s = float((t1 - t0) / np.timedelta64(1, "ns")) * 1e-9
    check_passes_fit(len(c), sites.pos_km.shape[0], span_s)
    sin_mask = math.sin(math.radians(float(min_elevation_deg)))
    ev = _Evaluator(c, t0, sites, sin_mask, dut1)

    events = _find_events(c, sites, t0, span_s, ev, float(tolerance_s), float(samples_per_orbit))
    table = _assemble(c, sites, t0, span_s, ev, events)
    table.attrs.update(min_elevation_deg=float(min_elevation_deg), start=str(t0), stop=str(t1),
                       sites=[(float(a), float(b), float(h)) for a, b, h in
                              zip(sites.lat_deg, sites.lon_deg, sites.height_m)])
    return table


def window(c: Constellation, start: Any = None, stop: Any = None,
           duration: Any = None) -> tuple[np.datetime64, np.datetime64]:
    """The analysis window ``(t0, t1)`` (UTC ``datetime64[ns]``) of the search functions (:func:`passes`,
    :func:`constellation.groundlink.contacts`, :func:`constellation.imaging.swath_opportunities`): from
    ``start`` (default: the latest element epoch of ``c``) to ``stop``, or for ``duration`` (seconds or
    text such as ``"1d"``); exactly one of the two."""
    if start is None:
        if len(c) == 0:
            raise ValueError("give start: there are no satellites to take an epoch from")
        start = c.epochs.max()
    t0 = _parse_time_ns(start)
    if (stop is None) == (duration is None):
        raise ValueError("give exactly one of stop or duration")
    t1 = _parse_time_ns(stop) if stop is not None else _after(t0, duration)
    if t1 <= t0:
        raise ValueError(f"stop ({t1}) must be after start ({t0})")
    return t0, t1


def _after(t0: np.datetime64, duration: Any) -> np.datetime64:
    """``t0`` plus ``duration``, refused (naming ``duration``) where the end would pass the representable
    times."""
    try:
        span_s = parse_duration(duration)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"duration: {exc}") from None
    end_s = t0.astype("datetime64[s]").astype(np.int64) + span_s
    if not (TIME_MIN.astype(np.int64) <= end_s <= TIME_MAX.astype(np.int64)):
        raise ValueError(f"duration: the window from {t0} for {span_s:g} s ends outside the times this package "
                         f"can represent ({TIME_MIN} to {TIME_MAX} UTC)")
    return t0 + np.timedelta64(int(round(span_s * 1e9)), "ns")


def _parse_time_ns(value: Any) -> np.datetime64:
    """:func:`parse_time`, keeping the nanoseconds of a pandas ``Timestamp`` (e.g. a time from our table)."""
    if hasattr(value, "to_datetime64") and getattr(value, "tzinfo", None) is None:
        return np.datetime64(value.to_datetime64(), "ns")
    return parse_time(value)


#: Memory of a search for passes, per satellite, site and (shortest, 90 min) orbit in the window: measured with
#: tracemalloc at 800 to 1,650 B (8 to 368 satellites over 5 to 200 days, one site), rounded up; plus the
#: fixed part of a run.
_PASS_BYTES_PER_SAT_SITE_ORBIT = 2048.0
_PASS_ORBIT_S = 5400.0
_PASS_BYTES_FIXED = float(64 << 20)


def check_passes_fit(n_sat: int, n_site: int, span_s: float) -> None:
    """Refuse (:class:`constellation.budget.WorkTooLargeError`) a search for passes that cannot fit in memory
    before it starts, with the estimate and the longest window that fits."""
    from .budget import available_bytes, check_fits

    per_s = _PASS_BYTES_PER_SAT_SITE_ORBIT * max(1, n_sat) * max(1, n_site) / _PASS_ORBIT_S
    need = _PASS_BYTES_FIXED + per_s * (span_s + _PASS_ORBIT_S)
    if need <= available_bytes():
        return
    room_s = (available_bytes() - _PASS_BYTES_FIXED) / per_s - _PASS_ORBIT_S
    fits = f"about {room_s / 86400.0:,.1f} days fit with these satellites and sites" if room_s > 0 else \
        "not even one orbit fits with these satellites and sites"
    check_fits(need, f"passes of {n_sat:,} satellites over {n_site:,} sites in {span_s / 86400.0:,.1f} days",
               f"{fits}; use a shorter window, fewer satellites (a group) or fewer sites")


def _carry_failures(idx: np.ndarray, ts: np.ndarray, err: np.ndarray, r: np.ndarray, v: np.ndarray,
                    fail_s: np.ndarray, fail_code: np.ndarray) -> None:
    """A satellite that failed to propagate (``err`` (n_sat, n_time) from :func:`teme_states`, for the
    satellites ``idx`` at ``ts`` s) stays failed from its first failed sample on, as in
    :func:`constellation.propagation.propagate`: NaN the states from there and note the first failure in
    ``fail_s`` / ``fail_code`` (per satellite of the whole constellation)."""
    bad = err != 0
    bad |= np.isfinite(fail_s[idx])[:, None] & (ts[None, :] >= fail_s[idx][:, None])
    if not bad.any():
        return
    rows = np.flatnonzero(bad.any(axis=1))
    first = bad[rows].argmax(axis=1)
    after = np.arange(ts.size)[None, :] >= first[:, None]
    r[rows] = np.where(after[:, :, None], np.nan, r[rows])
    v[rows] = np.where(after[:, :, None], np.nan, v[rows])
    new = ts[first] < fail_s[idx[rows]]
    fail_s[idx[rows[new]]] = ts[first[new]]
    fail_code[idx[rows[new]]] = err[rows[new], first[new]]  # new only where err itself failed there


def _find_events(c: Constellation, sites: _Sites, t0: np.datetime64, span_s: float, ev: _Evaluator,
                 tol_s: float, samples_per_orbit: float) -> dict[str, np.ndarray]:
    """Coarse sampling of every satellite and site, then refinement of maxima, dips and crossings."""
    n_site = sites.pos_km.shape[0]
    if len(c) == 0:
        return _empty_events(n_site)
    # refinement problems gathered over all step groups, time blocks and sites; each is an interval
    # [a, b] with h and dh/dt at both ends; kind +1: maximum inside, -1: minimum inside, 0: one crossing
    probs = {k: [] for k in ("sat", "site", "a", "b", "ha", "hb", "da", "db", "kind")}
    h_start = np.full((len(c), n_site), np.nan)
    h_stop = np.full((len(c), n_site), np.nan)
    steps = coarse_step_s(c, samples_per_orbit)
    rate_bound, psi_vis = _visibility_bounds(c, sites, ev.sin_mask, samples_per_orbit)
    fail_s = np.full(len(c), np.inf)  # each satellite's first failed sample (s from t0) and its SGP4 code
    fail_code = np.zeros(len(c), np.uint8)
    for idx, step in _step_groups(steps):
        n_steps = max(1, int(math.ceil(span_s / step - 1e-9)))
        t_grid = np.minimum(np.arange(n_steps + 1) * (span_s / n_steps), span_s)
        sub = c[idx]
        per_block = max(2, _BLOCK_SATSTEPS // max(1, idx.size))
        k0 = 0
        while k0 < t_grid.size - 1:
            k1 = min(t_grid.size - 1, k0 + per_block)
            ts = t_grid[k0:k1 + 1]
            err, r, v = teme_states(sub, _stamp(t0, ts))
            _carry_failures(idx, ts, err, r, v, fail_s, fail_code)
            cth, sth, w = ev.rotation(ts)
            for j in range(n_site):
                h, dh, _ = _elevation_terms(r, v, cth, sth, w, sites.pos_km[j], sites.up[j], ev.sin_mask, False)
                if k0 == 0:
                    h_start[idx, j] = h[:, 0]
                if k1 == t_grid.size - 1:
                    h_stop[idx, j] = h[:, -1]
                psi = _central_angle(r, cth, sth, sites.pos_km[j])
                _intervals(idx, j, ts, h, dh, psi, rate_bound[idx], psi_vis[idx, j], probs)
            k0 = k1
    failed = np.flatnonzero(np.isfinite(fail_s))
    if failed.size:
        first = np.full(len(c), -1)
        first[failed] = np.arange(failed.size)
        warn_failures(c, first, fail_code, _stamp(t0, fail_s[failed]), stacklevel=4)
    p = {k: np.concatenate(v) for k, v in probs.items()}
    sat, site, kind = p["sat"].astype(np.int64), p["site"].astype(np.int64), p["kind"].astype(np.int64)
    a, b, ha, hb, da, db = p["a"], p["b"], p["ha"], p["hb"], p["da"], p["db"]

    # Stage 1: elevation maxima (dh/dt from + to -) and dips (- to +) as roots of dh/dt, started from the
    # stationary point of the cubic Hermite interpolant of the two samples.
    ext = kind != 0
    es, ej, ea, eb = sat[ext], site[ext], a[ext], b[ext]
    ek = kind[ext]
    if es.size:
        x0 = _hermite_extremum(ea, eb, ha[ext], hb[ext], da[ext], db[ext], ek)
        # F = -dh/dt for maxima, +dh/dt for minima, so that F(a) < 0 <= F(b)
        tx = _refine(ev, es, ej, ea, eb, x0, np.ones(es.size, bool), np.where(ek > 0, -1.0, 1.0), tol_s)
        hx, dx, _ = ev.terms(es, ej, tx, second=False)
    else:
        tx = hx = dx = np.zeros(0)

    # Stage 2: mask crossings.  Brackets: intervals whose ends differ in sign and hold no extremum (or a
    # dip with one end up: one crossing), and the sides of each extremum that straddle the mask.
    eha, ehb, eda, edb = ha[ext], hb[ext], da[ext], db[ext]
    up_a, up_b, up_x = eha >= 0, ehb >= 0, hx >= 0
    is_max, is_min = ek > 0, ek < 0
    left = (is_max & ~up_a & up_x) | (is_min & up_a & ~up_x)    # crossing in [a, t_ext]
    right = (is_max & up_x & ~up_b) | (is_min & ~up_x & up_b)   # crossing in [t_ext, b]
    mono = ~ext
    cat = np.concatenate
    r_sat = cat([sat[mono], es[left], es[right]])
    r_site = cat([site[mono], ej[left], ej[right]])
    r_a, r_b = cat([a[mono], ea[left], tx[right]]), cat([b[mono], tx[left], eb[right]])
    r_ha, r_hb = cat([ha[mono], eha[left], hx[right]]), cat([hb[mono], hx[left], ehb[right]])
    r_da, r_db = cat([da[mono], eda[left], dx[right]]), cat([db[mono], dx[left], edb[right]])
    rising = r_hb >= 0  # up at the later end: a rise
    if r_sat.size:
        x0 = _hermite_root(r_a, r_b, r_ha, r_hb, r_da, r_db)
        # F = h, with lo the end below the mask: the earlier end for a rise, the later for a set
        lo, hi = np.where(rising, r_a, r_b), np.where(rising, r_b, r_a)
        tr = _refine(ev, r_sat, r_site, lo, hi, x0, np.zeros(r_sat.size, bool), np.ones(r_sat.size), tol_s)
    else:
        tr = np.zeros(0)
    keep = is_max & up_x
    return dict(
        h_start=h_start, h_stop=h_stop,
        cross_sat=r_sat, cross_site=r_site, cross_t=tr, cross_rising=rising,
        max_sat=es[keep], max_site=ej[keep], max_t=tx[keep], max_h=hx[keep])


def _stamp(t0: np.datetime64, t_s: np.ndarray) -> np.ndarray:
    """UTC datetime64[ns] of times given in seconds after ``t0``."""
    return t0 + np.round(np.asarray(t_s, dtype=float) * 1e9).astype(np.int64).astype("timedelta64[ns]")


def _empty_events(n_site: int) -> dict:
    z, zi = np.zeros(0), np.zeros(0, np.int64)
    return dict(h_start=np.zeros((0, n_site)), h_stop=np.zeros((0, n_site)), cross_sat=zi, cross_site=zi,
                cross_t=z, cross_rising=np.zeros(0, bool), max_sat=zi, max_site=zi, max_t=z, max_h=z)


def _central_angle(r: np.ndarray, c: np.ndarray, s: np.ndarray, site_pos: np.ndarray) -> np.ndarray:
    """Geocentric angle (rad) between satellites ``r`` (TEME, (n_sat, n_t, 3)) and a site (ITRS km)."""
    sx, sy, sz = _to_teme(site_pos, c, s)
    dot = r[..., 0] * sx + r[..., 1] * sy + r[..., 2] * sz
    norm = np.sqrt(r[..., 0] ** 2 + r[..., 1] ** 2 + r[..., 2] ** 2) * float(np.linalg.norm(site_pos))
    return np.arccos(np.clip(dot / norm, -1.0, 1.0))


def _visibility_bounds(c: Constellation, sites: _Sites, sin_mask: float, samples_per_orbit: float):
    """Per satellite, a bound on the rate (rad/s) of the geocentric angle between it and any site, and per
    satellite and site the largest geocentric angle (rad) at which it can be above the mask.

    The direction of a satellite turns at most at its perigee rate ``n_p`` (see :func:`coarse_step_s`) and
    a site's at the Earth's rate, so their angle changes at most at ``n_p + omega_E`` (we add 5 % for
    SGP4's periodic terms).  A satellite at distance ``r`` from the centre has geocentric elevation
    ``e`` at a site at distance ``R`` when the geocentric angle is ``acos(R cos(e) / r) - e`` (the plane
    triangle of centre, site and satellite); elevation from the ellipsoid normal differs from geocentric
    elevation by the angle between normal and radius, under 0.2 degree, so we use the mask lowered by
    0.5 degree and the orbit's apogee radius plus 50 km.
    """
    sats = c.satrecs
    n = np.array([r.no_kozai for r in sats], float) / 60.0
    e = np.clip(np.array([r.ecco for r in sats], float), 0.0, 0.999)
    n_p = np.where(n > 0, n, 0.0) * (1.0 + e) ** 2 / (1.0 - e * e) ** 1.5
    rate = 1.05 * (n_p + _OMEGA_EARTH_RAD_S)
    r_apo = np.array([r.a * r.radiusearthkm for r in sats], float) * (1.0 + e) + 50.0
    mask = math.asin(max(-1.0, min(1.0, sin_mask))) - math.radians(0.5)
    R = np.linalg.norm(sites.pos_km, axis=1)
    arg = np.clip(R[None, :] * math.cos(mask) / r_apo[:, None], -1.0, 1.0)
    psi_vis = np.arccos(arg) - mask
    return rate, np.where(np.isfinite(psi_vis), psi_vis, np.pi)


def _intervals(idx: np.ndarray, j: int, ts: np.ndarray, h: np.ndarray, dh: np.ndarray, psi: np.ndarray,
               rate: np.ndarray, psi_vis: np.ndarray, probs: dict) -> None:
    """Classify the sample intervals of one block and site; append the refinement problems to ``probs``.

    With at most one extremum of ``h`` per interval (guaranteed by the step), an interval holds a maximum
    when dh/dt turns from > 0 to <= 0 and a minimum when it turns from < 0 to >= 0; otherwise ``h`` is
    monotone there and crosses the mask exactly when its end values differ in sign.  A minimum matters
    only when both ends are above the mask (a dip between two samples); with one end up the interval
    crosses once.  A maximum with both ends below the mask is dropped when the geocentric angle cannot
    come down to ``psi_vis`` within the interval: at rate at most ``rate`` from both ends, the angle stays
    above ``(psi_a + psi_b - rate (b - a)) / 2``.
    """
    ha, hb = h[:, :-1], h[:, 1:]
    da, db = dh[:, :-1], dh[:, 1:]
    finite = np.isfinite(ha) & np.isfinite(hb) & np.isfinite(da) & np.isfinite(db)
    ua, ub = ha >= 0, hb >= 0
    turn_max = (da > 0) & (db <= 0)
    turn_min = (da < 0) & (db >= 0)
    reach = 0.5 * (psi[:, :-1] + psi[:, 1:] - rate[:, None] * np.diff(ts)[None, :]) <= psi_vis[:, None]
    is_max = turn_max & finite & (ua | ub | reach)
    is_min = turn_min & finite & ua & ub
    crossing = (ua != ub) & finite & ~turn_max & ~(turn_min & ua & ub)
    for sel, k in ((is_max, 1), (is_min, -1), (crossing, 0)):
        s_i, t_i = np.nonzero(sel)
        probs["sat"].append(idx[s_i])
        probs["site"].append(np.full(s_i.size, j))
        probs["a"].append(ts[t_i])
        probs["b"].append(ts[t_i + 1])
        probs["ha"].append(ha[s_i, t_i])
        probs["hb"].append(hb[s_i, t_i])
        probs["da"].append(da[s_i, t_i])
        probs["db"].append(db[s_i, t_i])
        probs["kind"].append(np.full(s_i.size, k))


def _hermite_coefficients(a, b, ha, hb, da, db):
    """Cubic Hermite interpolant on [a, b] in s = (t - a) / (b - a): h(s) = c3 s^3 + c2 s^2 + c1 s + c0."""
    w = b - a
    c0, c1 = ha, w * da
    c2 = 3.0 * (hb - ha) - w * (2.0 * da + db)
    c3 = 2.0 * (ha - hb) + w * (da + db)
    return w, c0, c1, c2, c3


def _hermite_extremum(a, b, ha, hb, da, db, kind) -> np.ndarray:
    """Start for an extremum: the stationary point (maximum for kind > 0, minimum otherwise) of the cubic
    Hermite interpolant through both samples and their slopes, else the midpoint."""
    w, c0, c1, c2, c3 = _hermite_coefficients(a, b, ha, hb, da, db)
    # h'(s) = 3 c3 s^2 + 2 c2 s + c1; at a maximum h'' = 6 c3 s + 2 c2 < 0
    A, B, C = 3.0 * c3, 2.0 * c2, c1
    with np.errstate(divide="ignore", invalid="ignore"):
        disc = np.sqrt(np.maximum(B * B - 4.0 * A * C, 0.0))
        q = -0.5 * (B + np.copysign(disc, B))
        r1, r2 = q / A, C / q
        lin = -C / B
    best = np.full(a.shape, 0.5)
    for r in (lin, r2, r1):  # later candidates win when valid
        curv = 6.0 * c3 * r + 2.0 * c2
        ok = np.isfinite(r) & (r >= 0.0) & (r <= 1.0) & (np.where(kind > 0, curv <= 0, curv >= 0))
        best = np.where(ok, r, best)
    return a + w * best


def _hermite_root(a, b, ha, hb, da, db, iterations: int = 12) -> np.ndarray:
    """Start for a crossing: the zero of the cubic Hermite interpolant between the samples, found to 1/4096
    of the interval by bisection on the polynomial (which keeps the sign change); the interpolant itself
    is typically seconds from the true crossing, which Newton's method then removes."""
    w, c0, c1, c2, c3 = _hermite_coefficients(a, b, ha, hb, da, db)
    lo, hi = np.zeros(a.shape), np.ones(a.shape)
    rising = hb >= 0
    for _ in range(iterations):
        mid = 0.5 * (lo + hi)
        val = ((c3 * mid + c2) * mid + c1) * mid + c0
        below = val < 0
        go_right = np.where(rising, below, ~below)
        lo = np.where(go_right, mid, lo)
        hi = np.where(go_right, hi, mid)
    return a + w * 0.5 * (lo + hi)


def _assemble(c: Constellation, sites: _Sites, t0: np.datetime64, span_s: float, ev: _Evaluator,
              e: dict) -> pd.DataFrame:
    """Pair rises with sets per satellite and site, attach culminations and look angles."""
    n_site = sites.pos_km.shape[0]
    key_c = e["cross_sat"] * n_site + e["cross_site"]
    # clipped rises at start and clipped sets at stop
    s0, j0 = np.nonzero(e["h_start"] >= 0)
    s1, j1 = np.nonzero(e["h_stop"] >= 0)
    rise_key = np.concatenate([key_c[e["cross_rising"]], s0 * n_site + j0])
    rise_t = np.concatenate([e["cross_t"][e["cross_rising"]], np.zeros(s0.size)])
    rise_clip = np.concatenate([np.zeros(int(e["cross_rising"].sum()), bool), np.ones(s0.size, bool)])
    set_key = np.concatenate([key_c[~e["cross_rising"]], s1 * n_site + j1])
    set_t = np.concatenate([e["cross_t"][~e["cross_rising"]], np.full(s1.size, span_s)])
    set_clip = np.concatenate([np.zeros(int((~e["cross_rising"]).sum()), bool), np.ones(s1.size, bool)])
    ro = np.lexsort((rise_t, rise_key))
    so = np.lexsort((set_t, set_key))
    rise_key, rise_t, rise_clip = rise_key[ro], rise_t[ro], rise_clip[ro]
    set_key, set_t, set_clip = set_key[so], set_t[so], set_clip[so]
    if rise_key.size != set_key.size or np.any(rise_key != set_key) or np.any(rise_t > set_t):
        raise RuntimeError("internal error: rises and sets do not alternate; please report this case "
                           "(satellites, site and window)")
    n = rise_key.size
    sat = rise_key // n_site
    site = rise_key % n_site

    # culmination: the highest refined maximum inside the pass; a clipped end counts too (a pass that is
    # already descending at start culminates there)
    hs, he = e["h_start"][sat, site], e["h_stop"][sat, site]
    culm_h = np.full(n, -np.inf)
    culm_t = 0.5 * (rise_t + set_t)
    use_start = rise_clip & (~set_clip | (hs >= he))
    use_stop = set_clip & ~use_start
    culm_h[use_start], culm_t[use_start] = hs[use_start], 0.0
    culm_h[use_stop], culm_t[use_stop] = he[use_stop], span_s
    if e["max_t"].size and n:
        scale = span_s + 10.0
        pass_lo = rise_key * scale + rise_t
        m_key = e["max_sat"] * n_site + e["max_site"]
        m_pos = m_key * scale + e["max_t"]
        p = np.searchsorted(pass_lo, m_pos, side="right") - 1
        ok = (p >= 0)
        p_ok = np.where(ok, p, 0)
        ok &= (rise_key[p_ok] == m_key) & (e["max_t"] >= rise_t[p_ok] - 1e-6) & (e["max_t"] <= set_t[p_ok] + 1e-6)
        order = np.lexsort((e["max_h"][ok], p[ok]))
        pp, hh, tt = p[ok][order], e["max_h"][ok][order], e["max_t"][ok][order]
        last = np.r_[pp[1:] != pp[:-1], True] if pp.size else np.zeros(0, bool)
        pp, hh, tt = pp[last], hh[last], tt[last]
        better = hh > culm_h[pp]
        culm_t[pp[better]] = tt[better]
        culm_h[pp[better]] = hh[better]

    # look angles at rise, culmination and set
    t_all = np.concatenate([rise_t, culm_t, set_t])
    s_all = np.tile(sat, 3)
    j_all = np.tile(site, 3)
    r, _ = ev.states(s_all, t_all)
    cth, sth, _ = ev.rotation(t_all)
    el, az = _look_angles(r, cth, sth, sites, j_all)

    cols = {
        "satellite": c.names[sat] if n else np.zeros(0, str),
        "catalog_number": c.catalog_numbers[sat] if n else np.zeros(0, np.int64),
        "group": c.groups[sat] if n else np.zeros(0, str),
    }
    if n_site > 1:
        cols["site"] = sites.names[site]
    cols.update({
        "rise": _stamp(t0, rise_t), "culmination": _stamp(t0, culm_t), "set": _stamp(t0, set_t),
        "max_elevation_deg": el[n:2 * n], "duration_s": set_t - rise_t,
        "rise_azimuth_deg": az[:n], "set_azimuth_deg": az[2 * n:],
        "rise_clipped": rise_clip, "set_clipped": set_clip,
    })
    df = pd.DataFrame(cols)
    for k in ("satellite", "group") + (("site",) if n_site > 1 else ()):
        df[k] = df[k].astype(object)
    df = df.sort_values(["rise", "satellite", *(("site",) if n_site > 1 else ())], kind="stable")
    return df.reset_index(drop=True)
