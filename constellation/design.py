"""Constellation design: Walker delta and star patterns, sun-synchronous shells, and plan files.

Every generator returns a :class:`~constellation.satellite.Constellation` of planned satellites whose SGP4
models are made with ``Satrec.sgp4init`` (WGS-72 constants, ``opsmode 'i'``, the theory's own) and then
written to TLE text and read back, so a designed satellite *is* the element set its TLE says: exporting
it (``constellation.elements.dump``) and loading the file again gives identical ``Satrec`` fields and
identical positions.  The round trip quantises angles to 1e-4 degree, the mean motion to 1e-8
revolution per day and the epoch to 1e-8 day (under a millisecond), as the TLE columns do.

Conventions used throughout
---------------------------
* **Altitude** is the nominal *mean* altitude: the SGP4 (Brouwer) mean semi-major axis minus the WGS-72
  equatorial radius, ``a = 6378.135 km + altitude_km``.  The Kozai mean motion that SGP4 takes as input is
  solved so that SGP4's own recovered semi-major axis (``Satrec.a``) equals that ``a``; see
  :func:`kozai_mean_motion`.  Instantaneous heights above the WGS-84 ellipsoid then vary around it by
  up to about 20 km (Earth's flattening, plus the J2 short-period terms).
* **Near-circular orbits**: eccentricity ``1e-4`` and argument of perigee 0, so the mean anomaly is the
  argument of latitude; B* = 0 (no drag: planned satellites are assumed station-kept).
* **Walker T/P/F** (Walker 1984, JBIS 37, 559): ``P`` planes with right ascensions of the ascending node
  spread evenly over 360 degrees (delta) or 180 degrees (star), ``S = T/P`` satellites per plane
  ``360/S`` apart, and a phase offset of ``F * 360/T`` between each plane and the next (eastward).
* **Sun-synchronous**: inclination from the J2 secular node rate (:func:`sun_synchronous_inclination`);
  right ascension of the node from the *mean* local solar time of the descending node (LTDN), which an
  SSO holds because its node follows the mean Sun (:func:`raan_from_ltdn`).
* **Catalogue numbers** come from the plan.  The shipped plan uses 330001 and up (Alpha-5 ``Z0001``...),
  in the block 270000-339999 that the US Space Force reserves for analyst objects, which are never
  published in public element sets and will not be reached by the sequential public catalogue (about
  69,500 in mid-2026), so designed satellites cannot collide with real ones in a mixed file.

Plan files
----------
A plan is a TOML file (read with the standard library's ``tomllib``), one ``[[shell]]`` table per shell;
see ``tle_data/jinan368.toml`` (installed as ``constellation.tle_data``) for the schema with comments.
:func:`load_plan` builds any such file; :func:`jinan368` builds the shipped Jinan-368 plan (cached).
"""

from __future__ import annotations

import functools
import math
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from datetime import time as dt_time
from pathlib import Path
from typing import Any

import numpy as np
from sgp4.api import WGS72, Satrec
from sgp4.earth_gravity import wgs72 as _wgs72

from .errors import ElementSetError
from .satellite import Constellation, Satellite
from .timescale import julian_utc, parse_time

__all__ = [
    "walker_delta", "walker_star", "sun_synchronous", "jinan368", "load_plan", "read_plan",
    "Plan", "Shell", "PlanError", "kozai_mean_motion", "sun_synchronous_inclination",
    "mean_sun_right_ascension_deg", "raan_from_ltdn", "satrec_from_elements",
    "shipped_plan",
    "R_EARTH_KM", "MU_KM3_S2", "J2", "MEAN_SUN_RATE_RAD_S", "TROPICAL_YEAR_DAYS", "PATTERNS",
]

#: WGS-72 constants, the ones SGP4 element sets are defined with (Hoots & Roehrich 1980, Spacetrack
#: Report No. 3; Vallado et al. 2006, AIAA 2006-6753): equatorial radius, GM and the J2 zonal harmonic.
R_EARTH_KM: float = _wgs72.radiusearthkm  # 6378.135 km
MU_KM3_S2: float = _wgs72.mu  # 398600.8 km^3/s^2
J2: float = _wgs72.j2  # 0.001082616
_XKE: float = _wgs72.xke  # sqrt(mu) in Earth radii^1.5 per minute

#: Length of the tropical year in days (Astronomical Almanac; Meeus, Astronomical Algorithms, ch. 27):
#: the mean Sun advances 360 degrees in right ascension in this time.
TROPICAL_YEAR_DAYS: float = 365.2421897
#: Rate of the mean Sun in right ascension, radians per second (about 0.98565 degree per day).
MEAN_SUN_RATE_RAD_S: float = 2.0 * math.pi / (TROPICAL_YEAR_DAYS * 86400.0)

#: Orbit patterns a plan shell may use.
PATTERNS = ("sun-synchronous", "walker-delta", "walker-star")

_DEG = math.pi / 180.0
_MIN_PER_DAY = 1440.0
_SGP4_EPOCH0 = np.datetime64("1949-12-31T00:00:00", "ns")  # sgp4init counts epochs in days from here
_MAX_CATALOG_NUMBER = 339_999  # the largest Alpha-5 number, "Z9999"
_DEFAULT_ECCENTRICITY = 1.0e-4
_SHIPPED_PLAN = "jinan368.toml"


class PlanError(ElementSetError):
    """A plan file could not be built: names the file, the line, the key, what was found and what was
    expected (a :class:`ValueError`, so the command line reports it as bad input, exit code 2)."""


