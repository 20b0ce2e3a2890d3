"""Ground sites: the one parser of a WGS84 geodetic site given as text or numbers, for the command line
(``--site``), :func:`constellation.passes` and :func:`constellation.look_angles`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

__all__ = ["parse_site"]


def parse_site(site: Any, option: str | None = None) -> tuple[float, float, float]:
    """``"LAT,LON[,HEIGHT_M]"`` text or a ``(lat_deg, lon_deg[, height_m])`` sequence ->
    ``(lat_deg, lon_deg, height_m)``: WGS84 geodetic degrees (north, east) and metres above the ellipsoid
    (0 when not given).

    Two or three numbers, all finite, the latitude in [-90, 90] and the longitude in [-360, 360] degrees;
    anything else is a ``ValueError`` that names ``option`` (e.g. ``"--site"``; default "site"), the value
    given and what was expected.
    """
    label = f"{option or 'site'} {site!r}"
    expected = f"{label}: expected LAT,LON or LAT,LON,HEIGHT_M (degrees, degrees, metres)"
    try:
        if isinstance(site, str):
            vals = [float(p.strip()) for p in site.split(",")]
        else:
            vals = [float(v) for v in np.asarray(site, dtype=float).ravel()]
    except (TypeError, ValueError):
        raise ValueError(expected) from None
    if len(vals) not in (2, 3):
        raise ValueError(expected)
    if not all(math.isfinite(v) for v in vals):
        raise ValueError(f"{label}: values must be finite numbers")
    lat, lon = vals[0], vals[1]
    if not -90.0 <= lat <= 90.0:
        raise ValueError(f"{label}: latitude {lat} is outside [-90, 90] degrees")
    if not -360.0 <= lon <= 360.0:
        raise ValueError(f"{label}: longitude {lon} is outside [-360, 360] degrees")
    return lat, lon, (vals[2] if len(vals) == 3 else 0.0)
