"""What the subcommands print after a run: figures that agree with each other (no 100 % beside a figure that
says otherwise), counts that say what they count."""

from __future__ import annotations

import numpy as np
import xarray as xr

from constellation.cli import main
from constellation.cli._common import percent
from constellation.cli.dop import summarize as dop_summary


def test_percent_never_rounds_to_0_or_100_unless_it_is():
    assert percent(1.0) == "100.0" and percent(0.0) == "0.0" and percent(0.5, 2) == "50.00"
    assert percent(0.9998) == ">99.9" and percent(0.99996, 2) == ">99.99"
    assert percent(2e-4) == "<0.1" and percent(4e-5, 2) == "<0.01"
    assert percent(1.0 - 1e-15) == "100.0" and percent(1e-15) == "0.0"  # float noise of a weighted mean
    assert percent(0.9994) == "99.9" and percent(float("nan")) == "nan"


def _dop_result(insufficient: float) -> xr.Dataset:
    # two equal cells: PDOP defined now and then in one, never in the other
    ones = np.ones((1, 2))
    return xr.Dataset(
        {"cell_area_km2": (("lat", "lon"), ones), "pdop_mean": (("lat", "lon"), [[400.0, np.nan]]),
         "pdop_max": (("lat", "lon"), [[4e4, np.nan]]),
         "pdop_below_threshold_fraction": (("lat", "lon"), [[0.0, 0.0]]),
         "insufficient_fraction": (("lat", "lon"), [[2 * insufficient - 1.0, 1.0]])},
        attrs={"pdop_threshold": 6.0, "n_satellites": 32, "min_elevation_deg": 5.0, "grid": "global 2 deg"})


def test_dop_summary_says_pdop_is_sometimes_defined():
    text = dop_summary(_dop_result(0.9998))
    assert "mean PDOP 400.00 (where defined)" in text
    assert "fewer than 4 satellites in view >99.9% of cell-time" in text  # was "100.0%"
    assert "fewer than 4 satellites in view 100.0%" in dop_summary(_dop_result(1.0))


def test_passes_counts_the_satellites_that_pass(capsys):
    # GPS over Jinan for 12 h: some of the 31 never rise above the mask; the file has no groups
    import re

    import constellation as C

    assert main(["passes", str(C.samples.path("gps")), "--start", "2022-02-04T00:00Z", "--duration", "12h",
                 "--limit", "1"]) == 0
    out = capsys.readouterr().out
    m = re.match(r"(\d+) passes by (\d+) of the 31 satellites \(", out)
    assert m and 0 < int(m[2]) < 31 <= int(m[1]) + 31, out.splitlines()[0]
    assert "per group" not in out
    assert main(["passes", "--duration", "12h", "--group", "nav", "--launched", "--limit", "0"]) == 0
    out = capsys.readouterr().out
    assert " passes by all 4 satellites (Jinan-368 plan)" in out.splitlines()[0]
    assert out.splitlines()[-1].startswith("per group: nav: ") and out.splitlines()[-1].endswith("by all 4 satellites")