# -- orbital mechanics helpers ----------------------------------------------------------------------------

def kozai_mean_motion(altitude_km: float, inclination_deg: float, eccentricity: float = 0.0) -> float:
    """Return the SGP4 input (Kozai) mean motion, radians per minute, for a nominal mean altitude.

    The target is SGP4's Brouwer mean semi-major axis ``a = R + altitude_km`` (WGS-72 ``R``), whose
    Keplerian mean motion is ``n'' = sqrt(mu / a^3)``.  SGP4's initialisation turns the Kozai mean motion
    ``n0`` of an element set into ``n'' = n0 / (1 + delta0)`` with ``delta0 = d1 / a0^2``,
    ``d1 = 3/4 J2 (3 cos^2 i - 1) / (1 - e^2)^(3/2)`` and ``a0`` from ``a1 = (ke / n0)^(2/3)`` through
    ``a0 = a1 (1 - delta1/3 - delta1^2 - 134/81 delta1^3)`` (Hoots & Roehrich 1980, Spacetrack Report
    No. 3, eq. for the "original" mean motion; Vallado et al. 2006, ``initl``).  This inverts that map by
    fixed-point iteration (converged to machine precision in a few steps, as ``|delta| ~ 1e-3``).
    """
    if not altitude_km > 0.0:
        raise ValueError(f"altitude_km must be positive, got {altitude_km!r}")
    a_er = (R_EARTH_KM + altitude_km) / R_EARTH_KM  # Earth radii
    n_brouwer = _XKE / a_er ** 1.5  # rad/min
    cosi = math.cos(inclination_deg * _DEG)
    d1 = 0.75 * J2 * (3.0 * cosi * cosi - 1.0) / (1.0 - eccentricity ** 2) ** 1.5
    n0 = n_brouwer
    for _ in range(50):
        a1 = (_XKE / n0) ** (2.0 / 3.0)
        del1 = d1 / (a1 * a1)
        a0 = a1 * (1.0 - del1 * del1 - del1 * (1.0 / 3.0 + 134.0 * del1 * del1 / 81.0))
        del0 = d1 / (a0 * a0)
        n_new = n_brouwer * (1.0 + del0)
        if abs(n_new - n0) <= 1e-16 * n0:
            return n_new
        n0 = n_new
    return n0


def sun_synchronous_inclination(altitude_km: float, eccentricity: float = 0.0) -> float:
    """Return the sun-synchronous inclination in degrees for a nominal mean altitude (km).

    The first-order secular J2 rate of the ascending node is
    ``dOmega/dt = -3/2 n J2 (R / p)^2 cos i`` with ``n = sqrt(mu / a^3)`` and ``p = a (1 - e^2)``
    (Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed. 2013, sec. 9.6, secular effects
    of J2; Wertz & Larson, *Space Mission Analysis and Design*, 3rd ed. 1999, sec. 6.2.2).  Setting it
    equal to the mean Sun's rate :data:`MEAN_SUN_RATE_RAD_S` gives
    ``cos i = -2 (dOmega/dt) p^2 / (3 n J2 R^2)``.  Constants are WGS-72 (:data:`R_EARTH_KM`,
    :data:`MU_KM3_S2`, :data:`J2`), the set SGP4 uses, so SGP4's own first-order node rate for these
    elements is exactly the Sun's.  SGP4 adds J2^2 and J4 secular terms: at 535 km they make its node
    about 0.3 % slower than the mean Sun, so a plane's local time drifts by about 1 degree (some 4-5
    minutes) per year of propagation from the plan epoch.

    Example: 535 km gives about 97.5 degrees.
    """
    a = R_EARTH_KM + altitude_km
    n = math.sqrt(MU_KM3_S2 / a ** 3)
    p = a * (1.0 - eccentricity ** 2)
    cosi = -2.0 * MEAN_SUN_RATE_RAD_S * p * p / (3.0 * n * J2 * R_EARTH_KM ** 2)
    if not -1.0 <= cosi <= 1.0:
        raise ValueError(f"no sun-synchronous orbit exists at altitude {altitude_km} km "
                         f"(would need cos i = {cosi:.3f}; the limit is about 5,970 km)")
    return math.degrees(math.acos(cosi))


def mean_sun_right_ascension_deg(when: Any) -> float:
    """Right ascension of the fictitious mean Sun at UTC ``when``, in degrees in ``[0, 360)``.

    Mean solar time is defined so that the mean Sun's Greenwich hour angle is ``UT1 - 12 h``; with
    Greenwich mean sidereal time ``GMST`` (IAU 1982, Aoki et al. 1982; Vallado 2013 eq. 3-47, the model of
    the TEME frame SGP4 works in) this gives ``alpha_mean_sun = GMST - 15 deg/h * (UT1 - 12 h)``.  UTC
    stands in for UT1: the difference (under 0.9 s) moves the result by under 1e-5 degree.
    """
    from .kernels.frames import gmst1982  # (numba: only plans that place a mean Sun need it)

    t = parse_time(when)
    jd, fr = julian_utc(np.array([t], dtype="datetime64[ns]"))
    gmst_deg = math.degrees(float(gmst1982(jd, fr)[0][0]))
    ut_hours = float(fr[0]) * 24.0  # jd ends in .5, so the fraction counts from 0h UT
    return (gmst_deg - 15.0 * (ut_hours - 12.0)) % 360.0


