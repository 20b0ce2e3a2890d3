"""Ground grids: where coverage is evaluated.

Every grid is a set of WGS84 geodetic points (cell centres) arranged in **rows of equal latitude with
uniform longitude spacing**.  That one layout serves all kinds: a regular global or regional grid, an
equal-area grid (longitude spacing stretched by 1/cos(lat) per row) and explicit sites (each a row of one
cell).  The coverage kernels rasterise a satellite's footprint row by row onto it.

* :func:`global_grid` - regular latitude/longitude cell centres over the globe (dims ``lat``, ``lon``).
* :func:`region` - a regular box, also across the antimeridian (``lon=(170, -170)``).
* :func:`equal_area` - rows of latitude, longitude spacing stretched for near-equal cell areas (dim ``cell``).
* :func:`points` / :func:`points_from_csv` - named sites, optionally at height (dim ``cell``).

Cell areas are exact for the WGS84 ellipsoid: the area between geodetic latitudes phi1 < phi2 over a
longitude span dlon is ``dlon * b^2 / 2 * (q(phi2) - q(phi1))`` with
``q(phi) = sin(phi) / (1 - e^2 sin^2 phi) + ln((1 + e sin phi) / (1 - e sin phi)) / (2 e)``
(Snyder, "Map Projections - A Working Manual", USGS PP 1395, 1987, eq. 3-12 and 3-13).
"""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .budget import check_fits
from .checks import finite_array, number, read_text_file
from .kernels.frames import WGS84_A_KM, WGS84_E2, itrs_from_geodetic

__all__ = ["Grid", "global_grid", "region", "equal_area", "points", "points_from_csv"]

_E = np.sqrt(WGS84_E2)
_B_KM = WGS84_A_KM * np.sqrt(1.0 - WGS84_E2)


def _q(lat_deg: np.ndarray) -> np.ndarray:
    s = np.sin(np.radians(lat_deg))
    return s / (1.0 - WGS84_E2 * s * s) + np.log((1.0 + _E * s) / (1.0 - _E * s)) / (2.0 * _E)


def zone_area_km2(lat1_deg, lat2_deg, dlon_deg) -> np.ndarray:
    """Area (km^2) on the WGS84 ellipsoid between two geodetic latitudes over a longitude span."""
    return np.abs(np.radians(dlon_deg) * _B_KM ** 2 / 2.0 * (_q(lat2_deg) - _q(lat1_deg)))


