"""``constellation track``: table, summary, site look angles, selection, NetCDF output, errors."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import data_file

from constellation.cli import main


def test_default_plan_prints_table_and_summary(capsys):
    assert main(["track", "--at", "2026-01-01T06:00:00Z", "--limit", "3"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[:7] == ["name", "catalog", "group", "launched", "lat", "lon", "alt_km"]
    assert len(out) == 1 + 3 + 1 + 1  # header, rows, "... more", summary
    assert "365 more" in out[4]
    assert out[-1].startswith("368 satellites (eo 120, comm 216, nav 32;") and "2026-01-01T06:00:00Z" in out[-1]
    lat, lon, alt = (float(x) for x in out[1].split()[4:7])
    assert -90 <= lat <= 90 and -180 < lon <= 180 and 300 < alt < 1500


def test_site_group_and_launched_selection(capsys):
    assert main(["track", "--at", "2026-01-01T06:00Z", "--site", "36.67,117.02,50", "--group", "eo",
                 "--launched", "--limit", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0].split()[-3:] == ["az", "el", "range_km"]
    rows = out[1:-1]
    assert rows and all(r.split()[2] == "eo" and r.split()[3] == "yes" for r in rows)
    assert "above the horizon of (36.67, 117.02, 50 m)" in out[-1]
    el = np.array([float(r.split()[8]) for r in rows])
    n_up = int(out[-1].split(" above the horizon")[0].split()[-1])
    assert n_up == int((el > 0).sum())


def test_element_file_argument(capsys):
    path = data_file("celestrak_stations_2020-06-25.tle")
    assert main(["track", str(path), "--at", "2020-06-25T12:00Z", "--limit", "2"]) == 0
    out = capsys.readouterr().out
    assert "ISS (ZARYA)" in out and "71 satellites" in out
    assert "71 satellites at 2020-06-25T12:00:00Z;" in out  # no groups, all launched: nothing to count


def test_output_writes_window(tmp_path, capsys):
    import xarray as xr

    path = tmp_path / "positions.nc"
    assert main(["track", "--at", "2026-01-01", "--output", str(path), "--duration", "1h", "--step", "10m",
                 "--limit", "1"]) == 0
    assert "wrote 368 satellites x 7 times" in capsys.readouterr().out
    with xr.open_dataset(path) as ds:
        assert ds.sizes["satellite"] == 368 and ds.sizes["time"] == 7
        assert np.isfinite(ds.lat_deg.values).all()
    assert [p.name for p in tmp_path.iterdir()] == ["positions.nc"]  # no temporary left behind


@pytest.mark.parametrize("argv,match", [
    (["--site", "95,0"], "latitude 95.0"),
    (["--site", "a,b"], "expected LAT,LON"),
    (["--at", "soon"], "cannot read time"),
    (["--group", "nope"], "no satellites in group"),
    (["--limit", "-1"], "--limit"),
    (["/no/such/file.tle"], ""),
])
def test_bad_input_exits_2_with_one_line(argv, match, capsys):
    assert main(["track", *argv]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("constellation track: error:") and match in err[0]
