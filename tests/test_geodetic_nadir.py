"""Nadir cones about the geodetic nadir (``nadir="geodetic"``): the ellipsoid normal at the sub-satellite
point against exact constructions and Skyfield, the axis deflection bound the row pruning relies on,
counts against an independent numpy brute force at 1 s steps, refined edges against a bisection on
Skyfield, the expected size of the difference from the geocentric cone, and the default left as it was."""

from __future__ import annotations

import math

import numpy as np
import pytest
from edge_compare import edge_errors
from edge_oracle import geodetic_normal
from helpers import START, assert_bit_identical, make_sat, random_sats

from constellation import time_range
from constellation.api import Requirement, coverage, coverage_counts
from constellation.cli import main
from constellation.grid import global_grid, points, region
from constellation.kernels import bruteforce
from constellation.kernels.visibility import GEODETIC_AXIS_BOUND_DEG, geodetic_up
from constellation.propagation import itrs_chunks
from constellation.satellite import Constellation

A_KM = 6378.137
E2 = (1.0 / 298.257223563) * (2.0 - 1.0 / 298.257223563)
HEIGHTS_KM = (200.0, 550.0, 1200.0, 2000.0, 8000.0, 20200.0, 35786.0, 100000.0)  # LEO to beyond GEO


def _from_geodetic(lat_rad, lon_rad, h_km):
    """ITRS km of points at geodetic latitude/longitude and height (the textbook forward formula), and
    the unit normal that defines them."""
    sl, cl = np.sin(lat_rad), np.cos(lat_rad)
    n = A_KM / np.sqrt(1.0 - E2 * sl * sl)
    p = np.stack([(n + h_km) * cl * np.cos(lon_rad), (n + h_km) * cl * np.sin(lon_rad), (n * (1 - E2) + h_km) * sl])
    u = np.stack([cl * np.cos(lon_rad), cl * np.sin(lon_rad), sl])
    return p, u


def _kernel_up(p):
    return np.array([geodetic_up(*p[:, k]) for k in range(p.shape[1])]).T


def _angle(a, b):
    """Angle (rad) between unit vectors (3, n), robust for tiny angles."""
    return 2.0 * np.arcsin(np.clip(0.5 * np.linalg.norm(a - b, axis=0), 0.0, 1.0))


def test_geodetic_up_against_the_defining_normal_and_skyfield():
    """The kernels' geodetic nadir axis (Bowring's formula, one update) against (1) the normal that
    defines points built from geodetic coordinates, at 8 heights from 200 km to 100,000 km and 2,000
    latitudes each (poles and +-89.999 deg included), (2) the classic fixed-point iteration run to
    convergence, and (3) Skyfield's ``wgs84.latlon_of``: within 1e-12 rad of (1) and (2) (measured:
    rounding, a few 1e-16), and within 1e-9 rad of Skyfield."""
    from skyfield.api import load, wgs84
    from skyfield.toposlib import ITRSPosition
    from skyfield.units import Distance

    rng = np.random.default_rng(17)
    worst = 0.0
    for h in HEIGHTS_KM:
        lat = np.concatenate([np.radians([90.0, -90.0, 89.999, -89.999, 45.0, 0.0]),
                              np.arcsin(rng.uniform(-1, 1, 1994))])
        lon = rng.uniform(-math.pi, math.pi, lat.size)
        p, u = _from_geodetic(lat, lon, h)
        got = _kernel_up(p)
        worst = max(worst, float(_angle(got, u).max()), float(_angle(got, geodetic_normal(p)).max()))
    assert worst <= 1e-12, worst
    ts = load.timescale(builtin=True)
    t = ts.utc(2026, 1, 1)
    lat = np.radians(rng.uniform(-89.9, 89.9, 200))
    lon = rng.uniform(-math.pi, math.pi, 200)
    h = rng.choice(HEIGHTS_KM, 200)
    p, _ = _from_geodetic(lat, lon, h)
    got = _kernel_up(p)
    sky = wgs84.latlon_of(ITRSPosition(Distance(km=p)).at(t))[0].radians
    assert np.abs(np.arcsin(np.clip(got[2], -1, 1)) - sky).max() <= 1e-9