def raan_from_ltdn(ltdn_hours: float, epoch: Any) -> float:
    """Right ascension of the ascending node (degrees, TEME, in ``[0, 360)``) that puts the descending
    node at mean local solar time ``ltdn_hours`` at ``epoch``.

    A meridian with right ascension ``alpha`` has mean local solar time
    ``12 h + (alpha - alpha_mean_sun) / 15 deg/h`` (the mean Sun transits it at noon).  The descending node
    lies 180 degrees from the ascending one, so ``RAAN = alpha_mean_sun + 15 (LTDN - 12) + 180`` degrees,
    i.e. ``LTAN = LTDN +- 12 h``.  A sun-synchronous orbit keeps this local time as the node precesses
    with the mean Sun; in *apparent* (sundial) time it swings by the equation of time, +-16 minutes
    over the year.
    """
    return (mean_sun_right_ascension_deg(epoch) + 15.0 * (float(ltdn_hours) - 12.0) + 180.0) % 360.0


def _sgp4_epoch_days(epoch: np.datetime64) -> float:
    """Days since 1949 December 31 00:00 UTC, the epoch argument of ``Satrec.sgp4init``."""
    return float((epoch - _SGP4_EPOCH0) / np.timedelta64(1, "ns")) / 86_400e9


def satrec_from_elements(catalog_number: int, epoch: Any, inclination_deg: float, raan_deg: float,
                         mean_anomaly_deg: float, altitude_km: float, *,
                         eccentricity: float = _DEFAULT_ECCENTRICITY, arg_perigee_deg: float = 0.0,
                         bstar: float = 0.0, via_tle: bool = True) -> Satrec:
    """Return an initialised SGP4 model for one near-circular designed orbit.

    Angles in degrees (TEME, of date), altitude the nominal mean altitude in km (see module docs);
    ``Satrec.sgp4init`` with WGS-72 and ``opsmode 'i'``.  With ``via_tle`` (the default) the model is written
    as TLE text and read back, so it carries exactly what an exported TLE carries.
    """
    epoch64 = parse_time(epoch)
    sat = Satrec()
    sat.sgp4init(
        WGS72, "i", int(catalog_number), _sgp4_epoch_days(epoch64), float(bstar), 0.0, 0.0,
        float(eccentricity), math.radians(arg_perigee_deg % 360.0), math.radians(inclination_deg),
        math.radians(mean_anomaly_deg % 360.0),
        kozai_mean_motion(altitude_km, inclination_deg, eccentricity), math.radians(raan_deg % 360.0),
    )
    if not via_tle:
        return sat
    line1, line2 = _tle_lines(sat)
    return Satrec.twoline2rv(line1, line2, WGS72)


def _tle_lines(satrec: Satrec) -> tuple[str, str]:
    """The two TLE lines of ``satrec``, exactly as :func:`constellation.elements.dump` writes them."""
    from .elements import format_tle

    return format_tle(satrec)


# -- generators ---------------------------------------------------------------------------------------

def _launched_flags(launched: bool | int | Sequence[bool], total: int) -> list[bool]:
    if isinstance(launched, (bool, np.bool_)):
        return [bool(launched)] * total
    if isinstance(launched, (int, np.integer)):
        if not 0 <= launched <= total:
            raise ValueError(f"launched count must be between 0 and {total}, got {launched}")
        return [i < launched for i in range(total)]
    flags = [bool(x) for x in launched]
    if len(flags) != total:
        raise ValueError(f"launched has {len(flags)} flags for {total} satellites")
    return flags


def _check_catalog_range(first: int, total: int) -> None:
    if not (1 <= first and first + total - 1 <= _MAX_CATALOG_NUMBER):
        raise ValueError(f"catalogue numbers {first}..{first + total - 1} fall outside 1..{_MAX_CATALOG_NUMBER} "
                         f"(the Alpha-5 range a TLE can carry)")


def _build(*, planes: int, per_plane: int, phasing: int, inclinations_deg: Sequence[float],
           raans_deg: Sequence[float], altitude_km: float, epoch: Any, arg_lat0_deg: float,
           eccentricity: float, bstar: float, name_prefix: str, first_catalog_number: int, group: str,
           launched: bool | int | Sequence[bool], source: str, extra: Sequence[dict[str, Any]] | None,
           via_tle: bool) -> list[Satellite]:
    total = planes * per_plane
    _check_catalog_range(first_catalog_number, total)
    flags = _launched_flags(launched, total)
    epoch64 = parse_time(epoch)
    sats = []
    for k in range(planes):
        for j in range(per_plane):
            idx = k * per_plane + j
            u = arg_lat0_deg + j * 360.0 / per_plane + k * phasing * 360.0 / total
            rec = satrec_from_elements(first_catalog_number + idx, epoch64, inclinations_deg[k], raans_deg[k],
                                       u, altitude_km, eccentricity=eccentricity, bstar=bstar,
                                       via_tle=via_tle)
            info = {"plane": k, "slot": j, "altitude_km": float(altitude_km)}
            if extra is not None:
                info.update(extra[k])
            sats.append(Satellite(rec, name=f"{name_prefix}-{idx + 1:03d}", group=group, launched=flags[idx],
                                  source=source, extra=info))
    return sats


def _check_walker(total: int, planes: int, phasing: int) -> int:
    for label, v in (("total", total), ("planes", planes), ("phasing", phasing)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)):
            raise ValueError(f"Walker {label} must be an integer, got {v!r}")
    if total < 1 or planes < 1 or total % planes:
        raise ValueError(f"Walker pattern needs total divisible by planes (T/P/F), got T={total}, P={planes}")
    if not 0 <= phasing < planes:
        raise ValueError(f"Walker phasing F must be in 0..P-1 = 0..{planes - 1}, got {phasing}")
    return total // planes


