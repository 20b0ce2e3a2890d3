"""Helpers shared by the test modules: where the reference files are, and one bit-for-bit Dataset check.

Imported as ``from helpers import ...``: pytest puts ``tests/`` on ``sys.path`` (rootdir-relative
"prepend" import mode; ``tests/`` has a ``conftest.py`` and no ``__init__.py``).  Fixtures live in
``conftest.py``.

Every file a test reads is in the repository or in an installed dependency, never beside the checkout:

* ``tests/data/``: CelesTrak snapshots and OMM samples, provenance in ``tests/data/README.md``;
* ``constellation.tle_data/samples/``: the GNSS and Iridium snapshots the package ships
  (``tle_data/README.md``);
* the ``sgp4`` package: Vallado's verification vectors ``SGP4-VER.TLE`` and ``tcppver.out``.
"""

from __future__ import annotations

import contextlib
import math
import os
from importlib.resources import files
from pathlib import Path

import numpy as np
from sgp4.api import WGS72, Satrec

from constellation.propagation import itrs_chunks
from constellation.satellite import Constellation, Satellite

DATA = Path(__file__).resolve().parent / "data"


def _existing(path: Path) -> Path:
    assert path.is_file(), f"test data file {path} is missing"
    return path


def data_file(name: str) -> Path:
    """A file of ``tests/data``."""
    return _existing(DATA / name)


def sample_file(name: str) -> Path:
    """One of the real snapshots shipped in the package, ``constellation.tle_data/samples/<name>``."""
    return _existing(Path(str(files("constellation.tle_data") / "samples" / name)))


def sgp4_file(name: str) -> Path:
    """A data file of the installed python-sgp4 (``SGP4-VER.TLE``, ``tcppver.out``)."""
    return _existing(Path(str(files("sgp4") / name)))


def assert_bit_identical(a, b, *, ignore_attrs=("history",)) -> None:
    """``a`` and ``b`` (xarray Datasets) hold the same thing bit for bit.

    Same variables and coordinates with the same names, dims, dtypes and attributes (xarray's
    ``assert_identical``), every float, complex and time value equal bit for bit (so ``-0.0`` differs
    from ``0.0`` and NaN payloads count), and the same Dataset attributes except those named in
    ``ignore_attrs`` (``history`` carries a time stamp).
    """
    import xarray as xr

    def strip(ds):
        ds = ds.copy(deep=False)
        ds.attrs = {k: v for k, v in ds.attrs.items() if k not in ignore_attrs}
        return ds

    xr.testing.assert_identical(strip(a), strip(b))
    for name in a.variables:
        x, y = np.asarray(a[name].values), np.asarray(b[name].values)
        assert x.dtype == y.dtype, (name, x.dtype, y.dtype)
        if x.dtype.kind in "fcmM":
            bits = f"u{x.dtype.itemsize}" if x.dtype.kind != "c" else f"u{x.dtype.itemsize // 2}"
            assert np.array_equal(x.view(bits), y.view(bits)), name


# --- synthetic satellites and the brute-force coverage oracle (tests/test_coverage_*.py) -------------------

MU_KM3_S2 = 398600.8  # WGS72, as SGP4 uses
EPOCH_1949 = 27760.0  # 2026-01-01T00:00 UTC in days from 1949-12-31 00:00 UTC (sgp4init epoch)
START = "2026-01-01T00:00:00Z"


def make_sat(num, a_km, ecc, inc_deg, raan_deg, argp_deg, ma_deg, group=""):
    n_rad_min = math.sqrt(MU_KM3_S2 / a_km ** 3) * 60.0
    s = Satrec()
    s.sgp4init(WGS72, "i", num, EPOCH_1949, 0.0, 0.0, 0.0, ecc, math.radians(argp_deg), math.radians(inc_deg),
               math.radians(ma_deg), n_rad_min, math.radians(raan_deg))
    return Satellite(s, name=f"S{num}", group=group)


def random_sats(seed, kinds, n_each=3, group_of=None):
    rng = np.random.default_rng(seed)
    sats, num = [], 1
    for kind in kinds:
        for _ in range(n_each):
            raan, ma = rng.uniform(0, 360, 2)
            if kind == "leo":
                el = (6378.137 + rng.uniform(350, 1500), rng.uniform(0, 0.01), rng.uniform(0, 180),
                      rng.uniform(0, 360))
            elif kind == "polar":
                el = (6378.137 + rng.uniform(400, 1200), rng.uniform(0, 0.01), rng.uniform(80, 100),
                      rng.uniform(0, 360))
            elif kind == "meo":
                el = (rng.uniform(20000, 30000), rng.uniform(0, 0.05), rng.uniform(40, 70), rng.uniform(0, 360))
            elif kind == "geo":
                el = (42164.0, rng.uniform(0, 0.001), rng.uniform(0, 3), rng.uniform(0, 360))
            elif kind == "molniya":
                el = (26600.0, 0.72, 63.4, 270.0)
            else:
                raise ValueError(kind)
            a, e, i, w = el
            sats.append(make_sat(num, a, e, i, raan, w, ma, group=(group_of or {}).get(kind, kind)))
            num += 1
    return Constellation(sats, name="random")


def oracle_counts(sats, times, grid, min_elevation_deg=10.0, half_angle_deg=None, group=None):
    """Brute force: satellites serving each cell at each step, int (n_t, n_cell)."""
    P, U = grid.itrs_km(), grid.up()
    s_el = math.sin(math.radians(min_elevation_deg))
    out = np.zeros((times.size, grid.n_cells), np.int64)
    keep = np.ones(len(sats), bool) if group is None else (sats.groups.astype(str) == group)
    for sl, r, _ in itrs_chunks(sats, times):
        for k in range(r.shape[1]):
            S = r[keep, k, :]
            d0 = S[:, None, 0] - P[None, :, 0]
            d1 = S[:, None, 1] - P[None, :, 1]
            d2 = S[:, None, 2] - P[None, :, 2]
            du = d0 * U[None, :, 0] + d1 * U[None, :, 1] + d2 * U[None, :, 2]
            rd = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
            vis = du >= s_el * rd
            if half_angle_deg is not None:
                c = math.cos(math.radians(half_angle_deg))
                sd = S[:, None, 0] * d0 + S[:, None, 1] * d1 + S[:, None, 2] * d2
                rs = np.sqrt(S[:, 0] * S[:, 0] + S[:, 1] * S[:, 1] + S[:, 2] * S[:, 2])[:, None]
                vis &= sd >= c * rs * rd
            out[sl.start + k] = vis.sum(axis=0)
    return out


@contextlib.contextmanager
def memory_limit(limit: str):
    """Within the block the package refuses every request above ``limit`` (``CONSTELLATION_MEMORY_LIMIT``)."""
    old = os.environ.get("CONSTELLATION_MEMORY_LIMIT")
    os.environ["CONSTELLATION_MEMORY_LIMIT"] = limit
    try:
        yield
    finally:
        if old is None:
            del os.environ["CONSTELLATION_MEMORY_LIMIT"]
        else:
            os.environ["CONSTELLATION_MEMORY_LIMIT"] = old