def test_axis_deflection_is_within_the_pruning_bound():
    """The angle at the satellite between the geocentric and the geodetic nadir is at most the largest
    difference between geodetic and geocentric latitude on the ellipsoid's surface (0.1924 deg, at 45
    deg: the bound derived at ``GEODETIC_AXIS_BOUND_DEG``), below that constant, and it is reached at
    the surface: checked on 181 latitudes x 9 heights from 0 to 100,000 km."""
    lat = np.radians(np.linspace(-90.0, 90.0, 181))
    worst = {}
    for h in (0.0,) + HEIGHTS_KM:
        p, u = _from_geodetic(lat, np.zeros_like(lat), h)
        worst[h] = float(np.degrees(_angle(p / np.linalg.norm(p, axis=0), u)).max())
    assert 0.1923 < worst[0.0] < 0.1925, worst[0.0]
    assert max(worst.values()) == worst[0.0] and worst[0.0] < GEODETIC_AXIS_BOUND_DEG
    assert all(worst[a] >= worst[b] for a, b in zip((0.0,) + HEIGHTS_KM, HEIGHTS_KM))  # shrinks with height


def _numpy_counts(sats, times, grid, mask_deg, half_deg):
    """Independent brute force: satellites serving each cell at each sample, with the geodetic nadir from
    :func:`edge_oracle.geodetic_normal` (its own latitude iteration) - every satellite, every cell."""
    P, U = grid.itrs_km(), grid.up()
    s_el, c_h = math.sin(math.radians(mask_deg)), math.cos(math.radians(half_deg))
    out = np.zeros((times.size, grid.n_cells), np.int64)
    for sl, r, _ in itrs_chunks(sats, times):
        for k in range(r.shape[1]):
            S = r[:, k, :]
            N = geodetic_normal(S.T).T
            d = S[:, None, :] - P[None, :, :]
            rd = np.linalg.norm(d, axis=2)
            vis = (d * U[None]).sum(2) >= s_el * rd
            vis &= (d * N[:, None, :]).sum(2) >= c_h * rd
            out[sl.start + k] = vis.sum(0)
    return out


SITES = points([0.0, 23.5, 45.0, -45.0, 60.0, 81.0, -84.0, 89.5], [0.0, 100.0, -60.0, 150.0, 20.0, -120.0, 60.0, 0.0])


@pytest.mark.parametrize("mask, half", [(0.0, 10.0), (10.0, 35.0), (-5.0, 60.0)])
def test_counts_at_1_s_equal_numpy_brute_force_and_the_engine_oracle(mask, half):
    """Satellites serving each of 8 sites (0 to 89.5 deg, both hemispheres) at every 1 s sample over
    90 min, LEO and polar: the engine with ``nadir="geodetic"`` equals the independent numpy brute force
    sample for sample, and the engine's brute-force oracle (``kernels/bruteforce.py``) gives the same
    per-site totals; the geodetic and geocentric cones differ somewhere (the option does something)."""
    sats = random_sats(41, ("leo", "polar"), n_each=3)
    times = time_range(START, duration="90m", step_s=1)
    got = coverage_counts(sats, times, SITES, min_elevation_deg=mask, half_angle_deg=half, positions="exact",
                          nadir="geodetic")
    want = _numpy_counts(sats, times, SITES, mask, half)
    assert np.array_equal(got, want), np.argwhere(got != want)[:5]
    assert want.sum() > 0 and (want[:, SITES.lat_deg > 80].sum() > 0)
    state = bruteforce.BruteForceState(SITES.itrs_km(), SITES.up(), mask, half, 1, nadir="geodetic")
    for _, r, _ in itrs_chunks(sats, times):
        bruteforce.accumulate(state, r)
    np.testing.assert_array_equal(state.n_sum, want.sum(0))
    np.testing.assert_array_equal(state.covered_steps, (want > 0).sum(0))
    np.testing.assert_array_equal(state.n_max, want.max(0))
    geoc = coverage_counts(sats, times, SITES, min_elevation_deg=mask, half_angle_deg=half, positions="exact")
    assert (geoc != got).any()


