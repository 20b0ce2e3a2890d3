"""``constellation coverage`` with gateways (bent pipe): ``--gateways``, ``--gateway-min-elevation``, the
``gateways=`` key of ``--requirement``, the comm group of ``--per-group``, the summary and one-line
errors; the result equals the API's."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from constellation import design, io, time_range
from constellation.api import coverage
from constellation.cli import coverage as cli_cov
from constellation.cli import main
from constellation.grid import global_grid
from constellation.stations import read_stations

TINY = ["--duration", "2h", "--step", "120s", "--grid-deg", "15"]


@pytest.fixture
def gateways_csv(tmp_path):
    path = tmp_path / "gateways.csv"
    path.write_text("name,lat,lon,min_elevation_deg\nJinan,36.65,117.0,\nKashi,39.5,76.0,5\n")
    return path


def test_gateways_run_equals_the_api_and_says_so(tmp_path, gateways_csv, capsys):
    out_path = tmp_path / "bp.nc"
    code = main(["coverage", "--group", "comm", "--gateways", str(gateways_csv), "--gateway-min-elevation", "15",
                 *TINY, "-o", str(out_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert "bent pipe: served only while the satellite sees one of 2 gateways" in out
    ds = io.read_dataset(out_path)
    net = read_stations(gateways_csv, 15.0)
    assert list(net.min_elevation_deg) == [15.0, 5.0]  # the file's own mask kept, the option fills the gap
    want = coverage(design.jinan368().select(group="comm"), time_range("2026-01-01", duration="2h", step_s=120),
                    global_grid(15.0), gateways=net)
    np.testing.assert_array_equal(ds.coverage_time_s.values, want.coverage_time_s.values)
    np.testing.assert_array_equal(ds.revisit_max_s.values, want.revisit_max_s.values)
    assert ds.attrs["gateways"].startswith("Jinan (36.6500, 117.0000, mask 15 deg)")


def _args(*argv):
    return cli_cov.register(argparse.ArgumentParser().add_subparsers()).parse_args(list(argv))


def test_per_group_gateways_go_to_the_comm_group(gateways_csv):
    plan = design.jinan368()
    reqs = cli_cov._requirements(_args("--per-group"), plan)
    assert not any(r.gateway_limited for r in reqs.values())  # no default gateways
    reqs = cli_cov._requirements(_args("--per-group", "--gateways", str(gateways_csv)), plan)
    assert reqs["comm"].gateway_limited and list(reqs["comm"].gateways.names) == ["Jinan", "Kashi"]
    assert not reqs["eo"].gateway_limited and not reqs["nav"].gateway_limited
    reqs = cli_cov._requirements(_args("--per-group", "--requirement", f"nav:gateways={gateways_csv},gw_elev=20",
                                       "--requirement", "comm:elev=5"), plan)
    assert list(reqs["nav"].gateways.min_elevation_deg) == [20.0, 5.0] and not reqs["comm"].gateway_limited
    reqs = cli_cov._requirements(_args("--per-group", "--gateways", "china", "--requirement", "comm:gateways=none"),
                                 plan)
    assert not reqs["comm"].gateway_limited
    reqs = cli_cov._requirements(_args("--per-group", "--gateways", "china"), plan)
    assert len(reqs["comm"].gateways) == 5


@pytest.mark.parametrize("argv, message", [
    (["--gateways", "no_such.csv"], "--gateways: no stations file 'no_such.csv'"),
    (["--gateway-min-elevation", "5"], "--gateway-min-elevation needs --gateways"),
    (["--gateways", "china", "--gateway-min-elevation", "95"], "--gateway-min-elevation must lie in [-90, 90)"),
    (["--per-group", "--requirement", "comm:gw_elev=5"], "gw_elev= needs gateways="),
    (["--per-group", "--requirement", "comm:gw_elev=abc"], "is not an elevation in [-90, 90) degrees"),
])
def test_bad_gateway_options_exit_2_with_one_line(argv, message, tmp_path, capsys):
    code = main(["coverage", *argv, *TINY, "-o", str(tmp_path / "x.nc")])
    err = capsys.readouterr().err
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err
