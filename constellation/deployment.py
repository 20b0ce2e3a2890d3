"""Deployment: how coverage grows launch by launch, and which launch order raises it fastest.

* :class:`Manifest` / :func:`read_manifest` - launches from a TOML file: each launch a date and the satellites
  it delivers (whole planes of a group, the next ``count`` satellites of a group, or names), and a
  commissioning delay before the satellites serve.
* :func:`steady_manifest` - a steady rate (e.g. 100 a year in launches of 10) over the satellites not yet
  launched, in plan order (plane by plane).
* :func:`deploy` - coverage after each launch: a Dataset with a ``phase`` dimension (phase 0: the satellites
  already launched), the per-cell figures of merit and area-weighted summaries per phase.
* :func:`launch_order` - a **greedy** order of the launches: at each step the launch whose satellites raise
  the chosen figure of merit (area-weighted over the grid) the most; compared with the manifest's order
  on the same objective (the sum over phases of that figure, i.e. the area under the growth curve).

Manifest files (TOML, read with ``tomllib``)::

    [manifest]
    name = "Jinan-368 deployment"
    site = "Haiyang sea-launch site, Shandong"   # where the launches go from (recorded, not used)
    commissioning_days = 30                     # delay from launch to service (default 0)

    [[launch]]
    date = 2026-03-15                           # TOML date or date-time (UTC)
    group = "comm"
    planes = [1, 2]                             # whole planes of that group (0-based, as in the plan)

    [[launch]]
    date = 2026-06-01
    group = "eo"
    count = 15                                  # the next 15 not yet delivered satellites of the group

    [[launch]]
    date = 2026-09-01
    satellites = ["JINAN-NAV-005", "JINAN-NAV-006"]
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from .satellite import Constellation
from .timescale import parse_time, time_range

if TYPE_CHECKING:
    import xarray as xr

    from .grid import Grid

__all__ = ["Launch", "Manifest", "read_manifest", "steady_manifest", "deploy", "launch_order", "LaunchOrder",
           "HAIYANG_SITE", "jinan368_manifest"]

#: The sea-launch site the Jinan constellations launch from (Haiyang, Shandong), recorded in manifests.
HAIYANG_SITE = "Haiyang sea-launch site, Shandong"


@dataclass(frozen=True)
class Launch:
    """One launch: UTC ``date`` (datetime64[ns]), the ``satellites`` it delivers (names), a ``label``."""

    date: np.datetime64
    satellites: tuple[str, ...]
    label: str = ""


@dataclass(frozen=True)
class Manifest:
    """Launches in order, a commissioning delay (days) and where they go from."""

    launches: tuple[Launch, ...]
    commissioning_days: float = 0.0
    name: str = ""
    site: str = HAIYANG_SITE
    path: str = ""
    extra: dict = field(default_factory=dict, compare=False)

    def in_service(self, k: int) -> np.datetime64:
        """When launch ``k``'s satellites start serving: its date plus the commissioning delay."""
        return self.launches[k].date + np.timedelta64(int(round(self.commissioning_days * 86400e9)), "ns")

    def summary(self) -> str:
        lines = [f"{self.name or 'manifest'}: {len(self.launches)} launches from {self.site}, "
                 f"{sum(len(x.satellites) for x in self.launches)} satellites, commissioning "
                 f"{self.commissioning_days:g} d"]
        for k, x in enumerate(self.launches):
            lines.append(f"  {k + 1:3d}  {np.datetime_as_string(x.date, unit='D')}  {len(x.satellites):3d} sats  "
                         f"{x.label}")
        return "\n".join(lines)


def _utc(value: Any, where: str) -> np.datetime64:
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    if isinstance(value, datetime) and value.tzinfo is not None:
        value = value.astimezone(UTC).replace(tzinfo=None)
    try:
        return parse_time(value)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{where}: date: {exc}") from None