def _walker(total: int, planes: int, phasing: int, inclination_deg: float, altitude_km: float, epoch: Any,
            raan0_deg: float, raan_spread_deg: float, kind: str, *, arg_lat0_deg: float,
            eccentricity: float, bstar: float, name_prefix: str, first_catalog_number: int, group: str,
            launched: bool | int | Sequence[bool], name: str, via_tle: bool) -> Constellation:
    per_plane = _check_walker(total, planes, phasing)
    if not 0.0 <= inclination_deg <= 180.0:
        raise ValueError(f"inclination_deg must be within 0..180, got {inclination_deg}")
    raans = [raan0_deg + k * raan_spread_deg / planes for k in range(planes)]
    label = f"{kind} {total}/{planes}/{phasing}"
    sats = _build(planes=planes, per_plane=per_plane, phasing=phasing, inclinations_deg=[inclination_deg] * planes,
                  raans_deg=raans, altitude_km=altitude_km, epoch=epoch, arg_lat0_deg=arg_lat0_deg,
                  eccentricity=eccentricity, bstar=bstar, name_prefix=name_prefix,
                  first_catalog_number=first_catalog_number, group=group, launched=launched,
                  source=f"design:{label}", extra=None, via_tle=via_tle)
    return Constellation(sats, name=name or label, source=f"design:{label}")


def walker_delta(total: int, planes: int, phasing: int, inclination_deg: float, altitude_km: float,
                 epoch: Any, raan0_deg: float = 0.0, *, arg_lat0_deg: float = 0.0,
                 eccentricity: float = _DEFAULT_ECCENTRICITY, bstar: float = 0.0, name_prefix: str = "WALKER",
                 first_catalog_number: int = 330_001, group: str = "", launched: bool | int | Sequence[bool] = False,
                 name: str = "", via_tle: bool = True) -> Constellation:
    """Walker delta pattern T/P/F: ``total`` satellites in ``planes`` circular planes at one inclination.

    Plane ``k`` (0-based) has right ascension of ascending node ``raan0_deg + k * 360/P``; satellite ``j``
    in it has argument of latitude ``arg_lat0_deg + j * 360/S + k * F * 360/T`` with ``S = T/P`` (Walker
    1984, "Satellite constellations", JBIS 37, 559-572).  Angles in degrees, ``altitude_km`` the nominal
    mean altitude (module docs), ``epoch`` a UTC time (ISO text, ``datetime`` or ``datetime64``).

    Satellites are numbered plane by plane: names ``f"{name_prefix}-{i:03d}"`` for ``i = 1..T``, catalogue
    numbers ``first_catalog_number + i - 1``; ``launched`` is a flag for all, a count (the first N are
    launched) or one flag per satellite.  Each satellite's ``extra`` holds ``plane``, ``slot`` and
    ``altitude_km``.
    """
    return _walker(total, planes, phasing, inclination_deg, altitude_km, epoch, raan0_deg, 360.0,
                   "walker-delta", arg_lat0_deg=arg_lat0_deg, eccentricity=eccentricity, bstar=bstar,
                   name_prefix=name_prefix, first_catalog_number=first_catalog_number, group=group,
                   launched=launched, name=name, via_tle=via_tle)


def walker_star(total: int, planes: int, phasing: int, inclination_deg: float, altitude_km: float,
                epoch: Any, raan0_deg: float = 0.0, *, arg_lat0_deg: float = 0.0,
                eccentricity: float = _DEFAULT_ECCENTRICITY, bstar: float = 0.0, name_prefix: str = "WALKER",
                first_catalog_number: int = 330_001, group: str = "", launched: bool | int | Sequence[bool] = False,
                name: str = "", via_tle: bool = True) -> Constellation:
    """Walker star (polar, "streets of coverage") pattern T/P/F: like :func:`walker_delta` but the planes'
    ascending nodes are spread over 180 degrees, ``raan0_deg + k * 180/P``, so ascending and descending
    halves of neighbouring planes interleave (Iridium-like, typically near 86-90 degrees inclination).
    Phasing between adjacent planes is ``F * 360/T`` as for the delta pattern.
    """
    return _walker(total, planes, phasing, inclination_deg, altitude_km, epoch, raan0_deg, 180.0,
                   "walker-star", arg_lat0_deg=arg_lat0_deg, eccentricity=eccentricity, bstar=bstar,
                   name_prefix=name_prefix, first_catalog_number=first_catalog_number, group=group,
                   launched=launched, name=name, via_tle=via_tle)


