"""Comparing coverage results: area-weighted summaries and per-cell differences of two results on one grid.

* :func:`summary` - the area-weighted mean of every figure of merit of one result (weights ``cell_area_km2``,
  which for region grids is each cell's area inside the region; unweighted for sites), the worst cell,
  and the fraction of the area covered continuously.
* :func:`compare` - ``b - a`` per cell for every figure of merit both results hold, and a table: both
  means, the mean difference, both worst cells, and the fractions of the area where ``b`` is better or
  worse than ``a`` ("better" is higher for coverage, counts in view and access durations, lower for gaps,
  revisit, response and first access).
* :func:`difference_map` - the map of one difference on a diverging colour scale centred on zero.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd
    import xarray as xr

__all__ = ["FOMS", "LOWER_IS_BETTER", "NO_DIRECTION", "summary", "compare", "Comparison", "difference_map"]

#: The per-cell figures of merit of a coverage result (``constellation.coverage``).
FOMS = ("coverage_fraction", "coverage_time_s", "sats_in_view_min", "sats_in_view_mean", "sats_in_view_max",
        "revisit_max_s", "revisit_mean_s", "revisit_std_s", "gap_count", "time_average_gap_s",
        "response_mean_s", "response_max_s", "access_count", "access_duration_mean_s",
        "access_duration_max_s", "first_access_s", "revisit_daylight_max_s", "revisit_daylight_mean_s")
#: Figures of merit with no better direction: more accesses may mean more service or the same service cut into
#: more pieces (one continuous access is fewer than 25 short ones); ``compare`` gives them no improved /
#: worsened fractions.
NO_DIRECTION = frozenset({"access_count"})
#: Figures of merit for which a smaller value is better.
LOWER_IS_BETTER = frozenset({"revisit_max_s", "revisit_mean_s", "revisit_std_s", "gap_count",
                             "time_average_gap_s", "response_mean_s", "response_max_s", "first_access_s",
                             "revisit_daylight_max_s", "revisit_daylight_mean_s"})


def _one(ds: xr.Dataset, service: str | None) -> xr.Dataset:
    if "service" in ds.dims:
        names = [str(s) for s in ds["service"].values]
        svc = service or "any"
        if svc not in names:
            raise ValueError(f"service {svc!r} not in the result (has {', '.join(names)})")
        return ds.isel(service=names.index(svc))
    if service not in (None, "any"):
        raise ValueError(f"service {service!r} asked for, but the result has one requirement only")
    return ds


def _weights(ds: xr.Dataset) -> np.ndarray:
    w = np.asarray(ds["cell_area_km2"].values, float).ravel() if "cell_area_km2" in ds else None
    if w is None or not np.all(np.isfinite(w)) or w.sum() <= 0:
        n = int(np.prod([ds.sizes[d] for d in ds["coverage_fraction"].dims]))
        return np.ones(n)
    return w


def _wmean(v: np.ndarray, w: np.ndarray) -> float:
    ok = np.isfinite(v)
    return float((v[ok] * w[ok]).sum() / w[ok].sum()) if ok.any() and w[ok].sum() > 0 else float("nan")


def summary(ds: xr.Dataset, service: str | None = None) -> dict[str, float]:
    """Area-weighted summary of one coverage result: ``{fom: weighted mean over cells}`` for every figure of
    merit present (NaN cells, e.g. revisit where there is no gap, left out), ``{fom}_worst`` (minimum, or
    maximum where lower is better), ``continuous_area_fraction`` (share of the weight with
    ``coverage_fraction == 1``) and ``area_km2`` (total weight; NaN for sites)."""
    one = _one(ds, service)
    w = _weights(one)
    out: dict[str, float] = {}
    for f in FOMS:
        if f not in one:
            continue
        v = np.asarray(one[f].values, float).ravel()
        out[f] = _wmean(v, w)
        fin = v[np.isfinite(v)]
        out[f + "_worst"] = float(fin.max() if f in LOWER_IS_BETTER else fin.min()) if fin.size else float("nan")
    cf = np.asarray(one["coverage_fraction"].values, float).ravel()
    out["continuous_area_fraction"] = float(w[cf >= 1.0 - 1e-12].sum() / w.sum())
    area = np.asarray(one["cell_area_km2"].values, float) if "cell_area_km2" in one else np.array([np.nan])
    out["area_km2"] = float(area.sum()) if np.all(np.isfinite(area)) else float("nan")
    return out


@dataclass
class Comparison:
    """The result of :func:`compare`: ``diff`` (per-cell ``b - a``, same grid), ``table`` (one row per figure
    of merit) and the two inputs' labels."""

    diff: xr.Dataset
    table: pd.DataFrame
    label_a: str
    label_b: str

    def __str__(self) -> str:
        import pandas as pd

        with pd.option_context("display.width", 160, "display.max_columns", 20,
                               "display.float_format", lambda x: f"{x:.6g}"):
            return f"A: {self.label_a}\nB: {self.label_b}\n{self.table.to_string()}"


