"""Maps of navigation augmentation and bent-pipe service, side by side on one figure.

* :func:`augmentation_map`: a DOP without and with the augmenting satellites (one colour scale, clipped to
  a meaningful range with the overflow shown) and the improvement in percent, from
  :func:`constellation.dop_augmentation`.
* :func:`bent_pipe_map`: the fraction of time covered directly and served through the bent pipe, with the
  gateways marked, from :func:`constellation.bent_pipe_coverage`.

Each panel is a :func:`constellation.plot.coverage_map`.
"""

from __future__ import annotations

from typing import Any

import numpy as np

__all__ = ["augmentation_map", "bent_pipe_map"]


def _figure(n: int, ds):
    import matplotlib.pyplot as plt

    regular = "lat" in ds.dims and "lon" in ds.dims
    fig, axes = plt.subplots(n, 1, figsize=(10.0, 5.2 * n if regular else 6.0 * n), squeeze=False)
    return fig, axes[:, 0]


def augmentation_map(ds, dop: str = "pdop", min_elevation_deg: float | None = None, *, vmax: float | None = None):
    """Three maps of ``dop`` ("pdop", "hdop" or "vdop"): base systems, base + augmentation (same colour
    scale, by default up to the larger of the two maxima but at most
    :data:`constellation.plot.DOP_MAP_MAX`, larger values drawn as overflow) and the improvement
    ``100 (1 - augmented / base)`` in percent.  ``min_elevation_deg`` picks the mask of a result with
    several (default: the first).  Returns ``(fig, axes)``."""
    from .plot import DOP_MAP_MAX, coverage_map, scenario_text

    if dop not in ("pdop", "hdop", "vdop"):
        raise ValueError(f"dop must be 'pdop', 'hdop' or 'vdop', got {dop!r}")
    if f"{dop}_mean_base" not in ds:
        raise ValueError("ds must be a constellation.dop_augmentation result")
    if "min_elevation_deg" in ds.dims:
        masks = [float(m) for m in ds["min_elevation_deg"].values]
        pick = masks[0] if min_elevation_deg is None else float(min_elevation_deg)
        if pick not in masks:
            raise ValueError(f"min_elevation_deg {pick:g} not in the result's masks {masks}")
        ds = ds.isel(min_elevation_deg=masks.index(pick)).drop_vars("min_elevation_deg")
        mask = pick
    else:
        mask = float(ds.attrs.get("min_elevation_deg", np.nan))
    ds = ds.copy()
    ds.attrs["min_elevation_deg"] = mask
    ds["improvement_percent"] = (100.0 * (1.0 - ds[f"{dop}_mean_ratio"])).assign_attrs(
        long_name=f"{dop.upper()} improvement by {ds.attrs.get('augment_systems', 'the augmentation')}",
        units="%")
    both = np.concatenate([np.asarray(ds[f"{dop}_mean_{k}"].values, float).ravel() for k in ("base", "augmented")])
    finite = both[np.isfinite(both)]
    top = vmax if vmax is not None else (min(float(finite.max()), DOP_MAP_MAX) if finite.size else DOP_MAP_MAX)
    low = float(finite.min()) if finite.size else 0.0
    fig, axes = _figure(3, ds)
    scen = scenario_text(ds.attrs)
    for ax, key, what in zip(axes, ("base", "augmented"),
                             (ds.attrs.get("base_systems", "base"),
                              f"{ds.attrs.get('base_systems', 'base')} + {ds.attrs.get('augment_systems', '')}")):
        coverage_map(ds, f"{dop}_mean_{key}", ax=ax, vmin=low, vmax=top,
                     title=f"Mean {dop.upper()}, {what}, {mask:g} deg mask")
    coverage_map(ds, "improvement_percent", ax=axes[2],
                 title=f"{dop.upper()} improvement (percent of the base value)" + (f"\n{scen}" if scen else ""))
    fig.tight_layout()
    return fig, axes


def bent_pipe_map(ds, *, gateway_marker: dict[str, Any] | None = None):
    """Two maps: the fraction of time covered directly (any satellite in view) and served through the bent
    pipe (a satellite in view that also sees a gateway), gateways marked.  Returns ``(fig, axes)``."""
    from .plot import coverage_map, scenario_text

    if "served_fraction" not in ds or "gateway" not in ds.coords:
        raise ValueError("ds must be a constellation.bent_pipe_coverage result")
    fig, axes = _figure(2, ds)
    scen = scenario_text(ds.attrs)
    marker = dict(marker="^", s=90, c="#e41a1c", edgecolors="white", linewidths=1.0, zorder=5)
    marker.update(gateway_marker or {})
    titles = ("Covered directly (any satellite in view)",
              f"Served through the bent pipe ({ds.attrs.get('n_gateways', '?')} gateways, "
              f"{ds.attrs.get('gateway_min_elevation_deg', '?')} deg gateway mask)")
    for ax, fom, title in zip(axes, ("served_direct_fraction", "served_fraction"), titles):
        coverage_map(ds, fom, ax=ax, title=title + (f"\n{scen}" if scen and fom == "served_fraction" else ""))
        ax.scatter(ds["gateway_lon"].values, ds["gateway_lat"].values, **marker)
    fig.tight_layout()
    return fig, axes
