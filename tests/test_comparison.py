"""Compare: per-cell differences and the summary table, against direct computation on the two results."""

from __future__ import annotations

import numpy as np
import pytest

import constellation as C
from constellation import regions as R
from constellation.comparison import compare, summary


@pytest.fixture(scope="module")
def pair():
    sats = C.design.walker_delta(12, 3, 1, 55.0, 1200.0, "2026-01-01")
    times = C.time_range("2026-01-01", duration="3h", step_s=60)
    g = R.region_grid("Germany", 1.0)
    some = sats.select(mask=np.arange(len(sats)) % 2 == 0)
    return C.coverage(some, times, g), C.coverage(sats, times, g)


def test_summary_is_the_area_weighted_mean(pair):
    a, _ = pair
    w = a["cell_area_km2"].values
    s = summary(a)
    assert s["coverage_fraction"] == pytest.approx(float((a["coverage_fraction"].values * w).sum() / w.sum()),
                                                   rel=1e-12)
    assert s["area_km2"] == pytest.approx(R.area_km2("Germany"), rel=1e-9)
    assert s["coverage_fraction_worst"] == a["coverage_fraction"].values.min()


def test_compare_differences_and_directions(pair):
    a, b = pair
    cmp = compare(a, b)
    np.testing.assert_array_equal(cmp.diff["coverage_fraction"].values,
                                  b["coverage_fraction"].values - a["coverage_fraction"].values)
    t = cmp.table
    assert t.loc["coverage_fraction", "mean_diff"] == pytest.approx(
        summary(b)["coverage_fraction"] - summary(a)["coverage_fraction"], abs=1e-15)
    # B holds every satellite of A: coverage can only grow, never shrink
    assert t.loc["coverage_fraction", "worsened"] == 0.0 and t.loc["coverage_fraction", "improved"] > 0
    # the access count has no better direction (fewer may mean accesses that merged into longer ones)
    assert t.loc["access_count", "mean_diff"] != 0.0
    assert np.isnan(t.loc["access_count", "improved"]) and np.isnan(t.loc["access_count", "worsened"])
    same = compare(a, a)
    assert (same.table[["improved", "worsened"]].fillna(0).values == 0).all()
    assert np.nanmax(np.abs(same.diff["revisit_max_s"].values)) == 0


def test_compare_refuses_different_grids_and_the_cli_draws_the_map(pair, tmp_path, capsys):
    from constellation.cli import main
    from constellation.io import write_dataset

    a, b = pair
    other = C.coverage(C.design.walker_delta(6, 3, 1, 55.0, 1200.0, "2026-01-01"),
                       C.time_range("2026-01-01", duration="30m", step_s=60), R.region_grid("France", 1.0))
    with pytest.raises(ValueError, match="same grid"):
        compare(a, other)
    pa, pb, po = tmp_path / "a.nc", tmp_path / "b.nc", tmp_path / "o.nc"
    write_dataset(a, pa)
    write_dataset(b, pb)
    write_dataset(other, po)
    png = tmp_path / "d.png"
    assert main(["compare", str(pa), str(pb), "-o", str(png), "--diff", str(tmp_path / "d.nc")]) == 0
    out = capsys.readouterr().out
    assert "coverage_fraction" in out and png.stat().st_size > 10_000 and png.read_bytes()[:4] == b"\x89PNG"
    assert main(["compare", str(pa), str(po)]) == 2
    assert "same grid" in capsys.readouterr().err