def sun_synchronous(altitude_km: float, planes: int, sats_per_plane: int, ltdn_hours: float | Sequence[float],
                    epoch: Any, *, phasing: int = 0, arg_lat0_deg: float = 0.0,
                    eccentricity: float = _DEFAULT_ECCENTRICITY, bstar: float = 0.0, name_prefix: str = "SSO",
                    first_catalog_number: int = 330_001, group: str = "",
                    launched: bool | int | Sequence[bool] = False, name: str = "",
                    via_tle: bool = True) -> Constellation:
    """Sun-synchronous shell: ``planes`` planes of ``sats_per_plane`` satellites at one mean altitude.

    The inclination comes from :func:`sun_synchronous_inclination`; plane ``k``'s node from its mean local
    solar time of the descending node ``ltdn_hours[k]`` (hours, e.g. ``10.5`` for 10:30) at ``epoch`` via
    :func:`raan_from_ltdn`.  A single LTDN applies to every plane.  Satellites in a plane are ``360/S``
    apart in argument of latitude, offset by ``phasing * 360/T`` from one plane to the next (``T`` the
    total).  Each satellite's ``extra`` also holds ``ltdn_hours``.  Other arguments as in
    :func:`walker_delta`.
    """
    for label, v, lo in (("planes", planes, 1), ("sats_per_plane", sats_per_plane, 1), ("phasing", phasing, 0)):
        if isinstance(v, bool) or not isinstance(v, (int, np.integer)) or v < lo:
            raise ValueError(f"sun_synchronous {label} must be an integer >= {lo}, got {v!r}")
    ltdns = [float(ltdn_hours)] * planes if np.ndim(ltdn_hours) == 0 else [float(h) for h in ltdn_hours]
    if len(ltdns) != planes:
        raise ValueError(f"ltdn_hours has {len(ltdns)} values for {planes} planes")
    for h in ltdns:
        if not 0.0 <= h < 24.0:
            raise ValueError(f"local time of the descending node must be within [0, 24) hours, got {h}")
    inc = sun_synchronous_inclination(altitude_km, eccentricity)
    raans = [raan_from_ltdn(h, epoch) for h in ltdns]
    label = f"sun-synchronous {altitude_km:g} km {planes}x{sats_per_plane}"
    sats = _build(planes=planes, per_plane=sats_per_plane, phasing=phasing, inclinations_deg=[inc] * planes,
                  raans_deg=raans, altitude_km=altitude_km, epoch=epoch, arg_lat0_deg=arg_lat0_deg,
                  eccentricity=eccentricity, bstar=bstar, name_prefix=name_prefix,
                  first_catalog_number=first_catalog_number, group=group, launched=launched,
                  source=f"design:{label}", extra=[{"ltdn_hours": h} for h in ltdns], via_tle=via_tle)
    return Constellation(sats, name=name or label, source=f"design:{label}")


# -- plan files -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Shell:
    """One shell of a plan, as read from a ``[[shell]]`` table (angles in degrees, altitude in km)."""

    group: str
    pattern: str
    name_prefix: str
    altitude_km: float
    planes: int
    sats_per_plane: int
    phasing: int
    inclination_deg: float  # for sun-synchronous shells, the computed value
    raan0_deg: float
    ltdn_hours: tuple[float, ...] | None
    first_catalog_number: int
    launched: int
    eccentricity: float
    bstar: float
    arg_lat0_deg: float
    description: str = ""

    @property
    def total(self) -> int:
        """Number of satellites in the shell."""
        return self.planes * self.sats_per_plane

    def build(self, epoch: Any, source: str = "") -> Constellation:
        """Generate this shell's satellites at ``epoch``."""
        common = dict(arg_lat0_deg=self.arg_lat0_deg, eccentricity=self.eccentricity, bstar=self.bstar,
                      name_prefix=self.name_prefix, first_catalog_number=self.first_catalog_number,
                      group=self.group, launched=self.launched)
        if self.pattern == "sun-synchronous":
            c = sun_synchronous(self.altitude_km, self.planes, self.sats_per_plane, self.ltdn_hours, epoch,
                                phasing=self.phasing, **common)
        else:
            gen = walker_delta if self.pattern == "walker-delta" else walker_star
            c = gen(self.total, self.planes, self.phasing, self.inclination_deg, self.altitude_km, epoch,
                    self.raan0_deg, **common)
        if source:
            c = Constellation((s.with_(source=source) for s in c), name=c.name, source=source)
        return c


@dataclass(frozen=True)
class Plan:
    """A constellation plan: a name, an epoch and shells; :meth:`build` makes the satellites."""

    name: str
    epoch: np.datetime64
    shells: tuple[Shell, ...]
    path: str = ""
    description: str = ""

    @property
    def total(self) -> int:
        """Number of satellites in the plan."""
        return sum(s.total for s in self.shells)

    @property
    def source(self) -> str:
        """Provenance label recorded on the built satellites, ``"design:<plan file name>"``."""
        return f"design:{Path(self.path).name}" if self.path else f"design:{self.name}"

    def build(self) -> Constellation:
        """Return every satellite of every shell, in plan order, as one :class:`Constellation`."""
        sats: list[Satellite] = []
        for shell in self.shells:
            sats.extend(shell.build(self.epoch, source=self.source))
        return Constellation(sats, name=self.name, source=self.source)

    def summary(self) -> str:
        """A plain-text table of the shells: pattern, counts, geometry, catalogue block, launched."""
        head = ("group", "pattern", "sats", "planes x S", "F", "alt km", "inc deg", "nodes", "catalogue",
                "launched")
        rows = []
        for s in self.shells:
            if s.ltdn_hours is not None:
                nodes = "LTDN " + ", ".join(_hhmm(h) for h in s.ltdn_hours) if len(s.ltdn_hours) <= 3 else \
                    f"LTDN {_hhmm(s.ltdn_hours[0])}..{_hhmm(s.ltdn_hours[-1])} ({len(s.ltdn_hours)} planes)"
            else:
                spread = 360.0 if s.pattern == "walker-delta" else 180.0
                nodes = f"RAAN {s.raan0_deg:g} + k*{spread / s.planes:g}"
            cat = f"{_alpha5(s.first_catalog_number)}-{_alpha5(s.first_catalog_number + s.total - 1)}"
            rows.append((s.group, s.pattern, str(s.total), f"{s.planes} x {s.sats_per_plane}", str(s.phasing),
                         f"{s.altitude_km:g}", f"{s.inclination_deg:.3f}", nodes, cat, str(s.launched)))
        rows.append(("total", "", str(self.total), "", "", "", "", "", "", str(sum(s.launched for s in self.shells))))
        widths = [max(len(r[i]) for r in (head, *rows)) for i in range(len(head))]
        numeric = {2, 4, 5, 6, 9}

        def fmt(r: Sequence[str]) -> str:
            return "  ".join(c.rjust(w) if i in numeric else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))
                             ).rstrip()

        epoch = np.datetime_as_string(self.epoch, unit="s")
        lines = [f"{self.name}: {self.total} satellites, epoch {epoch}Z" + (f"  ({self.path})" if self.path else ""),
                 fmt(head), fmt(["-" * w for w in widths]), *(fmt(r) for r in rows)]
        return "\n".join(lines)