def _unlaunched(sats: Constellation) -> list[str]:
    return [s.name for s in sats if not s.launched]


def read_manifest(path: str | Path, sats: Constellation) -> Manifest:
    """Read a launch manifest (module docs for the format) against the plan's satellites ``sats``.

    Every satellite a launch names must be in ``sats``, not launched already and delivered only once; launch
    dates must not decrease.  Errors name the file, the launch and the key.
    """
    from .checks import parse_nested, read_text_file

    expected = "a TOML launch manifest with [[launch]] tables"
    text = read_text_file(path, "manifest", expected)
    path = Path(path)
    try:
        doc = parse_nested(tomllib.loads, text, str(path), expected)
    except tomllib.TOMLDecodeError as exc:
        raise ValueError(f"{path}: not valid TOML ({exc})") from None
    head = doc.get("manifest", {})
    comm = head.get("commissioning_days", 0.0)
    if not isinstance(comm, (int, float)) or isinstance(comm, bool) or not 0 <= comm < 3650:
        raise ValueError(f"{path}: [manifest] commissioning_days must be a number of days >= 0, got {comm!r}")
    raw = doc.get("launch")
    if not isinstance(raw, list) or not raw:
        raise ValueError(f"{path}: no [[launch]] tables")
    by_name = {s.name: s for s in sats}
    done = {s.name for s in sats if s.launched}
    launches = []
    for i, t in enumerate(raw, start=1):
        where = f"{path}: launch {i}"
        if "date" not in t:
            raise ValueError(f"{where}: missing 'date'")
        when = _utc(t["date"], where)
        names: list[str]
        if "satellites" in t:
            names = [str(n) for n in t["satellites"]]
            bad = [n for n in names if n not in by_name]
            if bad:
                raise ValueError(f"{where}: satellites not in the plan: {', '.join(bad[:5])}")
        elif "group" in t:
            grp = str(t["group"])
            members = [s for s in sats if s.group == grp]
            if not members:
                raise ValueError(f"{where}: group {grp!r} is not in the plan "
                                 f"(groups: {', '.join(sorted({s.group for s in sats}))})")
            if "planes" in t:
                planes = t["planes"]
                if not isinstance(planes, list) or not all(isinstance(p, int) for p in planes):
                    raise ValueError(f"{where}: planes must be a list of plane numbers, got {planes!r}")
                have = {s.extra.get("plane") for s in members}
                bad = [p for p in planes if p not in have]
                if bad:
                    raise ValueError(f"{where}: group {grp!r} has no plane {bad[0]} (planes 0..{max(have)})")
                names = [s.name for s in members if s.extra.get("plane") in planes and s.name not in done]
            elif "count" in t:
                n = t["count"]
                if not isinstance(n, int) or isinstance(n, bool) or n < 1:
                    raise ValueError(f"{where}: count must be a positive integer, got {n!r}")
                left = [s.name for s in members if s.name not in done]
                if n > len(left):
                    raise ValueError(f"{where}: count {n} but only {len(left)} satellites of {grp!r} are left")
                names = left[:n]
            else:
                raise ValueError(f"{where}: with 'group', give 'planes' or 'count'")
        else:
            raise ValueError(f"{where}: give 'satellites', or 'group' with 'planes' or 'count'")
        again = [n for n in names if n in done]
        if again:
            raise ValueError(f"{where}: {again[0]} is already launched or delivered by an earlier launch")
        if not names:
            raise ValueError(f"{where}: delivers no satellite")
        if launches and when < launches[-1].date:
            raise ValueError(f"{where}: date {when} is before the previous launch")
        done.update(names)
        launches.append(Launch(when, tuple(names), str(t.get("label", "")) or _label(names, by_name)))
    return Manifest(tuple(launches), float(comm), name=str(head.get("name", path.stem)),
                    site=str(head.get("site", HAIYANG_SITE)), path=str(path))


