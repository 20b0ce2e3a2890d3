"""Inputs checked at the public boundary: each bad value raises the exact error type with a message that
names the argument; the command line prints one line and exits 2; requests that cannot fit in memory are
refused before any work, with the estimate and what would fit; terminal output escapes control
characters; passes and info stay short; stale elements are warned about."""

from __future__ import annotations

import numpy as np
import pytest

import constellation as C
from constellation.budget import WorkTooLargeError, available_bytes, check_fits, format_bytes
from constellation.checks import sanitize
from constellation.cli import main

NAN, INF = float("nan"), float("inf")


@pytest.fixture(scope="module")
def launched():
    return C.jinan368().select(launched=True)


@pytest.fixture(scope="module")
def times():
    return C.time_range("2026-01-01", duration="10m", step_s=60)


@pytest.mark.parametrize("call, exc, words", [
    (lambda: C.grid.global_grid(0), ValueError, "res_deg must be > 0"),
    (lambda: C.grid.global_grid(NAN), ValueError, "res_deg must be a finite number"),
    (lambda: C.grid.global_grid("1"), TypeError, "res_deg must be a number"),
    (lambda: C.grid.equal_area(0), ValueError, "res_deg must be > 0"),
    (lambda: C.grid.equal_area(-1), ValueError, "res_deg must be > 0"),
    (lambda: C.grid.region((NAN, 10), (0, 10)), ValueError, "region latitude must be a finite number"),
    (lambda: C.grid.region((0, 10), (0, INF)), ValueError, "region longitude must be a finite number"),
    (lambda: C.grid.region((0, 10), (0, 10), res_deg=0), ValueError, "res_deg must be > 0"),
    (lambda: C.grid.region(5, (0, 10)), ValueError, "region latitude (south, north) must be a pair"),
    (lambda: C.grid.points([NAN], [0.0]), ValueError, "site latitude (lat) must be finite numbers"),
    (lambda: C.grid.points([0.0], [INF]), ValueError, "site longitude (lon) must be finite numbers"),
    (lambda: C.grid.points([0.0], [0.0], height_m=NAN), ValueError, "site height_m must be finite"),
    (lambda: C.time_range("2026-01-01", duration="1h", step_s=INF), ValueError, "step_s: duration must be a finite"),
    (lambda: C.time_range("2026-01-01", duration="1h", step_s=NAN), ValueError, "step_s: duration must be a finite"),
    (lambda: C.time_range("2026-01-01", duration=INF), ValueError, "duration: duration must be a finite"),
    (lambda: C.time_range("2026-01-01", duration="1e400s"), ValueError, "not a finite number of seconds"),
    (lambda: C.time_range("2026-01-01", duration=1e30), ValueError, "is longer than the 2**63 - 1 ns"),
    (lambda: C.time_range("2026-01-01", duration="1h", step_s=1e-12), ValueError, "step_s must be positive"),
    (lambda: C.time_range("2026-01-01", duration="1h", step_s=True), TypeError, "step_s: a duration must be"),
    (lambda: C.parse_duration(np.timedelta64("NaT")), ValueError, "NaT"),
    (lambda: C.io.write_dataset(None, "x.nc"), TypeError, "ds must be an xarray.Dataset"),
    (lambda: C.coverage(C.jinan368()[:2], C.time_range("2026-01-01", duration="10m", step_s=60),
                        C.grid.global_grid(30.0), chunk_steps=INF), ValueError, "chunk_steps must be a finite"),
    (lambda: C.coverage(C.jinan368()[:2], C.time_range("2026-01-01", duration="10m", step_s=60),
                        C.grid.global_grid(30.0), chunk_steps=2.5), ValueError, "chunk_steps must be a whole"),
    (lambda: C.coverage(C.jinan368()[:2], C.time_range("2026-01-01", duration="10m", step_s=60),
                        C.grid.global_grid(30.0), chunk_steps=0), ValueError, "chunk_steps must be >= 1"),
])
def test_bad_values_name_the_argument(call, exc, words):
    with pytest.raises(exc) as info:
        call()
    assert words in str(info.value)


