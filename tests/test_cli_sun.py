"""``constellation coverage`` with Sun limits: the options, the per-group daylight default, the summary
and one-line errors."""

from __future__ import annotations

import argparse

import numpy as np
import pytest

from constellation import io
from constellation.cli import coverage as cli_cov
from constellation.cli import main

TINY = ["--duration", "3h", "--step", "120s", "--grid-deg", "15"]


def test_daylight_run_summary_and_file(tmp_path, capsys):
    out_path = tmp_path / "day.nc"
    code = main(["coverage", "--group", "eo", "--min-sun-elevation", "10", *TINY, "-o", str(out_path)])
    out, err = capsys.readouterr()
    assert code == 0, err
    ds = io.read_dataset(out_path)
    assert float(ds.attrs["min_sun_elevation_deg"]) == 10.0 and "sun_rule" in ds.attrs
    assert "only while the Sun is at least 10 deg above the target's horizon" in out
    assert "revisit counting all time: mean" in out and " h at " in out
    assert "daylight revisit (only the time within the Sun limits counts): mean" in out
    code = main(["coverage", "--group", "eo", *TINY, "-o", str(tmp_path / "plain.nc"), "--quiet"])
    assert code == 0
    plain = io.read_dataset(tmp_path / "plain.nc")
    assert np.all(ds["coverage_time_s"].values <= plain["coverage_time_s"].values + 1e-9)
    assert ds["coverage_time_s"].values.sum() < plain["coverage_time_s"].values.sum()


def _args(*argv):
    return cli_cov.register(argparse.ArgumentParser().add_subparsers()).parse_args(list(argv))


def test_per_group_daylight_default_and_overrides():
    from constellation import design

    plan = design.jinan368()
    reqs = cli_cov._requirements(_args("--per-group"), plan)
    assert reqs["eo"].min_sun_elevation_deg == 10.0 and reqs["eo"].half_angle_deg == 30.0
    assert reqs["comm"].min_sun_elevation_deg is None and reqs["nav"].min_sun_elevation_deg is None
    reqs = cli_cov._requirements(_args("--per-group", "--requirement", "eo:sun=none"), plan)
    assert reqs["eo"].min_sun_elevation_deg is None
    reqs = cli_cov._requirements(_args("--per-group", "--max-sun-elevation", "-12", "--requirement",
                                       "comm:max_sun=none,sun=-5"), plan)
    assert reqs["nav"].max_sun_elevation_deg == -12.0 and reqs["eo"].max_sun_elevation_deg == -12.0
    assert reqs["eo"].min_sun_elevation_deg is None  # the command's limits replace the group's, both ends
    assert reqs["comm"].max_sun_elevation_deg is None and reqs["comm"].min_sun_elevation_deg == -5.0
    assert cli_cov.parse_requirement("eo:sun=15,max_sun=70") == (
        "eo", dict(min_sun_elevation_deg=15.0, max_sun_elevation_deg=70.0))
    for bad in ("eo:sun=91", "eo:sun=day", "eo:max_sun=nan"):
        with pytest.raises(ValueError, match="--requirement"):
            cli_cov.parse_requirement(bad)
    with pytest.raises(ValueError, match="group 'eo'.*must not exceed"):
        cli_cov._requirements(_args("--per-group", "--requirement", "eo:max_sun=0"), plan)  # (eo: sun >= 10)


@pytest.mark.parametrize("args, message", [
    (["--min-sun-elevation", "95"], "--min-sun-elevation must lie in [-90, 90] degrees, got 95"),
    (["--max-sun-elevation", "nan"], "--max-sun-elevation must lie in [-90, 90] degrees, got nan"),
    (["--min-sun-elevation", "10", "--max-sun-elevation", "0"], "must not exceed --max-sun-elevation"),
    (["--min-sun-elevation", "low"], "invalid float value"),
    (["--per-group", "--requirement", "eo:sun=100"], "is not a Sun elevation in [-90, 90] degrees"),
])
def test_bad_sun_limits_fail_in_one_line(args, message, capsys, tmp_path):
    with pytest.raises(SystemExit) if "invalid" in message else _no_raise() as exc:
        code = main(["coverage", *args, "--duration", "1h", "-o", str(tmp_path / "x.nc")])
    if exc is not None and getattr(exc, "value", None) is not None:
        code = exc.value.code
    out, err = capsys.readouterr()
    assert code == 2 and message in err and len(err.strip().splitlines()) == 1, err


class _no_raise:
    def __enter__(self):
        return None

    def __exit__(self, *exc):
        return False
