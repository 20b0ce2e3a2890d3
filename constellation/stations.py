"""Ground station networks: named WGS84 sites, each with its own elevation mask.

A network is what :func:`constellation.groundlink.contacts` and the data-latency figures of
:mod:`constellation.imaging` take.  Build one from

* a CSV file (:func:`read_stations`): a header naming ``lat`` and ``lon`` columns (also ``latitude`` /
  ``lat_deg`` ...), optionally ``name``, ``height_m`` and ``min_elevation_deg``; lines starting with ``#``
  are comments;
* arrays (:func:`network`), a point grid (:func:`constellation.grid.points`), one site as text
  ``"LAT,LON[,HEIGHT_M]"`` or a tuple, or a list of such sites (:func:`as_network` takes them all);
* the shipped network of the five receiving stations of the China Remote Sensing Satellite Ground Station
  (:func:`china_network`; provenance in ``constellation/data/README.md``).

A station's mask is the elevation (degrees above the plane normal to the WGS84 ellipsoid at the station)
above which it can receive; stations without one take the ``min_elevation_deg`` given to the reader.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from .grid import Grid, points
from .sites import parse_site

__all__ = ["StationNetwork", "network", "read_stations", "as_network", "china_network",
           "DEFAULT_MIN_ELEVATION_DEG", "CHINA_NETWORK_FILE"]

#: The mask of stations that do not state their own (degrees).
DEFAULT_MIN_ELEVATION_DEG = 5.0

#: The shipped network file (five RSGS receiving stations; see ``constellation/data/README.md``).
CHINA_NETWORK_FILE = Path(__file__).resolve().parent / "data" / "ground_stations_china.csv"


@dataclass(frozen=True, eq=False)
class StationNetwork:
    """Ground stations: names, WGS84 geodetic positions and per-station elevation masks.

    Attributes
    ----------
    names : str array (n,)
        Unique station names.
    lat_deg, lon_deg : float64 (n,)
        WGS84 geodetic latitude and longitude (degrees north, east).
    height_m : float64 (n,)
        Height above the WGS84 ellipsoid (metres).
    min_elevation_deg : float64 (n,)
        Each station's elevation mask (degrees).
    description : str
        Where the network came from.
    """

    names: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    height_m: np.ndarray
    min_elevation_deg: np.ndarray
    description: str = ""

    def __len__(self) -> int:
        return int(self.names.size)

    def _key(self) -> tuple:
        return (tuple(str(n) for n in self.names),
                *(np.asarray(getattr(self, a), dtype=np.float64).tobytes()
                  for a in ("lat_deg", "lon_deg", "height_m", "min_elevation_deg")))

    def __eq__(self, other: object) -> bool:
        """Networks are equal when they hold the same stations, in the same order, at the same positions
        with the same masks (bit for bit); the description is not compared."""
        if not isinstance(other, StationNetwork):
            return NotImplemented
        return self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def as_grid(self, index: Sequence[int] | np.ndarray | None = None) -> Grid:
        """The stations (or those at ``index``) as a point grid (:func:`constellation.grid.points`)."""
        sel = slice(None) if index is None else np.asarray(index, dtype=np.int64)
        return points(self.lat_deg[sel], self.lon_deg[sel], self.names[sel], self.height_m[sel])

    def select(self, names: Sequence[str]) -> StationNetwork:
        """The stations named in ``names``, in that order; an unknown name is a ``ValueError``."""
        pos = {n: i for i, n in enumerate(self.names)}
        missing = [n for n in names if n not in pos]
        if missing:
            raise ValueError(f"stations: no station named {missing} (have {list(self.names)})")
        idx = np.array([pos[n] for n in names], dtype=np.int64)
        return StationNetwork(self.names[idx], self.lat_deg[idx], self.lon_deg[idx], self.height_m[idx],
                              self.min_elevation_deg[idx], self.description)

    def to_frame(self):
        """The network as a pandas DataFrame (one row per station)."""
        import pandas as pd

        return pd.DataFrame({"name": self.names.astype(object), "lat_deg": self.lat_deg,
                             "lon_deg": self.lon_deg, "height_m": self.height_m,
                             "min_elevation_deg": self.min_elevation_deg})


def network(lat_deg: Any, lon_deg: Any, names: Sequence[str] | None = None, height_m: Any = 0.0,
            min_elevation_deg: Any = DEFAULT_MIN_ELEVATION_DEG, description: str = "") -> StationNetwork:
    """A network from arrays: WGS84 degrees, metres above the ellipsoid, masks in degrees (scalars
    broadcast).  Names default to ``station0``, ``station1`` ...; they must be unique.  Latitudes outside
    [-90, 90], longitudes outside [-360, 360], masks outside [-90, 90) or non-finite values are a
    ``ValueError`` naming the station."""
    lat = np.atleast_1d(np.asarray(lat_deg, dtype=float))
    n = lat.size
    try:
        lon = np.broadcast_to(np.asarray(lon_deg, dtype=float), lat.shape).copy()
        h = np.broadcast_to(np.asarray(height_m, dtype=float), lat.shape).copy()
        mask = np.broadcast_to(np.asarray(min_elevation_deg, dtype=float), lat.shape).copy()
    except ValueError:
        raise ValueError(f"stations: lon_deg, height_m and min_elevation_deg must be scalars or have "
                         f"{n} values like lat_deg") from None
    nm = np.array([f"station{i}" for i in range(n)] if names is None else [str(s) for s in names], dtype=str)
    if nm.size != n:
        raise ValueError(f"stations: got {nm.size} names for {n} stations")
    if n == 0:
        raise ValueError("stations: the network has no stations")
    seen: set[str] = set()
    for i in range(n):
        label = f"station {nm[i]!r}"
        if nm[i] in seen:
            raise ValueError(f"{label}: the name appears twice; station names must be unique")
        seen.add(nm[i])
        vals = (lat[i], lon[i], h[i], mask[i])
        if not all(math.isfinite(v) for v in vals):
            raise ValueError(f"{label}: latitude, longitude, height and mask must be finite, got {vals}")
        if not -90.0 <= lat[i] <= 90.0:
            raise ValueError(f"{label}: latitude {lat[i]} is outside [-90, 90] degrees")
        if not -360.0 <= lon[i] <= 360.0:
            raise ValueError(f"{label}: longitude {lon[i]} is outside [-360, 360] degrees")
        if not -90.0 <= mask[i] < 90.0:
            raise ValueError(f"{label}: min_elevation_deg {mask[i]} is outside [-90, 90) degrees")
    return StationNetwork(nm, lat, lon, h, mask, description or f"{n} stations")


_LAT = ("lat_deg", "lat", "latitude")
_LON = ("lon_deg", "lon", "longitude")
_NAME = ("name", "station", "site")
_HEIGHT = ("height_m", "alt_m", "height", "altitude_m")
_MASK = ("min_elevation_deg", "min_elevation", "mask_deg", "elevation_mask_deg")


def read_stations(path: str | Path, min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG) -> StationNetwork:
    """Read a network from a CSV file.

    The header names the columns (case-insensitive): latitude ``lat_deg`` / ``lat`` / ``latitude`` and
    longitude ``lon_deg`` / ``lon`` / ``longitude`` (WGS84 degrees) are required; ``name`` (or
    ``station``, ``site``), ``height_m`` (or ``alt_m``, ``height``; metres above the ellipsoid, default 0)
    and ``min_elevation_deg`` (or ``mask_deg``; degrees) are optional.  A station with an empty mask cell,
    or a file without the column, gets ``min_elevation_deg``.  Lines starting with ``#`` and blank lines
    are skipped.  A missing column or unreadable number is a ``ValueError`` naming the file and line.
    """
    from .checks import read_text_file

    text = read_text_file(path, "stations file", "a CSV file with a header and one line per station")
    path = Path(path)
    numbered = [(i, ln) for i, ln in enumerate(text.splitlines(), start=1)
                if ln.strip() and not ln.lstrip().startswith("#")]
    if len(numbered) < 2:
        raise ValueError(f"{path}: no stations found (expected a header line and one line per station)")
    rows = list(csv.reader(io.StringIO("\n".join(ln for _, ln in numbered))))
    header = [c.strip().lower() for c in rows[0]]

    def col(names, required=False):
        for n in names:
            if n in header:
                return header.index(n)
        if required:
            raise ValueError(f"{path}:{numbered[0][0]}: the header must name a {names[0]} column "
                             f"(or {', '.join(names[1:])}), found {rows[0]}")
        return None

    clat, clon = col(_LAT, True), col(_LON, True)
    cname, ch, cmask = col(_NAME), col(_HEIGHT), col(_MASK)
    lat, lon, h, mask, names = [], [], [], [], []
    for (lineno, _), r in zip(numbered[1:], rows[1:]):
        def cell(k, r=r):
            return r[k].strip() if k is not None and k < len(r) else ""
        try:
            lat.append(float(cell(clat)))
            lon.append(float(cell(clon)))
            h.append(float(cell(ch)) if cell(ch) else 0.0)
            mask.append(float(cell(cmask)) if cell(cmask) else float(min_elevation_deg))
        except ValueError:
            raise ValueError(f"{path}:{lineno}: cannot read a number from {r}") from None
        names.append(cell(cname) or f"station{len(names)}")
    try:
        return network(lat, lon, names, h, mask, description=f"{len(lat)} stations from {path.name}")
    except ValueError as exc:
        raise ValueError(f"{path}: {exc}") from None


def china_network() -> StationNetwork:
    """The five receiving stations of the China Remote Sensing Satellite Ground Station (Miyun, Kashi,
    Sanya, Lijiang, Mohe) with 5-degree masks, shipped with the package (approximate positions; see
    ``constellation/data/README.md``)."""
    return read_stations(CHINA_NETWORK_FILE)


def as_network(stations: Any, min_elevation_deg: float = DEFAULT_MIN_ELEVATION_DEG) -> StationNetwork:
    """Any description of ground stations -> :class:`StationNetwork`.

    Accepts a :class:`StationNetwork` (returned as is), a point :class:`~constellation.grid.Grid`, a CSV
    file path (a ``Path``, or a ``str`` ending in ``.csv`` or naming an existing file), one site
    (``"LAT,LON[,HEIGHT_M]"`` or a ``(lat, lon[, height_m])`` tuple) or a list of sites.  Stations that
    carry no mask get ``min_elevation_deg``.
    """
    if isinstance(stations, StationNetwork):
        return stations
    if isinstance(stations, Grid):
        if stations.kind != "points":
            raise ValueError(f"stations must be a point grid (constellation.grid.points), got a "
                             f"{stations.kind} grid of {stations.n_cells} cells")
        return network(stations.lat_deg, stations.lon_deg, stations.names, stations.height_m,
                       min_elevation_deg, description=stations.description)
    if isinstance(stations, Path) or (isinstance(stations, str) and (stations.lower().endswith(".csv")
                                                                     or Path(stations).is_file())):
        return read_stations(stations, min_elevation_deg)
    if isinstance(stations, str) or (isinstance(stations, Sequence) and stations
                                     and not isinstance(stations[0], (str, Sequence, np.ndarray))):
        sites = [stations]
    elif isinstance(stations, (Sequence, np.ndarray)):
        sites = list(stations)
    else:
        raise ValueError(f"stations: expected a StationNetwork, a point grid, a CSV file or sites, got "
                         f"{type(stations).__name__}")
    if not sites:
        raise ValueError("stations: the network has no stations")
    parsed = [parse_site(s, "stations") for s in sites]
    lat, lon, h = (np.array(v, dtype=float) for v in zip(*parsed))
    names = [f"{a:g},{b:g}" for a, b, _ in parsed]
    return network(lat, lon, names, h, min_elevation_deg)