def test_coverage_refuses_a_grid_that_is_not_a_grid(launched, times):
    with pytest.raises(TypeError, match=r"grid must be a constellation.grid.Grid .*got str 'global'"):
        C.coverage(launched, times, grid="global")


def test_passes_refuses_degenerate_sampling(launched):
    for bad in (0, -1, NAN, 1e9):
        with pytest.raises(ValueError, match="samples_per_orbit must be (>= 1 and <= 1000|a finite number)"):
            C.passes(launched, (36.65, 117.0), "2026-01-01", duration="1h", samples_per_orbit=bad)
    with pytest.raises(ValueError, match="tolerance_s must be"):
        C.passes(launched, (36.65, 117.0), "2026-01-01", duration="1h", tolerance_s=0)
    with pytest.raises(ValueError, match="duration: the window from .* ends outside the times"):
        C.passes(launched, (36.65, 117.0), "2026-01-01", duration=1e13)


def test_propagate_refuses_malformed_earth_orientation(launched, times):
    with pytest.raises(ValueError, match=r"polar_motion_arcsec \(xp, yp\) must be a pair"):
        C.propagate(launched, times, polar_motion_arcsec=(1,))
    with pytest.raises(ValueError, match="polar_motion_arcsec xp must be finite"):
        C.propagate(launched, times, polar_motion_arcsec=(NAN, 0.1))
    with pytest.raises(ValueError, match="dut1 must be one number or one per time"):
        C.propagate(launched, times, dut1=[0.1, 0.2])


def test_earth_orientation_values_unchanged_by_the_checks(launched, times):
    """Scalars and per-time arrays of dut1 and polar motion give the same positions (bit for bit)."""
    n = times.size
    a = C.propagate(launched, times, dut1=0.1, polar_motion_arcsec=(0.2, 0.3))
    b = C.propagate(launched, times, dut1=np.full(n, 0.1), polar_motion_arcsec=(np.full(n, 0.2), np.full(n, 0.3)))
    assert np.array_equal(a["x_km"].values, b["x_km"].values, equal_nan=True)


# --- bounded work -------------------------------------------------------------------------------------

def test_memory_limit_refuses_a_grid_before_building_it(monkeypatch):
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "1M")
    assert available_bytes() == 1 << 20
    with pytest.raises(WorkTooLargeError, match=r"a global grid at 0.1 deg of 6,480,000 cells needs about "
                                                r"593.3 MiB of memory, more than the 1.0 MiB available; "
                                                r"use a coarser resolution"):
        C.grid.global_grid(0.1)
    assert C.grid.global_grid(10.0).n_cells == 648           # 62 KB fits


def test_memory_limit_refuses_coverage_before_running(monkeypatch, launched, times):
    grid = C.grid.global_grid(10.0)
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "8M")
    with pytest.raises(WorkTooLargeError, match=r"coverage of 26 satellites over 648 cells at 11 times needs "
                                                r"about .* use a coarser grid, a region or fewer sites"):
        C.coverage(launched, times, grid)


def test_time_range_with_too_many_samples_is_refused():
    with pytest.raises(WorkTooLargeError, match=r"a time range of 86,400,000,000,001 samples needs about "
                                                r"628.6 TiB.*use a longer step_s or a shorter window"):
        C.time_range("2026-01-01", duration="1d", step_s=1e-9)


def test_budget_helpers():
    assert format_bytes(512) == "512 B" and format_bytes(1.5 * 2**30) == "1.5 GiB"
    check_fits(1, "one byte", "")                              # fits: no error
    with pytest.raises(WorkTooLargeError):
        check_fits(1 << 70, "a zettabyte", "less")


def test_bad_memory_limit_is_an_error(monkeypatch):
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "lots")
    with pytest.raises(ValueError, match="CONSTELLATION_MEMORY_LIMIT: expected bytes"):
        available_bytes()