@dataclass(frozen=True)
class Grid:
    """Cell centres in latitude rows, with the metadata the kernels and the output need.

    Attributes
    ----------
    kind : str
        ``"regular"`` (dims ``lat``, ``lon``), ``"equal_area"``, ``"points"`` or ``"region"`` (the cells of a
        regular raster inside a region, :func:`constellation.regions.region_grid`) (dim ``cell``).
    lat_deg, lon_deg : float64 (n_cell,)
        WGS84 geodetic latitude and longitude (degrees, longitude in [-180, 180)) of each cell centre,
        row by row, west to east within a row.
    height_m : float64 (n_cell,)
        Height above the ellipsoid of each point (0 for ground grids).
    area_km2 : float64 (n_cell,)
        Cell area on the ellipsoid (NaN for point grids, whose statistics are unweighted).
    row_start, row_count : int64 (n_row,)
        Cells of row ``k`` are ``row_start[k] : row_start[k] + row_count[k]``.
    row_lat_deg, row_lon0_deg, row_dlon_deg : float64 (n_row,)
        Row latitude, longitude of its first cell (may exceed 180 for rows across the antimeridian; the
        kernels wrap), and longitude spacing (0 for single-point rows).
    row_full_circle : bool (n_row,)
        Whether the row wraps the whole globe (cell ``count`` is next to cell 0).
    lat, lon : float64 arrays
        For ``regular`` grids, the 1-D coordinate values (``shape == (len(lat), len(lon))``).
    names : str array (n_cell,) or None
        Site names for point grids.
    res_deg : float
        Nominal resolution (NaN for points).
    """

    kind: str
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    height_m: np.ndarray
    area_km2: np.ndarray
    row_start: np.ndarray
    row_count: np.ndarray
    row_lat_deg: np.ndarray
    row_lon0_deg: np.ndarray
    row_dlon_deg: np.ndarray
    row_full_circle: np.ndarray
    lat: np.ndarray | None = None
    lon: np.ndarray | None = None
    names: np.ndarray | None = None
    res_deg: float = float("nan")
    description: str = ""
    _cache: dict = field(default_factory=dict, repr=False, compare=False)

    @property
    def n_cells(self) -> int:
        return int(self.lat_deg.size)

    @property
    def shape(self) -> tuple[int, ...]:
        """Output shape: ``(n_lat, n_lon)`` for regular grids, ``(n_cell,)`` otherwise."""
        if self.kind == "regular":
            return (self.lat.size, self.lon.size)
        return (self.n_cells,)

    @property
    def dims(self) -> tuple[str, ...]:
        return ("lat", "lon") if self.kind == "regular" else ("cell",)

    def itrs_km(self) -> np.ndarray:
        """ITRS positions (km) of the cells, shape ``(n_cell, 3)`` (computed once)."""
        if "itrs" not in self._cache:
            self._cache["itrs"] = itrs_from_geodetic(self.lat_deg, self.lon_deg, self.height_m / 1000.0)
        return self._cache["itrs"]

    def up(self) -> np.ndarray:
        """Unit ellipsoid normals (local vertical) of the cells in ITRS, shape ``(n_cell, 3)``."""
        if "up" not in self._cache:
            la, lo = np.radians(self.lat_deg), np.radians(self.lon_deg)
            self._cache["up"] = np.stack([np.cos(la) * np.cos(lo), np.cos(la) * np.sin(lo), np.sin(la)], -1)
        return self._cache["up"]

    def coords(self) -> dict:
        """The grid's latitude and longitude as xarray coordinates with their CF attributes (degrees):
        ``lat``/``lon`` dimensions for a regular grid, along ``cell`` otherwise."""
        lat_attrs = dict(units="degrees_north", standard_name="latitude", long_name="latitude", axis="Y")
        lon_attrs = dict(units="degrees_east", standard_name="longitude", long_name="longitude", axis="X")
        if self.kind == "regular":
            return {"lat": ("lat", np.asarray(self.lat, float), lat_attrs),
                    "lon": ("lon", np.asarray(self.lon, float), lon_attrs)}
        return {"lat": ("cell", np.asarray(self.lat_deg, float), lat_attrs),
                "lon": ("cell", np.asarray(self.lon_deg, float), lon_attrs)}

    def weights(self) -> np.ndarray:
        """Weights for spatial statistics: cell areas, or ones for point grids."""
        return np.ones(self.n_cells) if self.kind == "points" else self.area_km2

    def __repr__(self) -> str:
        return f"<Grid {self.kind} {self.description} {self.n_cells} cells>"


#: Bytes a grid holds per cell while it is built (coordinates, heights, areas and their temporaries).
GRID_BYTES_PER_CELL = 96


def _check_grid_size(n_cells: float, what: str) -> None:
    check_fits(n_cells * GRID_BYTES_PER_CELL, f"{what} of {n_cells:,.0f} cells",
               "use a coarser resolution (res_deg) or a smaller region")


def _wrap_lon(lon: np.ndarray) -> np.ndarray:
    return (np.asarray(lon, dtype=float) + 180.0) % 360.0 - 180.0


def _rows_grid(kind: str, row_lat: np.ndarray, row_lon0: np.ndarray, row_dlon: np.ndarray,
               row_count: np.ndarray, row_full: np.ndarray, row_dlat: np.ndarray, **extra) -> Grid:
    row_count = row_count.astype(np.int64)
    row_start = np.concatenate([[0], np.cumsum(row_count)[:-1]]).astype(np.int64)
    lat = np.repeat(row_lat, row_count)
    lon = np.concatenate([r0 + d * np.arange(n) for r0, d, n in zip(row_lon0, row_dlon, row_count)]) \
        if row_count.size else np.zeros(0)
    row_area = zone_area_km2(np.clip(row_lat - row_dlat / 2, -90, 90), np.clip(row_lat + row_dlat / 2, -90, 90),
                             row_dlon)
    area = np.repeat(row_area, row_count)
    return Grid(kind=kind, lat_deg=lat, lon_deg=_wrap_lon(lon), height_m=np.zeros(lat.size), area_km2=area,
                row_start=row_start, row_count=row_count, row_lat_deg=row_lat.astype(float),
                row_lon0_deg=row_lon0.astype(float), row_dlon_deg=row_dlon.astype(float),
                row_full_circle=row_full.astype(bool), **extra)