@pytest.mark.parametrize("name, kinds, make_grid, mask, half, step", [
    ("global_mask0", ("leo", "geo"), lambda: global_grid(4.0), 0.0, 30.0, 300),
    ("fine_high_mask_narrow", ("leo",), lambda: global_grid(1.0), 20.0, 8.0, 120),
    ("polar_region", ("polar",), lambda: region((70, 90), (-180, 179), 1.0), 5.0, 45.0, 180),
])
def test_grid_counts_equal_numpy_brute_force(name, kinds, make_grid, mask, half, step):
    """On grids the geodetic cone takes the cap scan with the widened cap: every cell of every row equals
    the numpy brute force (a cap too small would lose cells at the footprint's edge)."""
    sats = random_sats(abs(hash(name)) % 2 ** 32, kinds, n_each=3)
    times = time_range(START, duration="2h", step_s=step)
    grid = make_grid()
    got = coverage_counts(sats, times, grid, min_elevation_deg=mask, half_angle_deg=half, positions="exact",
                          nadir="geodetic")
    want = _numpy_counts(sats, times, grid, mask, half)
    assert np.array_equal(got, want), np.argwhere(got != want)[:5]
    assert want.sum() > 0


EDGE_SATS = Constellation([make_sat(1, 6378.137 + 600.0, 0.001, 97.6, 30.0, 0.0, 0.0),
                           make_sat(2, 6378.137 + 550.0, 0.001, 53.0, 200.0, 0.0, 90.0)])
EDGE_SITES = [(85.0, 10.0, 0.0), (45.0, -100.0, 0.0), (36.65, 117.0, 0.0), (-50.0, 30.0, 0.0)]


def test_refined_geodetic_cone_edges_within_0p1_s_of_bisection_on_skyfield():
    """Each edge the engine refines at 60 s steps (SGP4 at the samples) lies within 0.1 s of the true
    crossing: Skyfield positions, the geodetic nadir from ``edge_oracle.geodetic_normal``, scanned every
    2 s and bisected to 1 ms (sites at 85, 45, 36.65 and -50 deg; a polar and a 53 deg LEO; a 45 deg cone
    above a 0 deg mask).  Measured: 8 edges, 2.2 ms at most."""
    start = np.datetime64(START.rstrip("Z"), "ns")
    errs, unseen = edge_errors(EDGE_SATS, EDGE_SITES, start, 8 * 3600.0, 60.0, scan_s=2.0, nadir="geodetic",
                               min_elevation_deg=0.0, half_angle_deg=45.0)
    assert errs.size >= 6, (errs.size, unseen)
    assert np.abs(errs).max() <= 0.1, np.abs(errs).max()


def test_poleward_footprint_edge_moves_by_the_axis_deflection():
    """At 46 deg N and S, near the poleward edge of a 45 deg-inclined 500 km shell's 20 deg cones, the
    geodetic cone covers less than the geocentric one: its axis is turned equatorward by the deflection
    ``delta`` (0.178 deg there), which moves the cone's poleward ground edge equatorward by
    ``(d lambda / d eta) delta`` of central angle (``lambda = asin(r sin(eta) / R) - eta``).  The geodetic
    coverage time equals the geocentric one at the site moved poleward by that much, within 10 % of the
    difference (measured: geocentric 787.6 s and 836.5 s, geodetic 16.2 s and 15.0 s less, the moved
    sites within 0.1 % and 2.3 % of that difference)."""
    sats = Constellation([make_sat(i + 1, 6378.137 + 500.0, 0.0005, 45.0, 60.0 * i, 0.0, 60.0 * i) for i in range(6)])
    times = time_range("2026-01-01T00:00:00Z", duration="3d", step_s=20)
    half = math.radians(20.0)
    lat = np.array([46.0, -46.0])
    req = dict(min_elevation_deg=0.0, half_angle_deg=20.0)
    geoc = coverage(sats, times, points(lat, [10.0, 10.0]), **req)["coverage_time_s"].values
    geod = coverage(sats, times, points(lat, [10.0, 10.0]), nadir="geodetic", **req)["coverage_time_s"].values
    assert np.all(geod < geoc - 5.0), (geod, geoc)
    # the expected shift: satellite at the latitude the cone's poleward edge reaches 46 deg from
    r_km, big_r = 6378.137 + 500.0, 6367.5
    lam = math.asin(r_km / big_r * math.sin(half)) - half
    dlam_deta = r_km / big_r * math.cos(half) / math.sqrt(1.0 - (r_km / big_r * math.sin(half)) ** 2) - 1.0
    p, u = _from_geodetic(np.radians([46.0 - math.degrees(lam)]), np.zeros(1), 500.0)
    delta = float(_angle(p / np.linalg.norm(p, axis=0), u)[0])
    shift_deg = math.degrees(dlam_deta * delta)
    assert 0.015 < shift_deg < 0.018, shift_deg
    moved = coverage(sats, times, points(lat + np.sign(lat) * shift_deg, [10.0, 10.0]), **req)["coverage_time_s"].values
    assert np.all(np.abs(moved - geod) <= 0.1 * np.abs(geoc - geod)), (moved, geod, geoc)