def _check_same_grid(a: xr.Dataset, b: xr.Dataset) -> None:
    da, db = a["coverage_fraction"], b["coverage_fraction"]
    gd = [d for d in da.dims if d != "service"]
    if gd != [d for d in db.dims if d != "service"] or any(a.sizes[d] != b.sizes[d] for d in gd):
        raise ValueError(f"compare needs two results on the same grid: dims {dict(a.sizes)} vs {dict(b.sizes)}")
    for c in ("lat", "lon"):
        if not np.array_equal(np.asarray(a[c].values, float), np.asarray(b[c].values, float)):
            raise ValueError(f"compare needs two results on the same grid: the {c} coordinates differ")
    if "cell_area_km2" in a and "cell_area_km2" in b:
        wa, wb = np.asarray(a["cell_area_km2"].values, float), np.asarray(b["cell_area_km2"].values, float)
        if not np.array_equal(wa, wb, equal_nan=True):
            raise ValueError("compare needs two results on the same grid: the cell areas differ")


def _label(ds: xr.Dataset, fallback: str) -> str:
    at = ds.attrs
    name = at.get("constellation") or at.get("source") or fallback
    return f"{name} ({at.get('n_satellites', '?')} satellites, {at.get('time_coverage_start', '?')}.." \
           f"{at.get('time_coverage_end', '?')})"


