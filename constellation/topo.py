"""Topocentric look angles: azimuth, elevation and range of satellites from a ground site.

The site is a WGS84 geodetic point; its local horizon is the plane normal to the ellipsoid there (the
geodetic "up"), azimuth runs from north through east, elevation is above that plane, range is the straight
line distance.  Everything is Earth-fixed (ITRS), so satellite positions come from :func:`propagate`.

Formula: the satellite-minus-site vector is projected on the local east, north and up unit vectors
(south-east-zenith rotation of Vallado, "Fundamentals of Astrodynamics and Applications", 4th ed., sec.
3.4.2 and algorithm 27, written here as east-north-up); site position from NIMA TR8350.2 eq. 4-14.
Refraction is not applied (geometric elevation).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from .kernels.frames import itrs_from_geodetic
from .sites import parse_site

if TYPE_CHECKING:
    import xarray as xr

__all__ = ["look_angles", "look_angles_itrs", "enu_basis"]


def enu_basis(site_lat_deg: float, site_lon_deg: float) -> np.ndarray:
    """Rows: the local east, north and up unit vectors (ITRS) at a WGS84 geodetic site, shape ``(3, 3)``.

    "Up" is the ellipsoid normal (geodetic vertical), not the geocentric direction.
    """
    lat, lon = np.radians(float(site_lat_deg)), np.radians(float(site_lon_deg))
    sl, cl, so, co = np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon)
    return np.array([[-so, co, 0.0],
                     [-sl * co, -sl * so, cl],
                     [cl * co, cl * so, sl]])


def look_angles_itrs(r_itrs_km: Any, site_lat_deg: float, site_lon_deg: float, site_height_m: float = 0.0,
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth (deg, [0, 360), from north through east), elevation (deg) and range (km) of ITRS points.

    Parameters
    ----------
    r_itrs_km : array ``(..., 3)``
        Earth-fixed positions in km (e.g. ``np.stack([ds.x_km, ds.y_km, ds.z_km], -1)``).  NaN rows give NaN.
    site_lat_deg, site_lon_deg, site_height_m : float
        WGS84 geodetic latitude and longitude (degrees) and height above the ellipsoid (metres).

    Returns three arrays of shape ``(...)``.
    """
    lat, lon, h_m = parse_site((site_lat_deg, site_lon_deg, site_height_m))
    r = np.asarray(r_itrs_km, dtype=np.float64)
    if r.shape[-1:] != (3,):
        raise ValueError(f"ITRS positions must have a last axis of length 3, got shape {r.shape}")
    rho = r - itrs_from_geodetic(lat, lon, h_m / 1000.0)
    enu = rho @ enu_basis(lat, lon).T
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    horizontal = np.hypot(e, n)
    el = np.degrees(np.arctan2(u, horizontal))
    az = np.atleast_1d(np.degrees(np.arctan2(e, n)) % 360.0)
    az[az >= 360.0] = 0.0  # (-1e-15) % 360 rounds to 360.0
    return az.reshape(el.shape), el, np.hypot(horizontal, u)


def look_angles(sats_or_positions: Any, site_lat_deg: float, site_lon_deg: float, site_height_m: float = 0.0,
                times: Any = None, **propagate_kwargs: Any) -> xr.Dataset | tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Azimuth, elevation and range of satellites from a ground site.

    Parameters
    ----------
    sats_or_positions
        * satellites (anything :func:`~constellation.satellite.as_constellation` takes) with ``times``:
          they are propagated and an ``xarray.Dataset`` is returned;
        * a Dataset from :func:`~constellation.propagate`: its ITRS positions are used (a
          Dataset is returned);
        * an array of ITRS positions ``(..., 3)`` in km, without ``times``: three arrays are returned
          (as :func:`look_angles_itrs`).
    site_lat_deg, site_lon_deg : float
        WGS84 geodetic latitude and longitude of the site, degrees.
    site_height_m : float
        Site height above the WGS84 ellipsoid, metres.
    times : datetime64 array, optional
        UTC sample times (required with satellites).
    **propagate_kwargs
        Passed to :func:`~constellation.propagate` (``dut1``, ``polar_motion_arcsec``, ...).

    Returns
    -------
    xarray.Dataset (satellite, time) with ``azimuth_deg`` (from north through east, [0, 360)),
    ``elevation_deg`` (above the plane normal to the ellipsoid at the site) and ``range_km``, the
    satellite coordinates of the propagation, ``sgp4_error``, and the site in ``attrs``; or, for a bare
    array, the tuple ``(azimuth_deg, elevation_deg, range_km)``.
    """
    lat, lon, h_m = parse_site((site_lat_deg, site_lon_deg, site_height_m))
    ds = None
    if hasattr(sats_or_positions, "data_vars") and "x_km" in getattr(sats_or_positions, "data_vars", {}):
        ds = sats_or_positions
    elif isinstance(sats_or_positions, np.ndarray) or (
            isinstance(sats_or_positions, (list, tuple)) and sats_or_positions
            and isinstance(sats_or_positions[0], (int, float, list, tuple, np.ndarray))):
        if times is not None:
            raise ValueError("times apply to satellites, not to an array of ITRS positions")
        return look_angles_itrs(sats_or_positions, lat, lon, h_m)
    else:
        if times is None:
            raise ValueError("look_angles needs times when given satellites")
        from .propagation import propagate

        ds = propagate(sats_or_positions, times, **propagate_kwargs)
    r = np.stack([ds["x_km"].values, ds["y_km"].values, ds["z_km"].values], axis=-1)
    az, el, rng = look_angles_itrs(r, lat, lon, h_m)
    dims = ds["x_km"].dims
    import xarray as xr

    out = xr.Dataset(
        {
            "azimuth_deg": (dims, az, dict(long_name="azimuth from north through east", units="degrees")),
            "elevation_deg": (dims, el, dict(long_name="elevation above the site's WGS84 horizon "
                                                       "(geometric, no refraction)", units="degrees")),
            "range_km": (dims, rng, dict(long_name="slant range from the site", units="km")),
        },
        coords=ds.coords,
        attrs={**ds.attrs, "title": "Look angles from a ground site",
               "site_lat_deg": lat, "site_lon_deg": lon, "site_height_m": h_m},
    )
    if "sgp4_error" in ds:
        out["sgp4_error"] = ds["sgp4_error"]
    return out