def test_default_is_geocentric_and_bit_identical():
    """``nadir="geocentric"`` is the default and gives the same Dataset bit for bit (the ``nadir``
    attribute says which); without a cone the nadir changes nothing; the attribute and the per-service
    requirement text name a geodetic nadir."""
    sats = random_sats(8, ("leo", "meo"), n_each=3, group_of={"leo": "eo", "meo": "nav"})
    times = time_range(START, duration="3h", step_s=120)
    grid = global_grid(10.0)
    ref = coverage(sats, times, grid, min_elevation_deg=5.0, half_angle_deg=40.0)
    assert ref.attrs["nadir"] == "geocentric"
    assert_bit_identical(coverage(sats, times, grid, min_elevation_deg=5.0, half_angle_deg=40.0, nadir="geocentric"),
                         ref, ignore_attrs=("history",))
    plain = coverage(sats, times, grid, min_elevation_deg=5.0)
    assert_bit_identical(coverage(sats, times, grid, min_elevation_deg=5.0, nadir="geodetic"), plain,
                         ignore_attrs=("history", "nadir"))
    geod = coverage(sats, times, grid, min_elevation_deg=5.0, half_angle_deg=40.0, nadir="geodetic")
    assert geod.attrs["nadir"] == "geodetic"
    reqs = {"eo": Requirement(5.0, 40.0, nadir="geodetic"), "nav": Requirement(5.0)}
    multi = coverage(sats, times, grid, requirements=reqs)
    assert "eo: min_elevation_deg=5, half_angle_deg=40, min_sats=1, nadir=geodetic" in multi.attrs["requirements"]
    np.testing.assert_array_equal(multi["coverage_time_s"].sel(service="eo").values,
                                  coverage(sats.select(group="eo"), times, grid, min_elevation_deg=5.0,
                                           half_angle_deg=40.0, nadir="geodetic")["coverage_time_s"].values)


def test_nadir_is_checked(capsys, tmp_path):
    with pytest.raises(ValueError, match="nadir must be one of 'geocentric', 'geodetic', got 'geodesic'"):
        Requirement(half_angle_deg=30.0, nadir="geodesic")
    sats = random_sats(1, ("leo",), n_each=1)
    times = time_range(START, duration="1h", step_s=600)
    with pytest.raises(ValueError, match="nadir must be one of"):
        coverage(sats, times, points([0], [0]), half_angle_deg=30.0, nadir="down")
    with pytest.raises(ValueError, match="nadir in each Requirement"):
        coverage(sats, times, points([0], [0]), requirements={"leo": Requirement()}, nadir="geodetic")
    for args, message in ((["--nadir", "down"], "invalid choice: 'down'"),
                          (["--per-group", "--requirement", "eo:nadir=down"], "nadir='down' is not geocentric or")):
        with pytest.raises(SystemExit) if "invalid" in message else _NoRaise() as exc:
            code = main(["coverage", *args, "--duration", "1h", "-o", str(tmp_path / "x.nc")])
        if exc is not None:
            code = exc.value.code
        err = capsys.readouterr().err
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