def jinan368_manifest(sats: Constellation | None = None) -> Manifest:
    """The shipped illustrative manifest ``tle_data/jinan368_launches.toml`` (our assumption, not the
    operator's schedule) read against the Jinan-368 plan (``sats``, default :func:`constellation.jinan368`)."""
    from importlib.resources import files

    from .design import jinan368

    return read_manifest(Path(str(files("constellation.tle_data") / "jinan368_launches.toml")),
                         jinan368() if sats is None else sats)


def _plane_order(key: tuple) -> tuple:
    """Sort key of ``(group, plane)``: planes by number where they are numbers (plane 9 before plane 10)."""
    group, plane = key
    try:
        return (str(group), 0, float(plane), "")
    except (TypeError, ValueError):
        return (str(group), 1, 0.0, str(plane))


def _label(names: Sequence[str], by_name: dict) -> str:
    groups = sorted({by_name[n].group for n in names})
    planes = sorted({(by_name[n].group, by_name[n].extra.get("plane")) for n in names}, key=_plane_order)
    pl = ", ".join(f"{g} plane {p}" for g, p in planes[:3]) + (" ..." if len(planes) > 3 else "")
    return f"{len(names)} x {'/'.join(groups) or 'sats'} ({pl})"


def steady_manifest(sats: Constellation, per_year: float = 100.0, per_launch: int = 10, start: Any = None, *,
                    commissioning_days: float = 30.0, name: str = "") -> Manifest:
    """Launches at a steady rate: the satellites of ``sats`` not yet launched, in plan order (plane by plane,
    shell by shell), ``per_launch`` at a time (the last launch may carry fewer), one launch every
    ``per_launch / per_year`` years (365.25 days) from ``start`` (default: the latest epoch in ``sats``)."""
    if not per_year > 0:
        raise ValueError(f"per_year must be positive, got {per_year!r}")
    if isinstance(per_launch, bool) or not isinstance(per_launch, (int, np.integer)) or per_launch < 1:
        raise ValueError(f"per_launch must be a positive integer, got {per_launch!r}")
    left = _unlaunched(sats)
    if not left:
        raise ValueError("every satellite is launched already: nothing to deploy")
    t0 = parse_time(start) if start is not None else np.max(sats.epochs)
    step = np.timedelta64(int(round(per_launch / per_year * 365.25 * 86400e9)), "ns")
    by_name = {s.name: s for s in sats}
    launches = tuple(Launch(t0 + k * step, tuple(left[i:i + per_launch]), _label(left[i:i + per_launch], by_name))
                     for k, i in enumerate(range(0, len(left), per_launch)))
    return Manifest(launches, float(commissioning_days), name or f"{per_year:g} a year in launches of {per_launch}")


def _phase_sats(sats: Constellation, delivered: set[str]) -> Constellation:
    mask = np.array([s.launched or s.name in delivered for s in sats])
    return sats.select(mask=mask)


