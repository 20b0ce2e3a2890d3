"""Design search: the smallest Walker or sun-synchronous constellation that meets a coverage requirement.

:func:`search` evaluates candidate designs (:func:`walker_candidates`, :func:`sso_candidates` or an explicit
list of parameter dicts) against a :class:`DesignRequirement` in three stages, and returns one row per
candidate saying what happened to it:

1. **Prune** with analytic bounds, no propagation (footprint Earth central angle on a sphere of radius
   ``R = 6378.137 km``, ``lambda = 90 - eps - asin(R cos(eps) / (R + h))``):

   * *latitude reach*: a satellite at inclination ``i`` never sees a point at ``|lat| > i' + lambda`` with
     ``i' = min(i, 180 - i)``; if part of the requirement's area lies beyond that, its worst cell is never
     covered (for ``coverage_fraction`` requirements on the worst cell, mean or area fraction thresholds
     that such cells make unreachable);
   * *covering area* (continuous coverage only, ``coverage_fraction`` worst cell >= 1): ``T`` caps of
     radius ``lambda`` cover at most ``T * 2 pi (1 - cos lambda)`` steradians, so a region of solid angle
     ``Omega`` needs ``T (1 - cos lambda) >= Omega / (2 pi)`` (for the whole sphere ``cos lambda <= 1 - 2/T``).

   Both are necessary conditions: a pruned design cannot meet the requirement.
2. **Screen** the survivors on a coarse grid (``screen_res_deg``) over the requirement's window sampled
   every ``screen_step_s``, without edge refinement.
3. **Confirm**, fewest satellites first, the designs the screen passed (and those within
   ``confirm_margin`` of the threshold) on the requirement's own grid and step; the search stops
   confirming once ``n_confirm`` designs are confirmed to meet.  Only ``confirmed`` rows are final.

The objective is *fewest satellites, then best margin* (the statistic's distance past the threshold).
The Pareto front of satellites against the statistic is taken over the evaluated rows (confirmed values
where there are, screened ones otherwise).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

    from .grid import Grid

__all__ = ["DesignRequirement", "walker_candidates", "sso_candidates", "search", "SearchResult",
           "footprint_central_angle_deg", "build_design", "R_SPHERE_KM"]

#: Sphere radius (km) of the analytic bounds: the WGS84 equatorial radius (the largest, so the footprint
#: angle it gives is a bound for every point of the ellipsoid within rounding of the flattening).
R_SPHERE_KM = 6378.137


def footprint_central_angle_deg(altitude_km: float | np.ndarray, min_elevation_deg: float) -> np.ndarray:
    """Earth central angle (degrees) of a satellite's footprint on a sphere of radius :data:`R_SPHERE_KM`
    at elevation mask ``min_elevation_deg``: ``90 - eps - asin(R cos(eps) / (R + h))`` (Wertz, *Space
    Mission Analysis and Design*, 3rd ed., eq. 5-17)."""
    eps = math.radians(min_elevation_deg)
    ratio = R_SPHERE_KM * math.cos(eps) / (R_SPHERE_KM + np.asarray(altitude_km, float))
    return 90.0 - min_elevation_deg - np.degrees(np.arcsin(np.clip(ratio, -1, 1)))


@dataclass(frozen=True)
class DesignRequirement:
    """What a design must achieve.

    ``fom`` (a per-cell figure of merit of :func:`constellation.coverage`) reduced over the grid by
    ``statistic``: ``"worst"`` (minimum, or maximum for lower-is-better figures), ``"mean"`` (area-weighted)
    or ``"area_fraction"`` (share of the area whose cell meets ``threshold``; then ``area_threshold`` is the
    share needed).  A design meets the requirement when the statistic is at least ``threshold`` (at most,
    for lower-is-better figures such as ``revisit_max_s``).  ``grid`` (a Grid, e.g. a region grid), the
    window ``start`` + ``duration`` sampled every ``step_s``, ``min_elevation_deg``; ``coverage_kw`` goes to
    :func:`constellation.coverage` (e.g. ``half_angle_deg``, ``min_sats``, ``min_sun_elevation_deg``).

    The daylight revisit figures (``revisit_daylight_max_s``, ``revisit_daylight_mean_s``: gaps counting only
    the time within the Sun limits at the cell) need a Sun limit in ``coverage_kw``, e.g.
    ``coverage_kw={"min_sun_elevation_deg": 10.0}``; a cell with no gap in daylight counts as 0 s.  A cell
    that is never served fails every revisit requirement (its gap, the whole window, could otherwise meet a
    threshold as long as the window).
    """

    fom: str = "coverage_fraction"
    threshold: float = 1.0
    statistic: str = "worst"
    grid: Any = None
    start: Any = "2026-01-01"
    duration: str = "1d"
    step_s: float = 60.0
    min_elevation_deg: float = 10.0
    area_threshold: float = 1.0
    coverage_kw: dict = field(default_factory=dict)

    def lower_is_better(self) -> bool:
        from .comparison import LOWER_IS_BETTER

        return self.fom in LOWER_IS_BETTER and self.statistic != "area_fraction"

    def check(self) -> None:
        from .comparison import FOMS

        if self.fom not in FOMS:
            raise ValueError(f"requirement fom must be one of {', '.join(FOMS)}, got {self.fom!r}")
        if self.fom.startswith("revisit_daylight_") and self.coverage_kw.get("min_sun_elevation_deg") is None \
                and self.coverage_kw.get("max_sun_elevation_deg") is None:
            raise ValueError(f"requirement fom {self.fom!r} is measured within the Sun limits: give "
                             f"coverage_kw={{'min_sun_elevation_deg': ...}} (or max_sun_elevation_deg)")
        if self.statistic not in ("worst", "mean", "area_fraction"):
            raise ValueError(f"requirement statistic must be 'worst', 'mean' or 'area_fraction', got "
                             f"{self.statistic!r}")
        if not self.step_s > 0:
            raise ValueError(f"requirement step_s must be positive, got {self.step_s!r}")

    def value(self, ds: Any, weights: np.ndarray) -> float:
        """The statistic of ``fom`` on one coverage result."""
        from .comparison import LOWER_IS_BETTER

        v = np.asarray(ds[self.fom].values, float).ravel()
        if self.fom.startswith("revisit_"):
            # a cell never served has no revisit at all, whatever its gap says (a daylight figure: where it
            # had daylight; NaN, no daylight in the window, stays "no gap")
            never = np.asarray(ds["access_count"].values).ravel() == 0 if "access_count" in ds else False
            v = np.where(never & ~np.isnan(v), np.inf, np.where(np.isnan(v), 0.0, v))  # NaN: no gap
        lower = self.fom in LOWER_IS_BETTER
        if self.statistic == "worst":
            fin = v[~np.isnan(v)]
            return float(fin.max() if lower else fin.min()) if fin.size else float("nan")
        if self.statistic == "mean":
            ok = ~np.isnan(v)  # a never-served cell (inf) makes the mean inf
            return float((v[ok] * weights[ok]).sum() / weights[ok].sum())
        good = (v <= self.threshold) if lower else (v >= self.threshold)
        return float(weights[good & np.isfinite(v)].sum() / weights.sum())

    def margin(self, value: float) -> float:
        """How far ``value`` is past the requirement (negative: short of it)."""
        if self.statistic == "area_fraction":
            return value - self.area_threshold
        return (self.threshold - value) if self.lower_is_better() else (value - self.threshold)


def walker_candidates(total: Iterable[int], inclination_deg: Iterable[float], altitude_km: Iterable[float], *,
                      kind: str = "delta", planes: Iterable[int] | None = None,
                      phasing: Iterable[int] | None = None) -> list[dict[str, Any]]:
    """Walker T/P/F candidates: every ``T`` in ``total``, every divisor ``P`` of ``T`` (or those in
    ``planes``), every phasing ``F`` in ``0..P-1`` (or those in ``phasing``), every inclination and
    altitude.  ``kind``: ``"delta"`` or ``"star"``."""
    if kind not in ("delta", "star"):
        raise ValueError(f"kind must be 'delta' or 'star', got {kind!r}")
    incs, alts = [float(i) for i in inclination_deg], [float(a) for a in altitude_km]
    out = []
    for t in total:
        t = int(t)
        ps = [p for p in (planes if planes is not None else range(1, t + 1)) if p >= 1 and t % p == 0]
        for p in ps:
            fs = [f for f in (phasing if phasing is not None else range(p)) if 0 <= f < p]
            for f, i, a in itertools.product(fs, incs, alts):
                out.append(dict(pattern=f"walker-{kind}", sats=t, planes=p, phasing=f, inclination_deg=i,
                                altitude_km=a))
    return out


def sso_candidates(planes: Iterable[int], sats_per_plane: Iterable[int], ltdn_hours: Iterable[float],
                   altitude_km: Iterable[float], *, ltdn_spread_h: float = 0.0) -> list[dict[str, Any]]:
    """Sun-synchronous candidates: planes x satellites per plane x local time of the descending node
    (first plane; the others ``ltdn_spread_h`` hours apart in total, evenly) x altitude; each with the
    sun-synchronous inclination of its altitude (:func:`constellation.design.sun_synchronous_inclination`)."""
    from .design import sun_synchronous_inclination

    out = []
    for p, s, h, a in itertools.product(planes, sats_per_plane, ltdn_hours, altitude_km):
        out.append(dict(pattern="sun-synchronous", sats=int(p) * int(s), planes=int(p), phasing=0,
                        sats_per_plane=int(s), ltdn_hours=float(h), ltdn_spread_h=float(ltdn_spread_h),
                        altitude_km=float(a), inclination_deg=float(sun_synchronous_inclination(float(a)))))
    return out


def build_design(d: dict[str, Any], epoch: Any, *, via_tle: bool = True):
    """The constellation of one candidate (a dict as :func:`walker_candidates` / :func:`sso_candidates`
    make)."""
    from . import design

    if d["pattern"] == "sun-synchronous":
        p = d["planes"]
        spread = d.get("ltdn_spread_h", 0.0)
        ltdn = [(d["ltdn_hours"] + (spread * k / p if p > 1 else 0.0)) % 24.0 for k in range(p)]
        return design.sun_synchronous(d["altitude_km"], p, d["sats_per_plane"], ltdn, epoch, via_tle=via_tle)
    gen = design.walker_delta if d["pattern"] == "walker-delta" else design.walker_star
    return gen(d["sats"], d["planes"], d["phasing"], d["inclination_deg"], d["altitude_km"], epoch,
               via_tle=via_tle)


def _area_bounds(grid: Grid) -> tuple[float, float]:
    """(max |lat| of any cell's area, solid angle / 2 pi of the grid's area on the sphere)."""
    from .grid import zone_area_km2

    lat = np.asarray(grid.lat_deg, float)
    half = grid.res_deg / 2 if np.isfinite(grid.res_deg) else 0.0
    reach = float(np.max(np.abs(lat)) + half)
    earth = float(zone_area_km2(-90.0, 90.0, 360.0))
    w = np.asarray(grid.area_km2, float)
    frac = float(w.sum() / earth) if np.all(np.isfinite(w)) else 0.0
    return min(reach, 90.0), 2.0 * frac  # Omega / (2 pi) = 4 pi frac / 2 pi


def _prune(d: dict[str, Any], req: DesignRequirement, reach_deg: float, omega_2pi: float,
           whole: bool) -> str:
    if req.fom != "coverage_fraction" or req.coverage_kw.get("half_angle_deg") is not None \
            or req.coverage_kw.get("min_sats", 1) != 1:
        return ""
    lam = float(footprint_central_angle_deg(d["altitude_km"], req.min_elevation_deg))
    inc = d["inclination_deg"]
    i_eff = min(inc, 180.0 - inc)
    if req.statistic == "worst" and req.threshold > 0 and i_eff + lam < reach_deg - 1e-9:
        return f"latitude reach {i_eff + lam:.1f} < {reach_deg:.1f} deg"
    if req.statistic == "worst" and req.threshold >= 1.0 and \
            d["sats"] * (1.0 - math.cos(math.radians(lam))) < (2.0 if whole else omega_2pi) - 1e-12:
        return f"{d['sats']} caps of {lam:.1f} deg cannot cover the area"
    return ""


@dataclass
class SearchResult:
    """``table``: one row per candidate (parameters, ``status``, ``value``, ``margin``, ``meets``, ``final``);
    ``best``: the chosen row (fewest satellites, then margin, among confirmed designs) or None;
    ``pareto``: the non-dominated rows (satellites against the statistic); ``timings_s`` per stage."""

    table: pd.DataFrame
    best: dict | None
    pareto: pd.DataFrame
    requirement: DesignRequirement
    timings_s: dict[str, float]

    def __str__(self) -> str:
        import pandas as pd

        cols = [c for c in ("pattern", "sats", "planes", "phasing", "inclination_deg", "altitude_km", "ltdn_hours",
                            "status", "value", "margin", "margin_deg") if c in self.table]
        n = self.table["status"].value_counts().to_dict()
        head = (f"{len(self.table)} candidates: " + ", ".join(f"{v} {k}" for k, v in sorted(n.items())) +
                f"; prune {self.timings_s['prune']:.2f} s, screen {self.timings_s['screen']:.2f} s, confirm "
                f"{self.timings_s['confirm']:.2f} s")
        req = self.requirement
        what = f"{req.statistic} {req.fom} {'<=' if req.lower_is_better() else '>='} {req.threshold:g}" + \
            (f" on {req.area_threshold:g} of the area" if req.statistic == "area_fraction" else "")
        best = "none confirmed" if self.best is None else \
            ", ".join(f"{k}={self.best[k]}" for k in cols if k in self.best)
        with pd.option_context("display.width", 160, "display.max_columns", 20):
            return (f"requirement: {what}\n{head}\nbest: {best}\nPareto front (satellites vs value):\n"
                    f"{self.pareto[cols].to_string(index=False)}")


def _window(req: DesignRequirement, step_s: float, duration: str | None = None):
    from .timescale import parse_duration, time_range

    if duration is not None and parse_duration(duration) > parse_duration(req.duration):
        raise ValueError(f"screen_duration {duration!r} is longer than the requirement's window {req.duration!r}")
    return time_range(req.start, duration=duration or req.duration, step_s=step_s)


def search(candidates: Sequence[dict[str, Any]], requirement: DesignRequirement, *, screen_res_deg: float = 4.0,
           screen_step_s: float | None = None, screen_duration: str | None = None, confirm_margin: float = 0.02,
           n_confirm: int = 1, elevation_margin: bool = True, progress: Any = None) -> SearchResult:
    """Search ``candidates`` for the smallest design meeting ``requirement`` (module docs for the stages).

    ``screen_res_deg``: resolution of the screening grid (cells of the same region, or a global grid,
    as the requirement's grid; at least the requirement grid's own).  ``screen_step_s``: screening time step
    (default: 4 x the requirement's).  ``screen_duration``: screen over this part of the window only (from
    its start; e.g. one ground-track repeat period or a few orbits; default: the whole window); screened
    verdicts stay provisional, confirmation uses the whole window.  ``confirm_margin``: designs whose
    screened margin is short of the threshold by at most this much are confirmed too (the coarse screen
    can miss or invent a gap).
    ``n_confirm``: confirm until at least this many designs meet, and always every passing design with
    as few satellites as the smallest confirmed one (so ties on satellites are all confirmed).
    ``elevation_margin``: for continuous-coverage requirements (``coverage_fraction``, worst cell, >= 1),
    give each confirmed design its margin in degrees: how much the elevation mask can rise (found by
    bisection to 0.05 degree, up to 15 degrees) with the design still meeting the requirement; the best
    design is then the one with the fewest satellites and the largest such margin.
    """
    import pandas as pd

    from .api import coverage
    from .grid import global_grid

    req = requirement
    req.check()
    if not candidates:
        raise ValueError("search needs at least one candidate design")
    grid = req.grid if req.grid is not None else global_grid(1.0)
    whole = grid.kind in ("regular", "equal_area") and abs(float(np.sum(grid.area_km2)) /
                                                           float(_earth_km2()) - 1.0) < 1e-9
    screen = _screen_grid(grid, screen_res_deg, whole)
    reach, omega = _area_bounds(grid)
    t0 = time.perf_counter()
    rows = [dict(d, status="", value=np.nan, margin=np.nan, margin_deg=np.nan, meets=False, final=False, note="")
            for d in candidates]
    for r in rows:
        why = _prune(r, req, reach, omega, whole)
        if why:
            r.update(status="pruned", note=why)
    t1 = time.perf_counter()
    kw = dict(min_elevation_deg=req.min_elevation_deg, **req.coverage_kw)
    times_s = _window(req, screen_step_s or 4.0 * req.step_s, screen_duration)
    ws = np.asarray(screen.weights(), float)
    for k, r in enumerate(rows):
        if r["status"]:
            continue
        ds = coverage(build_design(r, req.start, via_tle=False), times_s, screen, refine_edges=False, **kw)
        v = req.value(ds, ws)
        m = req.margin(v)
        r.update(status="screened", value=v, margin=m, meets=bool(m >= 0))
        if progress is not None:
            progress(k, len(rows))
    t2 = time.perf_counter()
    times_c = _window(req, req.step_s)
    wc = np.asarray(grid.weights(), float)
    order = sorted((i for i, r in enumerate(rows) if r["status"] == "screened" and r["margin"] >= -confirm_margin),
                   key=lambda i: (rows[i]["sats"], -rows[i]["margin"]))
    smallest = None
    for i in order:
        r = rows[i]
        if smallest is not None and r["sats"] > smallest and sum(x["final"] and x["meets"] for x in rows) >= n_confirm:
            break
        ds = coverage(build_design(r, req.start), times_c, grid, **kw)
        v = req.value(ds, wc)
        m = req.margin(v)
        r.update(status="confirmed", value=v, margin=m, meets=bool(m >= 0), final=True)
        if r["meets"]:
            smallest = r["sats"] if smallest is None else min(smallest, r["sats"])
            if elevation_margin and _continuous(req):
                r["margin_deg"] = _elevation_margin(r, req, grid, times_c, wc)
    t3 = time.perf_counter()
    table = pd.DataFrame(rows)
    ok = table[(table["status"] == "confirmed") & table["meets"]]
    best = None
    if len(ok):
        best = ok.sort_values(["sats", "margin_deg", "margin"], ascending=[True, False, False],
                              na_position="last").iloc[0].to_dict()
    return SearchResult(table, best, _pareto(table, req), req,
                        dict(prune=t1 - t0, screen=t2 - t1, confirm=t3 - t2))


def _continuous(req: DesignRequirement) -> bool:
    return req.fom == "coverage_fraction" and req.statistic == "worst" and req.threshold >= 1.0


def _elevation_margin(r: dict, req: DesignRequirement, grid: Grid, times: Any, w: np.ndarray) -> float:
    """Largest rise of the elevation mask (degrees, bisection to 0.05, at most 15) keeping the requirement."""
    from .api import coverage

    sats = build_design(r, req.start)
    kw = dict(req.coverage_kw)
    lo, hi = 0.0, 15.0

    def meets(extra: float) -> bool:
        ds = coverage(sats, times, grid, min_elevation_deg=req.min_elevation_deg + extra, **kw)
        return req.margin(req.value(ds, w)) >= 0

    if meets(hi):
        return hi
    while hi - lo > 0.05:
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if meets(mid) else (lo, mid)
    return lo


def _earth_km2() -> float:
    from .grid import zone_area_km2

    return float(zone_area_km2(-90.0, 90.0, 360.0))


def _screen_grid(grid: Grid, res_deg: float, whole: bool) -> Grid:
    from . import grid as G

    res = max(float(res_deg), grid.res_deg if np.isfinite(grid.res_deg) else 0.0)
    if whole:
        return G.global_grid(res)
    if grid.kind == "region":
        return _coarsen(grid, res)
    if grid.kind == "regular":
        return G.region((float(grid.lat[0] - grid.res_deg / 2), float(grid.lat[-1] + grid.res_deg / 2)),
                        (float(grid.lon[0] - grid.res_deg / 2), float(grid.lon[-1] + grid.res_deg / 2)), res)
    return grid


def _coarsen(grid: Grid, res: float) -> Grid:
    """A region grid at resolution ``res``: the coarse cells holding the fine cells, weighted by the fine
    cells' inside areas (so the screen weighs the same region)."""
    from .grid import Grid as GridCls

    n = 180.0 / res
    if abs(n - round(n)) > 1e-9:
        raise ValueError(f"screen_res_deg must divide 180 evenly, got {res}")
    r = np.floor((grid.lat_deg + 90.0) / res).astype(np.int64)
    c = np.floor((grid.lon_deg + 180.0) / res).astype(np.int64)
    key = r * 100000 + c
    uk, inv = np.unique(key, return_inverse=True)
    area = np.bincount(inv, weights=grid.area_km2)
    rr, cc = uk // 100000, uk % 100000
    lat = -90.0 + res * (rr + 0.5)
    lon = -180.0 + res * (cc + 0.5)
    # rows: one per coarse cell run (same row, consecutive columns)
    starts = np.flatnonzero(np.concatenate([[True], (rr[1:] != rr[:-1]) | (cc[1:] != cc[:-1] + 1)]))
    counts = np.diff(np.concatenate([starts, [uk.size]]))
    return GridCls(kind="region", lat_deg=lat, lon_deg=lon, height_m=np.zeros(uk.size), area_km2=area,
                   row_start=starts.astype(np.int64), row_count=counts.astype(np.int64),
                   row_lat_deg=lat[starts], row_lon0_deg=lon[starts], row_dlon_deg=np.full(starts.size, res),
                   row_full_circle=np.zeros(starts.size, bool), res_deg=res,
                   description=grid.description.replace(f"{grid.res_deg:g} deg", f"{res:g} deg"))


def _pareto(table: pd.DataFrame, req: DesignRequirement) -> pd.DataFrame:
    ev = table[table["status"].isin(["screened", "confirmed"])].copy()
    if ev.empty:
        return ev
    # one row per design key where confirmed overrides screened (already: status is per row)
    sign = -1.0 if req.lower_is_better() else 1.0
    ev["_score"] = sign * ev["value"]
    ev = ev.sort_values(["sats", "_score", "margin_deg"], ascending=[True, False, False], na_position="last")
    best, keep = -np.inf, []
    for idx, row in ev.iterrows():
        if row["_score"] > best:
            keep.append(idx)
            best = row["_score"]
    return ev.loc[keep].drop(columns="_score")