def compare(a: xr.Dataset, b: xr.Dataset, *, service: str | None = None, tol: float = 1e-9) -> Comparison:
    """Compare two coverage results on the same grid (``b`` against ``a``).

    Returns a :class:`Comparison`: ``diff`` holds ``b - a`` for every figure of merit both hold (NaN where
    either is NaN) with ``cell_area_km2``; ``table`` has, per figure of merit, the area-weighted means
    ``mean_a``, ``mean_b``, ``mean_diff`` (``mean_b - mean_a``), the worst cells ``worst_a``, ``worst_b``,
    and ``improved`` / ``worsened``: the fractions of the area whose value changed by more than ``tol``
    (relative to the larger magnitude) in the better / worse direction (NaN for figures with no better
    direction, :data:`NO_DIRECTION`).
    """
    import pandas as pd
    import xarray as xr

    for name, ds in (("a", a), ("b", b)):
        if not isinstance(ds, xr.Dataset) or "coverage_fraction" not in ds.variables:
            what = "a Dataset without coverage_fraction" if isinstance(ds, xr.Dataset) else type(ds).__name__
            raise ValueError(f"{name} must be a coverage result (with coverage_fraction), got {what}")
    _check_same_grid(a, b)
    oa, ob = _one(a, service), _one(b, service)
    w = _weights(oa)
    sa, sb = summary(a, service), summary(b, service)
    rows, dvars = [], {}
    for f in FOMS:
        if f not in oa or f not in ob:
            continue
        va = np.asarray(oa[f].values, float)
        vb = np.asarray(ob[f].values, float)
        d = vb - va
        attrs = dict(oa[f].attrs)
        attrs["long_name"] = "change in " + str(attrs.get("long_name", f)) + " (B - A)"
        dvars[f] = (oa[f].dims, d, attrs)
        wf = w
        if f.startswith("revisit_"):  # NaN: the cell has no gap, which counts as 0 when telling better/worse
            flat = (np.nan_to_num(vb, nan=0.0) - np.nan_to_num(va, nan=0.0)).ravel()
        else:
            flat = d.ravel()
        scale = np.maximum(np.abs(va), np.abs(vb)).ravel()
        changed = np.isfinite(flat) & (np.abs(flat) > tol * np.maximum(scale, 1.0))
        sign = -1.0 if f in LOWER_IS_BETTER else 1.0
        better = changed & (sign * flat > 0)
        worse = changed & (sign * flat < 0)
        neutral = f in NO_DIRECTION
        rows.append(dict(fom=f, mean_a=sa[f], mean_b=sb[f], mean_diff=sb[f] - sa[f], worst_a=sa[f + "_worst"],
                         worst_b=sb[f + "_worst"],
                         improved=np.nan if neutral else float(wf[better].sum() / wf.sum()),
                         worsened=np.nan if neutral else float(wf[worse].sum() / wf.sum())))
    rows.append(dict(fom="continuous_area_fraction", mean_a=sa["continuous_area_fraction"],
                     mean_b=sb["continuous_area_fraction"],
                     mean_diff=sb["continuous_area_fraction"] - sa["continuous_area_fraction"],
                     worst_a=np.nan, worst_b=np.nan, improved=np.nan, worsened=np.nan))
    if "cell_area_km2" in oa:
        dvars["cell_area_km2"] = (oa["cell_area_km2"].dims, np.asarray(oa["cell_area_km2"].values),
                                  dict(oa["cell_area_km2"].attrs))
    coords = {k: v for k, v in oa.coords.items() if "time" not in v.dims and k != "service"}
    la, lb = _label(a, "A"), _label(b, "B")
    diff = xr.Dataset(dvars, coords=coords, attrs=dict(
        title="Difference of two coverage results (B - A)", comparison_a=la, comparison_b=lb,
        grid=str(a.attrs.get("grid", "")), constellation=f"B - A: {lb} minus {la}"))
    return Comparison(diff=diff, table=pd.DataFrame(rows).set_index("fom"), label_a=la, label_b=lb)


def difference_map(cmp: Comparison, fom: str = "coverage_fraction", *, ax: Any = None, title: str | None = None,
                   cmap: Any = None, limit: float | None = None):
    """Map of ``B - A`` for one figure of merit on a diverging colour scale centred on zero (blue: B better,
    red: B worse); ``limit`` fixes the colour range to ``[-limit, limit]`` (default: the largest change).
    Returns ``(fig, ax)``."""
    from . import plot
    from .regions import to_raster

    if fom not in cmp.diff:
        raise ValueError(f"no figure of merit {fom!r} in the comparison (has {', '.join(cmp.table.index[:-1])})")
    ds = to_raster(cmp.diff)
    v = np.asarray(ds[fom].values, float)
    lim = float(limit) if limit is not None else float(np.nanmax(np.abs(v))) if np.isfinite(v).any() else 1.0
    lim = lim if lim > 0 else 1.0
    cm = cmap or ("RdBu_r" if fom in LOWER_IS_BETTER else "RdBu")  # blue where B is better
    if title is None:
        title = f"{ds[fom].attrs.get('long_name', fom)}\nA: {cmp.label_a}\nB: {cmp.label_b}"
    return plot.coverage_map(ds, fom, ax=ax, cmap=cm, vmin=-lim, vmax=lim, title=title)