def _hhmm(hours: float) -> str:
    m = int(round(hours * 60.0))
    return f"{m // 60:02d}:{m % 60:02d}"


def _alpha5(n: int) -> str:
    if n < 100_000:
        return f"{n:05d}"
    letters = "ABCDEFGHJKLMNPQRSTUVWXYZ"  # Alpha-5 skips I and O
    return letters[n // 10_000 - 10] + f"{n % 10_000:04d}"


_PLAN_KEYS = {"name", "epoch", "description"}
_COMMON_KEYS = {"group", "pattern", "name_prefix", "altitude_km", "planes", "first_catalog_number", "launched",
                "phasing", "eccentricity", "bstar", "arg_lat0_deg", "description"}
_PATTERN_KEYS = {
    "sun-synchronous": _COMMON_KEYS | {"sats_per_plane", "ltdn"},
    "walker-delta": _COMMON_KEYS | {"total", "inclination_deg", "raan0_deg"},
    "walker-star": _COMMON_KEYS | {"total", "inclination_deg", "raan0_deg"},
}
_REQUIRED = {
    "sun-synchronous": ("group", "name_prefix", "altitude_km", "planes", "sats_per_plane", "ltdn",
                        "first_catalog_number"),
    "walker-delta": ("group", "name_prefix", "altitude_km", "total", "planes", "phasing", "inclination_deg",
                     "first_catalog_number"),
    "walker-star": ("group", "name_prefix", "altitude_km", "total", "planes", "phasing", "inclination_deg",
                    "first_catalog_number"),
}


class _PlanReader:
    """Validates a parsed plan, pointing errors at the file, line and key."""

    def __init__(self, path: str, text: str):
        self.path = path
        self.lines = text.splitlines()

    def _line_of(self, table: str, index: int, key: str | None) -> int | None:
        """1-based line of ``key = ...`` inside the ``index``-th ``table`` (``[[shell]]`` or ``[plan]``);
        the table header's line when the key is absent; ``None`` when the table cannot be found."""
        header = re.compile(r"^\s*\[\[\s*shell\s*\]\]" if table == "shell" else rf"^\s*\[\s*{table}\s*\]")
        any_header = re.compile(r"^\s*\[")
        count, start = -1, None
        for i, ln in enumerate(self.lines):
            if header.match(ln):
                count += 1
                if count == index:
                    start = i
                    break
        if start is None:
            return None
        if key is not None:
            pat = re.compile(rf"^\s*\"?{re.escape(key)}\"?\s*=")
            for i in range(start + 1, len(self.lines)):
                if any_header.match(self.lines[i]):
                    break
                if pat.match(self.lines[i]):
                    return i + 1
        return start + 1

    def error(self, table: str, index: int, key: str | None, message: str, found: Any = "",
              expected: str = "") -> PlanError:
        where = "[plan]" if table == "plan" else f"shell[{index}]"
        field = f"{where}.{key}" if key else where
        text = f"{field}: {message}"
        if found != "":
            text += f"; found {found!r}"
        if expected:
            text += f", expected {expected}"
        return PlanError(text, path=self.path, line=self._line_of(table, index, key), field=field,
                         found=repr(found) if found != "" else "", expected=expected)

    def number(self, t: dict, index: int, key: str, *, default: Any = None, lo: float | None = None,
               hi: float | None = None, expected: str = "a number") -> float:
        v = t.get(key, default)
        if v is None:
            raise self.error("shell", index, key, "missing required key", expected=expected)
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or \
                (lo is not None and v < lo) or (hi is not None and v > hi):
            raise self.error("shell", index, key, "bad value", v, expected)
        return float(v)

    def integer(self, t: dict, index: int, key: str, *, default: Any = None, lo: int = 0,
                expected: str = "an integer") -> int:
        v = t.get(key, default)
        if v is None:
            raise self.error("shell", index, key, "missing required key", expected=expected)
        if isinstance(v, bool) or not isinstance(v, int) or v < lo:
            raise self.error("shell", index, key, "bad value", v, expected)
        return v

    def text(self, t: dict, index: int, key: str, expected: str = "a non-empty string") -> str:
        v = t.get(key)
        if not isinstance(v, str) or not v.strip():
            raise self.error("shell", index, key, "missing required key" if v is None else "bad value",
                             "" if v is None else v, expected)
        return v.strip()

    def ltdn(self, t: dict, index: int, planes: int) -> tuple[float, ...]:
        expected = f"a list of {planes} local times \"HH:MM\" (or hours), one per plane"
        raw = t.get("ltdn")
        values = raw if isinstance(raw, list) else [raw] * planes
        if len(values) != planes:
            raise self.error("shell", index, "ltdn", f"{len(values)} local times for {planes} planes", raw,
                             expected)
        out = []
        for v in values:
            h = _hours(v)
            if h is None or not 0.0 <= h < 24.0:
                raise self.error("shell", index, "ltdn", "bad local time", v, expected)
            out.append(h)
        return tuple(out)

    def shell(self, t: Any, index: int) -> Shell:
        if not isinstance(t, dict):
            raise self.error("shell", index, None, "is not a table", t, "a [[shell]] table")
        pattern = t.get("pattern")
        if pattern not in PATTERNS:
            raise self.error("shell", index, "pattern", "missing required key" if pattern is None else
                             "unknown pattern", "" if pattern is None else pattern, " or ".join(map(repr, PATTERNS)))
        for key in t:
            if key not in _PATTERN_KEYS[pattern]:
                raise self.error("shell", index, key, f"unknown key for a {pattern} shell", key,
                                 "one of " + ", ".join(sorted(_PATTERN_KEYS[pattern])))
        for key in _REQUIRED[pattern]:
            if key not in t:
                raise self.error("shell", index, key, "missing required key")
        group = self.text(t, index, "group")
        prefix = self.text(t, index, "name_prefix")
        alt = self.number(t, index, "altitude_km", lo=100.0, hi=50_000.0,
                          expected="a mean altitude in km between 100 and 50000")
        planes = self.integer(t, index, "planes", lo=1, expected="a positive integer")
        ecc = self.number(t, index, "eccentricity", default=_DEFAULT_ECCENTRICITY, lo=0.0, hi=0.1,
                          expected="an eccentricity in [0, 0.1] (near-circular designs)")
        bstar = self.number(t, index, "bstar", default=0.0, lo=-1.0, hi=1.0, expected="B* in 1/Earth radii")
        u0 = self.number(t, index, "arg_lat0_deg", default=0.0, lo=-360.0, hi=360.0, expected="degrees")
        first = self.integer(t, index, "first_catalog_number", lo=1,
                             expected=f"an integer catalogue number in 1..{_MAX_CATALOG_NUMBER}")
        if pattern == "sun-synchronous":
            per_plane = self.integer(t, index, "sats_per_plane", lo=1, expected="a positive integer")
            total = planes * per_plane
            phasing = self.integer(t, index, "phasing", default=0, lo=0, expected=f"an integer in 0..{total - 1}")
            if phasing >= total:
                raise self.error("shell", index, "phasing", "phasing must be below the shell's total", phasing,
                                 f"an integer in 0..{total - 1}")
            ltdn = self.ltdn(t, index, planes)
            try:
                inc = sun_synchronous_inclination(alt, ecc)
            except ValueError as exc:
                raise self.error("shell", index, "altitude_km", str(exc), alt) from None
            raan0 = 0.0
        else:
            total = self.integer(t, index, "total", lo=1, expected="a positive integer")
            if total % planes:
                raise self.error("shell", index, "total", f"not divisible by planes = {planes}", total,
                                 "T = P x S (Walker T/P/F)")
            per_plane = total // planes
            phasing = self.integer(t, index, "phasing", lo=0, expected=f"an integer F in 0..{planes - 1}")
            if phasing >= planes:
                raise self.error("shell", index, "phasing", "Walker F must be below P", phasing,
                                 f"an integer F in 0..{planes - 1}")
            inc = self.number(t, index, "inclination_deg", lo=0.0, hi=180.0, expected="degrees in 0..180")
            raan0 = self.number(t, index, "raan0_deg", default=0.0, lo=-360.0, hi=360.0, expected="degrees")
            ltdn = None
        if first + total - 1 > _MAX_CATALOG_NUMBER:
            raise self.error("shell", index, "first_catalog_number",
                             f"the shell's {total} numbers run past {_MAX_CATALOG_NUMBER} (Alpha-5 limit)", first,
                             f"at most {_MAX_CATALOG_NUMBER - total + 1}")
        launched_raw = t.get("launched", 0)
        if isinstance(launched_raw, bool):
            launched = total if launched_raw else 0
        elif isinstance(launched_raw, int) and 0 <= launched_raw <= total:
            launched = launched_raw
        else:
            raise self.error("shell", index, "launched", "bad value", launched_raw,
                             f"a count 0..{total} (the first N satellites are launched) or true/false")
        desc = t.get("description", "")
        return Shell(group=group, pattern=pattern, name_prefix=prefix, altitude_km=alt, planes=planes,
                     sats_per_plane=per_plane, phasing=phasing, inclination_deg=inc, raan0_deg=raan0,
                     ltdn_hours=ltdn, first_catalog_number=first, launched=launched, eccentricity=ecc,
                     bstar=bstar, arg_lat0_deg=u0, description=str(desc))

    def plan(self, doc: dict) -> Plan:
        meta = doc.get("plan")
        if not isinstance(meta, dict):
            raise PlanError("missing [plan] table (with name and epoch)", path=self.path, field="plan",
                            expected="a [plan] table")
        for key in doc:
            if key not in ("plan", "shell"):
                raise PlanError(f"unknown top-level key {key!r}", path=self.path, field=key,
                                expected="[plan] and [[shell]] tables")
        for key in meta:
            if key not in _PLAN_KEYS:
                raise self.error("plan", 0, key, "unknown key", key, "one of " + ", ".join(sorted(_PLAN_KEYS)))
        name = meta.get("name")
        if not isinstance(name, str) or not name.strip():
            raise self.error("plan", 0, "name", "missing or empty", name if name is not None else "",
                             "a non-empty string")
        raw_epoch = meta.get("epoch")
        try:
            if raw_epoch is None:
                raise ValueError
            if isinstance(raw_epoch, datetime) and raw_epoch.tzinfo is None:
                raise ValueError
            if isinstance(raw_epoch, str) and not re.search(r"(Z|[+-]\d\d:\d\d)\s*$", raw_epoch):
                raise ValueError
            epoch = parse_time(raw_epoch)
        except (ValueError, TypeError):
            raise self.error("plan", 0, "epoch", "missing" if raw_epoch is None else "bad epoch",
                             "" if raw_epoch is None else str(raw_epoch),
                             "a UTC date-time such as 2026-01-01T00:00:00Z") from None
        shells_raw = doc.get("shell")
        if not isinstance(shells_raw, list) or not shells_raw:
            raise PlanError("no [[shell]] tables", path=self.path, field="shell",
                            expected="one [[shell]] table per shell")
        shells = tuple(self.shell(t, i) for i, t in enumerate(shells_raw))
        # catalogue blocks and name prefixes must not overlap between shells
        for i, a in enumerate(shells):
            for j in range(i):
                b = shells[j]
                if a.first_catalog_number < b.first_catalog_number + b.total and \
                        b.first_catalog_number < a.first_catalog_number + a.total:
                    raise self.error("shell", i, "first_catalog_number",
                                     f"catalogue numbers overlap those of shell[{j}] "
                                     f"({b.first_catalog_number}..{b.first_catalog_number + b.total - 1})",
                                     a.first_catalog_number, "a block no other shell uses")
                if a.name_prefix == b.name_prefix:
                    raise self.error("shell", i, "name_prefix", f"same as shell[{j}]'s, names would repeat",
                                     a.name_prefix, "a prefix unique to this shell")
        return Plan(name=name.strip(), epoch=epoch, shells=shells, path=self.path,
                    description=str(meta.get("description", "")))


def _hours(v: Any) -> float | None:
    """Local time as hours: ``"09:30"``, ``"09:30:00"``, a TOML local time, or a number of hours."""
    if isinstance(v, bool):
        return None
    if isinstance(v, (int, float)):
        return float(v)
    if isinstance(v, dt_time):
        return v.hour + v.minute / 60.0 + (v.second + v.microsecond * 1e-6) / 3600.0
    if isinstance(v, str):
        m = re.fullmatch(r"\s*(\d{1,2}):(\d{2})(?::(\d{2}(?:\.\d*)?))?\s*", v)
        if m and int(m.group(2)) < 60:
            return int(m.group(1)) + int(m.group(2)) / 60.0 + float(m.group(3) or 0.0) / 3600.0
    return None


def read_plan(path: str | Path) -> Plan:
    """Read and check a plan TOML file; return a :class:`Plan` (not yet built).

    Raises :class:`PlanError` (a ``ValueError``) naming the file, line and key for a bad plan, and
    ``FileNotFoundError`` for a missing file.
    """
    from .checks import input_file

    return _parse_plan(input_file(path, "plan file", "a TOML plan file").read_bytes(), str(path))


def _parse_plan(raw: bytes, label: str) -> Plan:
    from .checks import parse_nested

    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PlanError(f"not UTF-8 text ({exc.reason} at byte {exc.start})", path=label,
                        expected="a UTF-8 TOML plan file") from None
    try:
        doc = parse_nested(tomllib.loads, text, label, "a TOML plan file")
    except tomllib.TOMLDecodeError as exc:
        m = re.search(r"line (\d+)", str(exc))
        raise PlanError(f"not valid TOML: {exc}", path=label, line=int(m.group(1)) if m else None,
                        expected="a TOML plan file") from None
    return _PlanReader(label, text).plan(doc)


def load_plan(path: str | Path) -> Constellation:
    """Build the constellation described by a plan TOML file (same schema as the shipped
    ``jinan368.toml``); every satellite carries its shell's ``group`` and its ``launched`` flag."""
    return read_plan(path).build()


@functools.lru_cache(maxsize=1)
def shipped_plan() -> Plan:
    """The shipped Jinan-368 plan (package data ``constellation.tle_data/jinan368.toml``), read once."""
    from importlib.resources import files

    raw = files("constellation.tle_data").joinpath(_SHIPPED_PLAN).read_bytes()
    return _parse_plan(raw, _SHIPPED_PLAN)


@functools.lru_cache(maxsize=1)
def jinan368() -> Constellation:
    """The planned Jinan-368 constellation (368 satellites, 26 launched), built from the shipped plan.

    Built once and cached: 120 sun-synchronous Earth-observation satellites (group ``"eo"``), 216
    communication satellites (``"comm"``, Walker 216/12/1) and 32 navigation-augmentation satellites
    (``"nav"``, Walker 32/4/1).  The shells are an illustrative design stated in the plan file's comments;
    the public description fixes only the total, the three missions and the 26 launched.  The element
    sets are identical to those in the shipped ``jinan368.tle`` (generated from this plan by
    ``constellation design --output``), which carries no group or launched metadata.
    """
    return shipped_plan().build()