def _two(value, name: str):
    try:
        a, b = value
    except (TypeError, ValueError):
        raise ValueError(f"{name} must be a pair of degrees, got {value!r}") from None
    return a, b


def global_grid(res_deg: float = 1.0) -> Grid:
    """Regular global grid of cell centres every ``res_deg`` degrees (default 1 degree: 180 x 360 cells).

    Cells are centred at ``-90 + res/2, ...`` in latitude and ``-180 + res/2, ...`` in longitude, so no cell
    sits on a pole and the grid tiles the sphere exactly; ``180 / res_deg`` must be a whole number.
    """
    res_deg = number(res_deg, "res_deg", low=0.0, high=180.0, low_open=True)
    n_lat = 180.0 / res_deg
    _check_grid_size(n_lat * (360.0 / res_deg), f"a global grid at {res_deg:g} deg")
    if abs(n_lat - round(n_lat)) > 1e-9:
        raise ValueError(f"res_deg must divide 180 evenly, got {res_deg}")
    n_lat, n_lon = int(round(n_lat)), int(round(360.0 / res_deg))
    lat = -90.0 + res_deg * (np.arange(n_lat) + 0.5)
    lon = -180.0 + res_deg * (np.arange(n_lon) + 0.5)
    return _rows_grid("regular", lat, np.full(n_lat, lon[0]), np.full(n_lat, res_deg), np.full(n_lat, n_lon),
                      np.ones(n_lat, bool), np.full(n_lat, res_deg), lat=lat, lon=lon, res_deg=float(res_deg),
                      description=f"global {res_deg:g} deg")


def region(lat: tuple[float, float], lon: tuple[float, float], res_deg: float = 1.0) -> Grid:
    """Regular grid over a latitude/longitude box, cell centres every ``res_deg`` degrees.

    ``lat=(south, north)``, ``lon=(west, east)`` in degrees.  When ``west > east`` the box crosses the
    antimeridian (``lon=(170, -170)`` is 20 degrees wide); output longitudes stay in [-180, 180).
    """
    s, n = (number(v, "region latitude", low=-90, high=90) for v in _two(lat, "region latitude (south, north)"))
    w, e = (number(v, "region longitude", low=-180, high=180) for v in _two(lon, "region longitude (west, east)"))
    if not (-90 <= s < n <= 90):
        raise ValueError(f"region latitude must satisfy -90 <= south < north <= 90, got {lat}")
    if not (-180 <= w <= 180 and -180 <= e <= 180) or w == e:
        raise ValueError(f"region longitude must be two different values in [-180, 180], got {lon}")
    res_deg = number(res_deg, "res_deg", low=0.0, high=180.0, low_open=True)
    width = (e - w) % 360.0
    if width == 0.0:  # (-180, 180): the whole circle
        width = 360.0
    _check_grid_size(max(1.0, (n - s) / res_deg) * max(1.0, width / res_deg), f"a region grid at {res_deg:g} deg")
    n_lat = max(1, int(round((n - s) / res_deg)))
    n_lon = max(1, int(round(width / res_deg)))
    dlat, dlon = (n - s) / n_lat, width / n_lon
    lats = s + dlat * (np.arange(n_lat) + 0.5)
    lon0 = w + dlon / 2
    lons = _wrap_lon(lon0 + dlon * np.arange(n_lon))
    full = abs(width - 360.0) < 1e-9
    return _rows_grid("regular", lats, np.full(n_lat, lon0), np.full(n_lat, dlon), np.full(n_lat, n_lon),
                      np.full(n_lat, full), np.full(n_lat, dlat), lat=lats, lon=lons, res_deg=float(res_deg),
                      description=f"region lat {s:g}..{n:g} lon {w:g}..{e:g}, {res_deg:g} deg")