def test_contacts_prints_the_first_20_like_passes(tmp_path, capsys):
    net = tmp_path / "net.csv"
    net.write_text("name,lat,lon\nZ\x1b[31mred,36.65,117.0\nA,40.0,116.4\n")
    assert main(["contacts", "--duration", "3h", "--stations", str(net)]) == 0
    lines = capsys.readouterr().out.splitlines()
    n = int(lines[0].split()[0])
    assert n > 20 and len(lines) == 2 + 2 + 20 + 2          # summary, stations, header, 20 rows, "... more", totals
    assert lines[-2] == f"... {n - 20} more contacts (use --all, --limit N or --csv FILE to see them)"
    assert "\x1b" not in "\n".join(lines) and "Z\\x1b[31mred (36.65" in lines[1]
    assert lines[-1].startswith("per station: Z\\x1b[31mred: ") and "; A: " in lines[-1]  # the network's order
    assert main(["contacts", "--duration", "3h", "--stations", str(net), "--all"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 2 + 2 + n + 1
    assert main(["contacts", "--all", "--limit", "3"]) == 2


def test_plot_draws_what_other_subcommands_write(tmp_path, capsys):
    # dop and bentpipe results have no coverage_fraction: plot maps their main figure without --fom;
    # track --output positions are drawn as ground tracks; --list columns stay aligned for long names
    import constellation as C
    from constellation.io import write_dataset

    grid = C.grid.global_grid(30.0)
    times = C.time_range("2026-01-01", duration="10m", step_s=300)
    nav = C.jinan368().select(group="nav")
    write_dataset(C.dop(nav, times, grid), tmp_path / "dop.nc")
    write_dataset(C.propagate(nav, times), tmp_path / "pos.nc")
    for name, drawn in (("dop.nc", "dop_pdop_mean.png"), ("pos.nc", "pos_tracks.png")):
        assert main(["plot", str(tmp_path / name), "--dpi", "30", "-o", str(tmp_path / drawn)]) == 0
        assert (tmp_path / drawn).read_bytes()[:4] == b"\x89PNG"
    assert main(["plot", "--tracks", str(tmp_path / "pos.nc"), "--dpi", "30", "-o", str(tmp_path / "t.png")]) == 0
    assert main(["plot", "--tracks", str(tmp_path / "dop.nc"), "-o", str(tmp_path / "u.png")]) == 2
    assert "--tracks draws an element file or the positions" in capsys.readouterr().err
    assert main(["plot", str(tmp_path / "dop.nc"), "--list"]) == 0
    rows = [r for r in capsys.readouterr().out.splitlines() if r]
    assert len({r.index(" 1 ") for r in rows if r.split()[1] == "1"}) == 1  # the units column lines up


def test_info_names_geostationary_shells(capsys):
    # equatorial orbits have no planes to count: 17 GEO satellites were listed as a 'Walker-like shell'
    from helpers import data_file

    assert main(["info", str(data_file("celestrak_active_2026-06-14_every20th.tle"))]) == 0
    out = capsys.readouterr().out
    assert "geostationary shell 3578" in out and "Walker-like shell 3578" not in out
    assert "shells (grouped by altitude to 25 km and inclination to 1 deg" in out


def test_warnings_are_one_line_each_and_a_decayed_satellite_is_named(tmp_path):
    # STARLINK-37673 of the shipped CelesTrak extract, 176 days past its epoch: decayed in SGP4 (python-sgp4
    # itself returns positions 1e8 km out there, with error code 0)
    import subprocess
    import sys
    from pathlib import Path

    src = Path(__file__).parent / "data" / "celestrak_active_2026-06-14_every20th.tle"
    lines = src.read_text().splitlines()
    at = next(i for i, s in enumerate(lines) if s.strip() == "STARLINK-37673")
    tle = tmp_path / "one.tle"
    tle.write_text("\n".join(lines[at:at + 3]) + "\n")
    res = subprocess.run([sys.executable, "-m", "constellation", "passes", str(tle), "--start", "2026-12-07T17:00",
                          "--duration", "1h"], capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr
    err = res.stderr.splitlines()
    assert err and all(s.startswith("warning: ") for s in err), res.stderr
    assert any("STARLINK-37673 (#69370) from 2026-12-07T17:00:00: error 6" in s for s in err), res.stderr
    assert "PropagationWarning" not in res.stderr
    assert res.stdout.startswith("No passes") or "0 passes" in res.stdout, res.stdout


def test_spans_read_in_minutes_hours_or_days_by_their_length():
    from constellation.cli._common import span_text

    assert span_text(3600.0) == "60.0 min" and span_text(7199.0) == "120.0 min"
    assert span_text(13230.0) == "3.67 h" and span_text(172799.0) == "48.00 h"
    assert span_text(3 * 86400.0) == "3.00 d" and span_text(float("nan")) == "nan"