def _summary_vars(ds: xr.Dataset, weights: dict[str, np.ndarray]) -> dict[str, float]:
    out = {}
    for rname, w in weights.items():
        for f in ("coverage_fraction", "revisit_max_s", "sats_in_view_mean", "response_mean_s"):
            v = np.asarray(ds[f].values, float).ravel()
            if f.startswith("revisit_"):
                v = np.where(np.isnan(v), 0.0, v)  # no gap: 0
            ok = np.isfinite(v) & (w > 0)
            out[f"{f}_mean_{rname}"] = float((v[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() else np.nan
        cf = np.asarray(ds["coverage_fraction"].values, float).ravel()
        out[f"continuous_area_fraction_{rname}"] = float(w[cf >= 1.0 - 1e-12].sum() / w.sum())
    return out


def _region_weights(grid: Grid, regions: dict[str, Any] | None) -> dict[str, np.ndarray]:
    w = {"grid": np.asarray(grid.weights(), float)}
    if not regions:
        return w
    from . import regions as R

    if grid.kind != "regular":
        raise ValueError("regions= needs a regular grid (global_grid or a box): each region's weights are its "
                         "area inside each cell")
    res_lat = np.diff(grid.lat).mean() if grid.lat.size > 1 else grid.res_deg
    res_lon = np.diff(grid.lon).mean() if grid.lon.size > 1 else grid.res_deg
    ye = np.concatenate([grid.lat - res_lat / 2, [grid.lat[-1] + res_lat / 2]])
    xe = np.concatenate([grid.lon - res_lon / 2, [grid.lon[-1] + res_lon / 2]])
    for name, spec in regions.items():
        w[name] = R.cell_areas_km2(R.load(spec), ye, xe).ravel()
    return w


def deploy(sats: Constellation, manifest: Manifest, grid: Grid | None = None, times: Any = None, *,
           duration: str = "1d", step_s: float = 60.0, regions: dict[str, Any] | None = None,
           foms: Sequence[str] | None = None, progress: Callable[[int, int], None] | None = None,
           **coverage_kw: Any) -> xr.Dataset:
    """Coverage after each launch of ``manifest``: a Dataset with a ``phase`` dimension.

    Phase 0 holds the satellites already launched in ``sats`` (their ``launched`` flag); phase ``k`` adds
    the satellites of launch ``k``.  With ``times`` every phase is evaluated over that same window (so
    phases compare like for like, and the last phase equals ``coverage(all satellites, times, grid)`` bit
    for bit); without it, phase ``k``'s window starts when launch ``k``'s satellites enter service (date +
    commissioning delay; phase 0 at the first launch's date) and lasts ``duration`` at ``step_s``.

    The result holds, per phase, the per-cell figures of merit ``foms`` (default all), ``n_satellites``,
    ``in_service`` (window start), ``launch`` (label), and area-weighted summaries per region:
    ``coverage_fraction_mean_<r>``, ``revisit_max_s_mean_<r>`` (cells without a gap count as 0),
    ``sats_in_view_mean_mean_<r>``, ``response_mean_s_mean_<r>`` and ``continuous_area_fraction_<r>``, with
    ``r`` = ``grid`` (the grid's own weights) and each name of ``regions`` (name -> country or GeoJSON, on
    regular grids: weighted by each cell's area inside the region).  Other keywords go to
    :func:`constellation.coverage`.
    """
    import xarray as xr

    from .api import coverage
    from .grid import global_grid

    if not manifest.launches:
        raise ValueError("the manifest has no launch")
    grid = global_grid(1.0) if grid is None else grid
    weights = _region_weights(grid, regions)
    delivered: set[str] = set()
    phases = []
    n = len(manifest.launches)
    for k in range(n + 1):
        if k:
            delivered.update(manifest.launches[k - 1].satellites)
        here = _phase_sats(sats, delivered)
        if times is None:
            t0 = manifest.in_service(k - 1) if k else manifest.launches[0].date
            tt = time_range(t0, duration=duration, step_s=step_s)
        else:
            tt = times
        if len(here) == 0:
            raise ValueError("phase 0 has no satellite (none is launched): give a manifest whose first phase "
                             "serves, or mark launched satellites in the plan")
        ds = coverage(here, tt, grid, **coverage_kw)
        keep = [f for f in (foms or [v for v in ds.data_vars if "time" not in ds[v].dims]) if f in ds]
        one = ds[keep].drop_vars([c for c in ds.coords if "time" in ds[c].dims or c == "time"], errors="ignore")
        for name, val in _summary_vars(ds, weights).items():
            one[name] = ((), val)
        one["n_satellites"] = ((), len(here))
        one["in_service"] = ((), np.asarray(tt)[0])
        one["launch"] = ((), "launched" if k == 0 else manifest.launches[k - 1].label)
        phases.append(one)
        if progress is not None:
            progress(k, n)
    out = xr.concat(phases, dim="phase", data_vars="all", coords="minimal", compat="override",
                    join="override", combine_attrs="override")
    out = out.assign_coords(phase=np.arange(n + 1))
    if "cell_area_km2" in out and "phase" in out["cell_area_km2"].dims:
        out["cell_area_km2"] = out["cell_area_km2"].isel(phase=0, drop=True)
    out.attrs.update(deployment=manifest.name, launch_site=manifest.site,
                     commissioning_days=manifest.commissioning_days,
                     same_window=int(times is not None), regions=", ".join(weights))
    return out


@dataclass
class LaunchOrder:
    """Result of :func:`launch_order`: the greedy order (indices into the manifest's launches), the value of
    the figure of merit after each phase for the greedy and the manifest orders, and the objective (sum
    over phases, higher is better after the sign of lower-is-better figures is flipped)."""

    order: list[int]
    fom: str
    greedy: np.ndarray
    manifest: np.ndarray
    objective_greedy: float
    objective_manifest: float

    def __str__(self) -> str:
        lines = [f"launch order by greedy search on {self.fom} (area-weighted mean after each launch):",
                 "  phase  greedy launch   greedy value   manifest value"]
        lines.append(f"  {0:5d}  {'-':>13s}   {self.greedy[0]:12.6g}   {self.manifest[0]:14.6g}")
        for k, i in enumerate(self.order, start=1):
            lines.append(f"  {k:5d}  {i + 1:13d}   {self.greedy[k]:12.6g}   {self.manifest[k]:14.6g}")
        lines.append(f"objective (sum over phases): greedy {self.objective_greedy:.6g}, manifest order "
                     f"{self.objective_manifest:.6g}")
        return "\n".join(lines)


def launch_order(sats: Constellation, manifest: Manifest, grid: Grid, times: Any, *,
                 fom: str = "coverage_fraction", **coverage_kw: Any) -> LaunchOrder:
    """Greedy launch order: from the launched satellites, repeatedly add the launch (of those left) that
    gives the best area-weighted mean of ``fom`` over ``grid`` for the window ``times`` (ties: the earlier
    launch in the manifest).  Greedy, not an exhaustive search: it needs ``L (L + 1) / 2`` coverage runs for
    ``L`` launches and is not guaranteed optimal.  The dates stay the manifest's; only which satellites go
    up in which slot changes.  Returns the order and both growth curves (:class:`LaunchOrder`).
    """
    from .api import coverage
    from .comparison import FOMS, LOWER_IS_BETTER

    if fom not in FOMS:
        raise ValueError(f"fom must be one of {', '.join(FOMS)}, got {fom!r}")
    sign = -1.0 if fom in LOWER_IS_BETTER else 1.0
    w = np.asarray(grid.weights(), float)

    def value(delivered: set[str]) -> float:
        ds = coverage(_phase_sats(sats, delivered), times, grid, **coverage_kw)
        v = np.asarray(ds[fom].values, float).ravel()
        if fom.startswith("revisit_"):
            v = np.where(np.isnan(v), 0.0, v)
        ok = np.isfinite(v)
        return float((v[ok] * w[ok]).sum() / w[ok].sum())

    L = len(manifest.launches)
    base = value(set())
    delivered: set[str] = set()
    manifest_curve = [base]
    for x in manifest.launches:
        delivered |= set(x.satellites)
        manifest_curve.append(value(delivered))
    left, order, greedy_curve, delivered = list(range(L)), [], [base], set()
    while left:
        scores = [(sign * value(delivered | set(manifest.launches[i].satellites)), -i) for i in left]
        best = max(range(len(left)), key=lambda j: scores[j])
        i = left.pop(best)
        order.append(i)
        delivered |= set(manifest.launches[i].satellites)
        greedy_curve.append(sign * scores[best][0])
    g, m = np.array(greedy_curve), np.array(manifest_curve)
    return LaunchOrder(order, fom, g, m, float(sign * g.sum()), float(sign * m.sum()))