def test_cli_refuses_a_grid_too_fine_in_one_line(capsys):
    assert main(["coverage", "--grid-deg", "0.001", "--duration", "1h", "-o", "never.nc"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "global grid at 0.001 deg of 64,800,000,000 cells needs about 5.7 TiB" in err[0]


# --- the command line ---------------------------------------------------------------------------------

def test_empty_group_is_refused(capsys):
    assert main(["track", "--at", "2026-01-01T06:00Z", "--group", ""]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "--group: expected one or more group names" in err[0]


def test_group_syntax_is_the_same_everywhere(capsys):
    outs = []
    for group in (["eo", "nav"], ["eo,nav"], ["eo", "--group", "nav"]):
        assert main(["track", "--at", "2026-01-01T06:00Z", "--limit", "0", "--group", *group]) == 0
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1] == outs[2]
    assert "152 satellites (eo 120, nav 32;" in outs[0]


ESC_NAME = "EVIL\x1b[31mRED\x1b[0m\x07"
TLE = ["1 00900U 64063C   25276.40506345  .00001381  00000+0  14054-2 0  9995",
       "2 00900  90.2161  65.8288 0024814 353.6290  59.3958 13.76225239 36103"]


def test_sanitize_escapes_control_characters():
    assert sanitize(ESC_NAME) == "EVIL\\x1b[31mRED\\x1b[0m\\x07"
    assert sanitize("A\u202eB\u0085C\x7f") == "A\\u202eB\\x85C\\x7f"        # bidi override, C1 NEL, DEL
    assert sanitize("JINAN-EO-001 北斗 é") == "JINAN-EO-001 北斗 é"          # printable text untouched


def test_names_with_escape_sequences_are_printed_escaped(tmp_path, capsys):
    path = tmp_path / "evil.tle"
    path.write_text("\n".join([ESC_NAME, *TLE]) + "\n")
    assert main(["track", str(path), "--at", "2025-10-03T12:00Z"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "EVIL\\x1b[31mRED\\x1b[0m\\x07" in out
    assert main(["passes", str(path), "--start", "2025-10-03T12:00Z", "--duration", "1d"]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "EVIL\\x1b[31mRED" in out


def test_stale_elements_warn_on_stderr(tmp_path, capsys):
    path = tmp_path / "old.tle"
    path.write_text("\n".join(["OLD", *TLE]) + "\n")
    assert main(["track", str(path), "--at", "2026-12-01T00:00Z"]) == 0
    err = capsys.readouterr().err
    assert ("warning: 1 of 1 element sets have epochs more than 14 days from the window (the farthest "
            "424 days)") in err
    assert main(["track", str(path), "--at", "2025-10-10T00:00Z"]) == 0          # 7 days: no warning
    assert "warning" not in capsys.readouterr().err


def test_passes_prints_a_summary_and_the_first_rows(capsys):
    assert main(["passes", "--duration", "6h", "--launched"]) == 0
    lines = capsys.readouterr().out.splitlines()
    n = int(lines[0].split()[0])
    assert n > 20
    assert len(lines) == 1 + 2 + 20 + 2                      # summary, header, 20 rows, "... more", per group
    assert lines[-2] == f"... {n - 20} more passes (use --all, --limit N or --csv FILE to see them)"
    assert main(["passes", "--duration", "6h", "--launched", "--all"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 1 + 2 + n + 1
    assert main(["passes", "--all", "--limit", "3"]) == 2


def test_info_shows_counts_after_a_short_list(tmp_path, capsys):
    path = tmp_path / "mostly_bad.tle"
    path.write_text("\n".join(["GOOD", *TLE] + [f"garbage line {i}" for i in range(500)]) + "\n")
    assert main(["info", "--no-strict", str(path)]) == 0
    out = capsys.readouterr().out.splitlines()
    skipped = [ln for ln in out if ln.strip().startswith("skipped:")]
    assert len(skipped) == 20
    assert out[-2] == "  ... 480 more records listed in the report (load(path, strict=False).report in Python)"
    assert out[-1].endswith("loaded 1 element sets, skipped 500 bad record(s), dropped 0 duplicate(s)")


def test_cli_error_line_escapes_file_content(tmp_path, capsys):
    path = tmp_path / "bad.tle"
    path.write_text("\n".join(["NAME", TLE[0][:10] + "\x1b[2J" + TLE[0][14:], TLE[1]]) + "\n")
    assert main(["track", str(path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "\x1b" not in err



def test_garbage_is_refused_from_its_first_lines():
    from constellation.elements import SNIFF_LINES, loads
    from constellation.errors import ElementSetError

    garbage = "\n".join(f"not an element set {i}" for i in range(SNIFF_LINES + 1)) + "\n"
    for strict in (True, False):
        with pytest.raises(ElementSetError, match=f"none of the first {SNIFF_LINES} lines is a TLE line 1 or 2"):
            loads(garbage + "\n".join(["GOOD", *TLE]) + "\n", strict=strict)
    # a good record among the first lines: every line is read, the bad ones reported
    with pytest.warns(C.elements.ElementSetWarning, match="loaded 1 element sets, skipped 1001 bad record"):
        sats = loads("\n".join(["GOOD", *TLE]) + "\n" + garbage, strict=False)
    assert len(sats) == 1


def test_deeply_nested_json_is_an_element_set_error():
    from constellation.errors import ElementSetError

    with pytest.raises(ElementSetError, match="JSON: found objects or lists nested too deeply to read"):
        C.elements.loads("[" * 100_000)


# --- xarray ergonomics ---------------------------------------------------------------------------------

def test_select_satellites_and_sites_by_name(launched, times, tmp_path):
    pos = C.propagate(launched, times)
    one = pos.sel(name="JINAN-EO-001")
    assert one["x_km"].dims == ("time",) and int(one["satellite"]) == 0
    assert np.array_equal(one["x_km"].values, pos["x_km"].isel(satellite=0).values)
    back = C.io.read_dataset(C.io.write_dataset(pos, tmp_path / "pos.nc"))
    assert "name" in back.xindexes and float(back.sel(name="JINAN-NAV-004")["alt_km"][0]) > 900
    sites = C.grid.points([36.65, 39.90], [117.0, 116.4], names=["Jinan", "Beijing"])
    cov = C.coverage(launched, times, sites)
    assert float(cov.sel(name="Beijing")["coverage_fraction"]) == float(cov["coverage_fraction"][1])


def test_cell_table_does_not_broadcast_over_time(launched, times):
    cov = C.coverage(launched, times, C.grid.global_grid(30.0))
    table = C.io.cell_table(cov)
    assert len(table) == 6 * 12 and "coverage_fraction" in table.columns
    assert "area_covered_fraction" not in table.columns
    assert len(cov.to_dataframe()) == 6 * 12 * times.size     # what xarray's own table does


def test_coverage_map_takes_a_data_array(launched, times):
    import matplotlib.pyplot as plt

    cov = C.coverage(launched, times, C.grid.global_grid(30.0))
    fig, ax = C.plot.coverage_map(cov["sats_in_view_max"])
    fig2, ax2 = C.plot.coverage_map(cov, "sats_in_view_max")
    assert ax.get_title().split("\n")[0] == ax2.get_title().split("\n")[0] != ""
    assert np.array_equal(ax.collections[0].get_array(), ax2.collections[0].get_array())
    with pytest.raises(TypeError, match="expected a coverage result"):
        C.plot.coverage_map([1, 2, 3])
    plt.close(fig)
    plt.close(fig2)


def test_unreadable_result_file_is_named(tmp_path, capsys):
    bad = tmp_path / "fake.nc"
    bad.write_text("not a NetCDF file\n")
    with pytest.raises(ValueError, match=r"fake.nc' is not a NetCDF-4 file: no HDF5 signature \(it starts with "
                                         r"b'not a Ne'\)"):
        C.io.read_dataset(bad)
    assert main(["plot", str(bad), "-o", str(tmp_path / "x.png")]) == 2
    assert "fake.nc' is not a NetCDF-4 file: no HDF5 signature" in capsys.readouterr().err


# --- maps and series ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def full_plan_cov():
    return C.coverage(C.jinan368(), C.time_range("2026-01-01", duration="2h", step_s=300), C.grid.global_grid(15.0))


def test_continuous_coverage_has_its_own_colour_and_legend(full_plan_cov):
    import matplotlib.pyplot as plt

    cov = full_plan_cov
    revisit, cf = cov["revisit_max_s"].values, cov["coverage_fraction"].values
    assert (np.isnan(revisit) & (cf == 1)).any() and np.isfinite(revisit).any()
    fig, ax = C.plot.coverage_map(cov, "revisit_max_s")
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["covered the whole window (no gap)"]
    (cbar,) = [a for a in fig.axes if a is not ax]
    label = cbar.get_xlabel() or cbar.get_ylabel()
    assert "grey" not in label                          # every NaN here is continuous coverage
    layer = ax.collections[1].get_array()               # the continuous-coverage layer: exactly those cells
    assert np.array_equal(~np.ma.getmaskarray(layer).reshape(cf.shape), np.isnan(revisit) & (cf == 1))
    plt.close(fig)


def test_area_series_axis_shows_the_variation(full_plan_cov):
    import matplotlib.pyplot as plt

    y = 100 * full_plan_cov["area_covered_fraction"].values
    fig, ax = C.plot.area_covered_series(full_plan_cov)
    lo, hi = ax.get_ylim()
    assert lo <= y.min() and hi >= y.max() and (hi - lo) < 100 and lo > 0
    plt.close(fig)


def test_positions_that_cannot_fit_are_refused(monkeypatch, launched):
    monkeypatch.setenv("CONSTELLATION_MEMORY_LIMIT", "1M")
    times = C.time_range("2026-01-01", duration="1d", step_s=60)
    with pytest.raises(WorkTooLargeError, match=r"positions of 26 satellites at 1,441 times needs about 4.6 MiB"):
        C.propagate(launched, times)


def test_a_write_the_disk_cannot_hold_is_refused_before_it_starts(monkeypatch, tmp_path, launched, times):
    import shutil
    from collections import namedtuple

    pos = C.propagate(launched, times)
    usage = namedtuple("usage", "total used free")
    monkeypatch.setattr(shutil, "disk_usage", lambda p: usage(10**9, 10**9 - 1000, 1000))
    with pytest.raises(OSError, match=r"cannot write '.*pos.nc': it needs up to .* \(uncompressed\) and 1000 B is "
                                      r"free there"):
        C.io.write_dataset(pos, tmp_path / "pos.nc")
    assert list(tmp_path.iterdir()) == []


def test_samples_far_apart_take_sgp4_at_each_sample_not_nodes_over_the_whole_span(launched):
    """Two samples centuries apart (the fuzz test's case): Hermite nodes over the span would be tens of
    millions of SGP4 steps and their matrices; the plan takes SGP4 at the two samples instead and says why.
    An ordinary run keeps its nodes."""
    from constellation.engine import make_plan

    far = np.array(["1740-10-20T08:00:01", "2026-01-01T00:00:06"], dtype="datetime64[ns]")
    grid = C.grid.points([43.6, -41.4], [0.0, 0.72])
    plan = make_plan(launched, far, grid)
    assert plan.positions == "exact" and plan.node_step_s == 0.0
    assert "far sparser than Hermite nodes" in plan.position_note
    ds = C.coverage(launched, far, grid)
    assert ds.attrs["positions"].startswith("SGP4 (python-sgp4) at every sample")
    assert np.isfinite(ds["coverage_fraction"].values).all()
    day = make_plan(launched, C.time_range("2026-01-01", duration="1d", step_s=3600), grid)
    assert day.positions == "hermite" and day.node_step_s > 0
