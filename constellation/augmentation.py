"""Navigation augmentation: how much an added constellation (a LEO shell) improves GNSS geometry.

:func:`dop_augmentation` computes the DOP of the base systems (e.g. GPS, Galileo, GLONASS and BeiDou) and of
the base plus the augmenting satellites over the same grid and window, in one sweep
(:func:`constellation.navigation.dop_pair`, bit for bit two :func:`constellation.navigation.dop` runs),
each system with its own receiver clock by default, and returns per cell the PDOP, HDOP and
VDOP (time averages over the steps where each is defined) of both, their difference (base - augmented, so
positive is an improvement) and ratio (augmented / base), and the availability change: the fraction of time
with PDOP at or below the threshold, and with enough satellites in view for a fix (at least as many as
unknowns: 3 + one clock per system in view).  Several elevation masks at once (a realistic 10 deg and an
urban canyon's 30 deg, where augmentation matters most) give a leading ``min_elevation_deg`` dimension.

:func:`shipped_gnss` gives the GNSS snapshot shipped with the package (CelesTrak's operational GPS,
Galileo, GLONASS and BeiDou element sets of 2022-02-04, ``tle_data/README.md``), and
:func:`element_age_warning` warns when element sets are far from the analysis window (they age: SGP4
elements of GNSS satellites drift by kilometres along track within weeks).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np

from .grid import Grid, global_grid
from .navigation import DEFAULT_PDOP_THRESHOLD, dop_pair, system_labels
from .satellite import Constellation
from .staleness import STALE_DAYS, element_age_days, stale_elements_message
from .timescale import as_datetime64

__all__ = ["dop_augmentation", "shipped_gnss", "element_age_warning", "GNSS_SAMPLES", "MAX_ELEMENT_AGE_DAYS",
           "URBAN_CANYON_MASK_DEG"]

#: The shipped GNSS snapshot: system name -> short name of :mod:`constellation.samples`.
GNSS_SAMPLES = {"GPS": "gps", "Galileo": "galileo", "GLONASS": "glonass", "BeiDou": "beidou"}

#: Element sets further than this from the window draw a warning (days): the rule of the whole package
#: (:data:`constellation.staleness.STALE_DAYS`, two weeks).
MAX_ELEMENT_AGE_DAYS = STALE_DAYS

#: Elevation mask of a degraded (urban-canyon) receiver, degrees: buildings hide the sky below about 30 deg.
URBAN_CANYON_MASK_DEG = 30.0

_DOPS = ("pdop", "hdop", "vdop")


def shipped_gnss() -> dict[str, Constellation]:
    """The GNSS snapshot shipped with the package, ``{"GPS": ..., "Galileo": ..., "GLONASS": ...,
    "BeiDou": ...}`` (134 satellites, element epochs 2022-01-29 ... 02-04; provenance in
    ``tle_data/README.md``)."""
    from . import samples

    return {system: samples.load(name) for system, name in GNSS_SAMPLES.items()}


def element_age_warning(sats: Any, times: Any, max_age_days: float = MAX_ELEMENT_AGE_DAYS,
                        label: str = "") -> float:
    """The largest distance (days) between an element epoch of ``sats`` and the window ``times``; warns
    (``UserWarning``, the command line's message: :func:`constellation.staleness.stale_elements_message`)
    when it exceeds ``max_age_days``.  Designed satellites (source ``design:...``: a plan, not a
    measurement) are left out.  Returns 0 when nothing is checked."""
    c = system_labels(sats, None)[0] if isinstance(sats, Mapping) else _as_constellation(sats)
    times = as_datetime64(times)
    if len(c) == 0 or times.size == 0:
        return 0.0
    ages = element_age_days(c, times[0], times[-1])
    if np.isnan(ages).all():
        return 0.0
    text = stale_elements_message(c, times[0], times[-1], max_age_days=max_age_days, label=label)
    if text is not None:
        warnings.warn(text, UserWarning, stacklevel=2)
    return float(np.nanmax(ages))


def _as_constellation(sats: Any) -> Constellation:
    from .satellite import as_constellation

    return as_constellation(sats)


def _systems_mapping(sats: Any, default_name: str) -> dict[str, Constellation]:
    if isinstance(sats, Mapping):
        out = {str(k): _as_constellation(v) for k, v in sats.items()}
        if not out:
            raise ValueError(f"{default_name}: the mapping {{system: satellites}} is empty")
        return out
    return {default_name: _as_constellation(sats)}


def dop_augmentation(base: Any, augment: Any, times: Any, grid: Grid | None = None,
                     min_elevation_deg: float | Any = (10.0, URBAN_CANYON_MASK_DEG),
                     threshold: float = DEFAULT_PDOP_THRESHOLD, *, clock: str = "per_system", dut1: Any = None,
                     max_age_days: float = MAX_ELEMENT_AGE_DAYS):
    """DOP of ``base`` with and without the ``augment`` satellites, per cell, and the change.

    Parameters
    ----------
    base : mapping ``{system: satellites}`` (e.g. :func:`shipped_gnss`) or satellites (one system, "base")
    augment : satellites (one system, "augment") or a mapping ``{system: satellites}``; its system names
        must differ from the base's
    times : datetime64 array (UTC)
    grid : :class:`constellation.grid.Grid`, default ``global_grid(2.0)``
    min_elevation_deg : float or sequence of floats
        Elevation mask(s), degrees, applied to every satellite (an urban canyon hides low LEO satellites as
        it hides GNSS ones).  A sequence adds a leading ``min_elevation_deg`` dimension.  Default 10 and 30.
    threshold : float
        PDOP threshold of the availability figures (default 6).
    clock : "per_system" (default) or "common"
        Receiver clocks, as for :func:`constellation.navigation.dop`.
    dut1 : UT1 - UTC (s), optional
    max_age_days : float
        Warn when a real (not designed) element epoch lies further than this from the window.

    Returns
    -------
    xarray.Dataset with the grid's dims and, for ``d`` in pdop, hdop, vdop: ``{d}_mean_base``,
    ``{d}_mean_augmented`` (time averages over the steps where each is defined), ``{d}_mean_difference``
    (base - augmented) and ``{d}_mean_ratio`` (augmented / base); ``pdop_below_threshold_fraction_base``,
    ``_augmented`` and ``_change`` (augmented - base); ``fix_available_fraction_base``, ``_augmented``
    and ``_change`` (fraction of time with at least as many satellites in view as unknowns);
    ``sats_in_view_mean_base`` and ``_augmented``; ``cell_area_km2``.  Attributes name the systems of
    each side.
    """
    import xarray as xr

    base_map = _systems_mapping(base, "base")
    aug_map = _systems_mapping(augment, "augment")
    clash = set(base_map) & set(aug_map)
    if clash:
        raise ValueError(f"augment: system names {sorted(clash)} are also base systems; rename them")
    grid = global_grid(2.0) if grid is None else grid
    times = as_datetime64(times)
    scalar = np.ndim(min_elevation_deg) == 0
    masks = [float(min_elevation_deg)] if scalar else [float(m) for m in min_elevation_deg]
    if not masks:
        raise ValueError("min_elevation_deg: give at least one elevation mask")
    element_age_warning(base_map, times, max_age_days, "base")
    element_age_warning(aug_map, times, max_age_days, "augment")
    per_mask = []
    for mask in masks:  # one sweep gives both (bit for bit the two separate dop runs)
        a, b = dop_pair(base_map, aug_map, times, grid, mask, threshold, clock=clock, dut1=dut1)
        per_mask.append(_compare(xr, b, a))
    ds = per_mask[0] if scalar else xr.concat(per_mask, dim="min_elevation_deg", coords="minimal",
                                               compat="override")
    if not scalar:
        ds = ds.assign_coords(min_elevation_deg=("min_elevation_deg", np.array(masks), dict(
            long_name="elevation mask", units="degree")))
    ds["cell_area_km2"] = per_mask[0]["cell_area_km2"]
    ds.attrs.update(
        title="Navigation augmentation: DOP with and without the augmenting satellites",
        base_systems=", ".join(base_map), augment_systems=", ".join(aug_map),
        n_satellites_base=sum(len(v) for v in base_map.values()),
        n_satellites_augment=sum(len(v) for v in aug_map.values()),
        receiver_clock=clock, pdop_threshold=float(threshold),
        min_elevation_deg=masks[0] if scalar else ", ".join(f"{m:g}" for m in masks))
    return ds


def _compare(xr, b, a):
    data = {}
    for d in _DOPS:
        vb, va = b[f"{d}_mean"], a[f"{d}_mean"]
        label = d.upper()
        data[f"{d}_mean_base"] = vb.assign_attrs(long_name=f"{label}, time average, base systems only")
        data[f"{d}_mean_augmented"] = va.assign_attrs(long_name=f"{label}, time average, base + augmentation")
        with np.errstate(invalid="ignore", divide="ignore"):
            data[f"{d}_mean_difference"] = (vb - va).assign_attrs(
                long_name=f"{label} time average, base minus augmented (positive: augmentation improves)",
                units="1")
            data[f"{d}_mean_ratio"] = (va / vb).assign_attrs(
                long_name=f"{label} time average, augmented over base (below 1: augmentation improves)",
                units="1")
    pb, pa = b["pdop_below_threshold_fraction"], a["pdop_below_threshold_fraction"]
    thr = float(b.attrs["pdop_threshold"])
    data["pdop_below_threshold_fraction_base"] = pb.copy()
    data["pdop_below_threshold_fraction_augmented"] = pa.copy()
    data["pdop_below_threshold_fraction_change"] = (pa - pb).assign_attrs(
        long_name=f"change of the fraction of time with PDOP <= {thr:g} (augmented - base)", units="1")
    fb, fa = 1.0 - b["insufficient_fraction"], 1.0 - a["insufficient_fraction"]
    attrs = dict(units="1", long_name="fraction of time with at least as many satellites in view as unknowns "
                                      "(3 + receiver clocks in view)")
    data["fix_available_fraction_base"] = fb.assign_attrs(attrs)
    data["fix_available_fraction_augmented"] = fa.assign_attrs(attrs)
    data["fix_available_fraction_change"] = (fa - fb).assign_attrs(
        units="1", long_name="change of the fraction of time with enough satellites for a fix (augmented - base)")
    data["sats_in_view_mean_base"] = b["sats_in_view_mean"].copy()
    data["sats_in_view_mean_augmented"] = a["sats_in_view_mean"].copy()
    data["cell_area_km2"] = b["cell_area_km2"]
    keep = {k: b.attrs[k] for k in ("Conventions", "time_coverage_start", "time_coverage_end", "step_s", "grid",
                                    "software") if k in b.attrs}
    ds = xr.Dataset(data, attrs=keep)
    return ds.drop_vars([v for v in ("time", "system") if v in ds.coords])