def test_cli_nadir_option_and_requirement_key(tmp_path):
    import argparse

    from constellation import design, io
    from constellation.cli import coverage as cli_cov

    def args(*argv):
        return cli_cov.register(argparse.ArgumentParser().add_subparsers()).parse_args(list(argv))

    plan = design.jinan368()
    reqs = cli_cov._requirements(args("--per-group", "--nadir", "geodetic"), plan)
    assert {r.nadir for r in reqs.values()} == {"geodetic"}
    reqs = cli_cov._requirements(args("--per-group", "--requirement", "eo:nadir=Geodetic"), plan)
    assert reqs["eo"].nadir == "geodetic" and reqs["comm"].nadir == "geocentric"
    out = tmp_path / "g.nc"
    code = main(["coverage", "--group", "eo", "--half-angle", "30", "--nadir", "geodetic", "--duration", "1h",
                 "--step", "300s", "--grid-deg", "20", "-q", "-o", str(out)])
    assert code == 0 and io.read_dataset(out).attrs["nadir"] == "geodetic"


class _NoRaise:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False


def test_widened_cap_contains_every_geodetic_cone_footprint():
    """The row-pruning cap of a geodetic-nadir cone (``sat_geometry``: the geocentric cone's cap with the
    half-angle widened by ``GEODETIC_AXIS_BOUND_DEG``) contains every point of the ellipsoid inside the
    cone and above the mask: rays on the cone's edge (360 azimuths) from 300 satellite positions, 300 km
    to GEO, all latitudes, half-angles 5 to 60 deg, intersected with the WGS84 ellipsoid; the cap is
    computed for the smallest radius of those points (a grid of just that footprint).  Without the
    widening some edge points fall outside the cap, so the widening is needed."""
    from constellation.kernels.sweep import satellite_tables
    from constellation.kernels.visibility import CONE_GEODETIC, GEO_CAP, sat_geometry

    rng = np.random.default_rng(3)
    b_km = A_KM * (1.0 - 1.0 / 298.257223563)
    n = 300
    p, _ = _from_geodetic(np.arcsin(rng.uniform(-1, 1, n)), rng.uniform(-math.pi, math.pi, n),
                          np.exp(rng.uniform(math.log(300.0), math.log(35786.0), n)))
    mask = math.radians(10.0)
    w = np.array([1.0 / A_KM, 1.0 / A_KM, 1.0 / b_km])[:, None]  # the ellipsoid: sum((x w)^2) = 1
    az = np.linspace(0.0, 2.0 * math.pi, 360, endpoint=False)
    beyond = {CONE_GEODETIC: -1.0, 1: -1.0}
    for k in range(n):
        s = p[:, k]
        half = math.radians(rng.uniform(5.0, 60.0))
        ax = -np.array(geodetic_up(*s))
        e1 = np.cross(ax, [0.0, 0.0, 1.0] if abs(ax[2]) < 0.9 else [1.0, 0.0, 0.0])
        e1 /= np.linalg.norm(e1)
        e2 = np.cross(ax, e1)
        ray = math.cos(half) * ax[:, None] + math.sin(half) * (np.cos(az) * e1[:, None] + np.sin(az) * e2[:, None])
        qa = ((ray * w) ** 2).sum(0)
        qb = 2.0 * ((s[:, None] * w) * (ray * w)).sum(0)
        qc = ((s * w[:, 0]) ** 2).sum() - 1.0
        disc = qb * qb - 4.0 * qa * qc
        hit = disc >= 0.0
        pts = s[:, None] + (-qb[hit] - np.sqrt(disc[hit])) / (2.0 * qa[hit]) * ray[:, hit]
        d = s[:, None] - pts
        pts = pts[:, (geodetic_normal(pts) * d).sum(0) >= math.sin(mask) * np.linalg.norm(d, axis=0)]
        if not pts.shape[1]:
            continue
        r = np.linalg.norm(pts, axis=0)
        central = _angle(pts / r, (s / np.linalg.norm(s))[:, None])
        for cone in beyond:
            sats_f, sats_i = satellite_tables(np.zeros(1, np.int64), math.sin(mask), np.full(1, cone), math.cos(half))
            cap = sat_geometry(np.ascontiguousarray(s[None, None]), sats_f, sats_i, float(r.min()),
                               parallel=False)[0, 0, GEO_CAP]
            beyond[cone] = max(beyond[cone], float((central - cap).max()))
    assert beyond[CONE_GEODETIC] < 0.0, beyond
    assert beyond[1] > 0.0, beyond
