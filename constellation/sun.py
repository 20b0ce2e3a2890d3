"""The Sun as seen from the Earth: its direction in the coverage engine's Earth-fixed frame, per sample.

The Sun's apparent geocentric position (light time and aberration included) comes from Skyfield with
the JPL DE421 ephemeris that the ``skyfield-data`` package ships (nothing is downloaded).  Evaluating it
at every sample would cost more than a whole coverage run, so it is evaluated at hourly nodes, turned
into the TEME frame with the engine's own Earth rotation (GMST 1982 + dUT1, as the satellites are:
:func:`constellation.propagation.earth_orientation`), interpolated there - where the direction moves
about 1 deg a day - by a cubic through the four nodes around each sample, renormalised and rotated back
into ITRS at the sample.  At the nodes this is Skyfield's ITRS direction to rounding; between them the
interpolation error is below 1e-8 deg.

The Sun's elevation above a ground point's horizon (WGS84 normal ``U``) is then ``asin(u . U)`` for the
unit direction ``u``: geocentric, so it leaves out the parallax of the Earth's radius (at most 0.0025
deg) and atmospheric refraction (geometric elevation, as :mod:`constellation.topo`).  The tests compare
it with Skyfield's topocentric elevation.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import numpy as np

from .timescale import as_datetime64, skyfield_time

__all__ = ["sun_directions_itrs", "sun_elevation_deg", "EPHEMERIS", "NODE_STEP_S"]

#: The ephemeris file (shipped by the ``skyfield-data`` package).
EPHEMERIS = "de421.bsp"
#: Spacing of the nodes where the ephemeris is evaluated (s).
NODE_STEP_S = 3600.0
_NS = 1_000_000_000


@functools.lru_cache(maxsize=1)
def _ephemeris():
    import skyfield_data
    from skyfield.api import load_file

    path = os.path.join(os.path.dirname(skyfield_data.__file__), "data", EPHEMERIS)
    if not os.path.exists(path):  # pragma: no cover - a broken installation
        raise FileNotFoundError(f"the JPL ephemeris {EPHEMERIS} is missing from skyfield-data ({path})")
    return load_file(path)


def _gmst(times: np.ndarray) -> np.ndarray:
    from .propagation import earth_orientation

    return np.asarray(earth_orientation(times).theta_rad, float)


def _apparent_itrs(times: np.ndarray) -> np.ndarray:
    """Unit apparent geocentric Sun directions in Skyfield's ITRS, ``(n, 3)``."""
    from skyfield.framelib import itrs

    eph = _ephemeris()
    t = skyfield_time(times)
    xyz = np.asarray(eph["earth"].at(t).observe(eph["sun"]).apparent().frame_xyz(itrs).au, float).reshape(3, -1).T
    return xyz / np.linalg.norm(xyz, axis=1, keepdims=True)


def _rot_z(v: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """``R3(theta) v`` per row (the TEME -> ITRS rotation without polar motion)."""
    c, s = np.cos(theta), np.sin(theta)
    return np.stack([c * v[:, 0] + s * v[:, 1], -s * v[:, 0] + c * v[:, 1], v[:, 2]], axis=1)


def sun_directions_itrs(times: Any) -> np.ndarray:
    """Unit vectors from the Earth's centre to the apparent Sun in ITRS at UTC ``times``, float64
    ``(n, 3)`` (C-contiguous): the Sun vector per sample that the coverage engine's Sun limits use.
    Method and accuracy: see the module notes."""
    times = np.atleast_1d(as_datetime64(times))
    if times.size == 0:
        return np.zeros((0, 3))
    ns = times.view(np.int64)
    step = int(NODE_STEP_S * _NS)
    k = np.floor_divide(ns, step)  # each sample lies between nodes k and k + 1
    around = k[:, None] + np.arange(-1, 3)[None, :]  # the four nodes its cubic goes through
    nodes = np.unique(around)
    node_t = (nodes * step).view("datetime64[ns]")
    teme = _rot_z(_apparent_itrs(node_t), -_gmst(node_t))
    # cubic Lagrange through the nodes k-1, k, k+1, k+2 around each sample (x in node steps from node k)
    idx = np.searchsorted(nodes, around)
    x = (ns - k * step) / float(step)
    w = np.stack([-x * (x - 1) * (x - 2) / 6.0, (x + 1) * (x - 1) * (x - 2) / 2.0,
                  -(x + 1) * x * (x - 2) / 2.0, (x + 1) * x * (x - 1) / 6.0], axis=1)
    v = sum(w[:, q:q + 1] * teme[idx[:, q]] for q in range(4))
    v /= np.linalg.norm(v, axis=1, keepdims=True)
    return np.ascontiguousarray(_rot_z(v, _gmst(times)))


def sun_elevation_deg(lat_deg: Any, lon_deg: Any, times: Any) -> np.ndarray:
    """The Sun's geometric elevation (deg) above the WGS84 horizon of geodetic ``lat_deg``, ``lon_deg``
    at UTC ``times``: ``(n_times, n_points)`` (geocentric direction, see the module notes)."""
    lat = np.radians(np.atleast_1d(np.asarray(lat_deg, float)))
    lon = np.radians(np.atleast_1d(np.asarray(lon_deg, float)))
    if lat.shape != lon.shape:
        raise ValueError("lat_deg and lon_deg must have the same shape")
    up = np.stack([np.cos(lat) * np.cos(lon), np.cos(lat) * np.sin(lon), np.sin(lat)], axis=1)
    return np.degrees(np.arcsin(np.clip(sun_directions_itrs(times) @ up.T, -1.0, 1.0)))