def equal_area(res_deg: float = 1.0) -> Grid:
    """Near-equal-area global grid: latitude rows every ``res_deg``, each with ``round(360 cos(lat) /
    res_deg)`` cells (at least one), for unbiased global statistics (dim ``cell``)."""
    res_deg = number(res_deg, "res_deg", low=0.0, high=180.0, low_open=True)
    _check_grid_size((180.0 / res_deg) * (180.0 / res_deg) * 4 / np.pi, f"an equal-area grid at {res_deg:g} deg")
    n_lat = int(round(180.0 / res_deg))
    lat = -90.0 + res_deg * (np.arange(n_lat) + 0.5)
    counts = np.maximum(1, np.round(360.0 * np.cos(np.radians(lat)) / res_deg)).astype(np.int64)
    dlon = 360.0 / counts
    return _rows_grid("equal_area", lat, -180.0 + dlon / 2, dlon, counts, np.ones(n_lat, bool),
                      np.full(n_lat, res_deg), res_deg=float(res_deg),
                      description=f"equal-area {res_deg:g} deg")


def points(lat: Sequence[float] | float, lon: Sequence[float] | float, names: Sequence[str] | None = None,
           height_m: Sequence[float] | float = 0.0) -> Grid:
    """Explicit sites (cities, ground stations): WGS84 geodetic degrees and height above the ellipsoid (m).

    Each site is a row of one cell, so the kernels treat it like any other grid.
    """
    la = finite_array(lat, "site latitude (lat)", low=-90, high=90).ravel()
    lo = _wrap_lon(finite_array(lon, "site longitude (lon)").ravel())
    if la.shape != lo.shape:
        raise ValueError(f"lat and lon must have the same length, got {la.size} and {lo.size}")
    hs = finite_array(height_m, "site height_m", low=-12_000.0, high=1e9)
    if hs.size not in (1, la.size):
        raise ValueError(f"height_m must be one number or one per site, got {hs.size} for {la.size} sites")
    h = np.broadcast_to(hs if hs.size > 1 else hs[0], la.shape).copy()
    n = la.size
    nm = np.array(list(names) if names is not None else [f"site{i}" for i in range(n)], dtype=str)
    if nm.size != n:
        raise ValueError(f"got {nm.size} names for {n} sites")
    return Grid(kind="points", lat_deg=la, lon_deg=lo, height_m=h, area_km2=np.full(n, np.nan),
                row_start=np.arange(n, dtype=np.int64), row_count=np.ones(n, np.int64), row_lat_deg=la.copy(),
                row_lon0_deg=lo.copy(), row_dlon_deg=np.zeros(n), row_full_circle=np.zeros(n, bool),
                names=nm, description=f"{n} sites")


def points_from_csv(path: str | Path, *, what: str = "sites file") -> Grid:
    """Sites from a CSV file with a header naming ``lat`` and ``lon`` columns (also ``latitude`` /
    ``longitude``), and optionally ``name`` and ``height_m``.  ``what`` names the file in errors (a missing
    file, a folder, bytes that are not UTF-8 text)."""
    import io

    text = read_text_file(path, what, "a CSV file with lat and lon columns")
    path = Path(path)
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    if not rows:
        raise ValueError(f"{path}: no sites found")
    cols = {c.strip().lower(): c for c in rows[0]}

    def col(*names):
        for n in names:
            if n in cols:
                return cols[n]
        return None

    clat, clon = col("lat", "latitude", "lat_deg"), col("lon", "longitude", "lon_deg")
    if clat is None or clon is None:
        raise ValueError(f"{path}: header must name lat and lon columns, found {list(rows[0])}")
    cname, ch = col("name", "site"), col("height_m", "height", "alt_m")
    lats, lons, names, hs = [], [], [], []
    for i, r in enumerate(rows, start=2):
        try:
            lats.append(float(r[clat]))
            lons.append(float(r[clon]))
            hs.append(float(r[ch]) if ch and r[ch] not in (None, "") else 0.0)
        except (TypeError, ValueError):
            raise ValueError(f"{path}:{i}: cannot read a number from {r!r}") from None
        names.append(r[cname] if cname else f"site{i - 2}")
    return points(lats, lons, names, hs)
