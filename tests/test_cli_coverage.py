"""``constellation coverage``: runs end to end on tiny cases, writes a readable file, fails in one line."""

from __future__ import annotations

import numpy as np
import pytest

from constellation import io
from constellation.cli import coverage as cli_cov
from constellation.cli import main
from constellation.cli._common import load_elements, parse_region

needs_engine = pytest.mark.skipif(
    __import__("importlib").util.find_spec("constellation.engine") is None,
    reason="the coverage engine (constellation/coverage.py) is not there yet")

PER_CELL = ["coverage_fraction", "coverage_time_s", "sats_in_view_min", "sats_in_view_mean", "sats_in_view_max",
            "revisit_max_s", "revisit_mean_s", "revisit_std_s", "gap_count", "time_average_gap_s",
            "response_mean_s", "response_max_s", "access_count", "access_duration_mean_s",
            "access_duration_max_s", "first_access_s"]
TINY = ["--duration", "2h", "--step", "60s", "--grid-deg", "10"]


@pytest.fixture(scope="module")
def ten_sats_file(tmp_path_factory):
    """Ten satellites of the Jinan-368 plan (mixed shells) written as a 3LE file."""
    from sgp4.exporter import export_tle

    from constellation import design

    sats = design.jinan368()[np.r_[0:4, 120:124, 336:338]]
    path = tmp_path_factory.mktemp("elements") / "ten.tle"
    path.write_text("".join(f"{s.name}\n" + "\n".join(export_tle(s.satrec)) + "\n" for s in sats))
    return path


def run_cli(args, capsys):
    code = main(["coverage", *args])
    out, err = capsys.readouterr()
    return code, out, err


@needs_engine
def test_tiny_run_writes_contract_schema(tmp_path, capsys, ten_sats_file):
    out_path = tmp_path / "cov.zarr"
    code, out, err = run_cli([str(ten_sats_file), *TINY, "--output", str(out_path)], capsys)
    assert code == 0, err
    ds = io.read_dataset(out_path)
    assert ds["coverage_fraction"].dims == ("lat", "lon") and ds["coverage_fraction"].shape == (18, 36)
    for name in PER_CELL + ["cell_area_km2", "area_covered_fraction"]:
        assert name in ds, name
    assert ds["area_covered_fraction"].dims == ("time",) and ds.sizes["time"] == 121
    assert ds.attrs["Conventions"] == "CF-1.10" and int(ds.attrs["n_satellites"]) == 10
    assert float(ds.attrs["step_s"]) == 60.0 and float(ds.attrs["min_elevation_deg"]) == 10.0
    assert "constellation coverage" in ds.attrs["history"]
    # the median epoch of the file (the plan epoch) rounded down to the hour is the default start
    assert ds["time"].values[0] == np.datetime64("2026-01-01T00:00:00")
    cf = ds["coverage_fraction"].values
    assert np.all((cf >= 0) & (cf <= 1)) and 0 < cf.max()
    # the summary paragraph, with numbers that match the file
    w = ds["cell_area_km2"].values
    expected = 100 * float((cf * w).sum() / w.sum())
    assert f"mean coverage {expected:.2f}%" in out
    assert "satellites in view" in out and f"written to {out_path}" in out and "Run time" in out
    assert "worst revisit gap" in out or "no coverage gaps" in out
    assert len(out.strip().splitlines()) == 1


@needs_engine
def test_default_output_is_coverage_nc_in_cwd(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(["--group", "nav", "--launched", *TINY, "--quiet"], capsys)
    assert code == 0, err
    assert out == ""  # --quiet: no summary, no progress
    ds = io.read_dataset(tmp_path / "coverage.nc")
    assert int(ds.attrs["n_satellites"]) == 4  # the 4 launched navigation satellites of the plan
    assert ds["time"].values[0] == np.datetime64("2026-01-01T00:00:00")  # the plan epoch


@needs_engine
def test_sites_and_per_group_services(tmp_path, capsys):
    sites = tmp_path / "sites.csv"
    sites.write_text("name,lat,lon\nJinan,36.65,117.12\nKashi,39.47,75.99\nSouth Pole,-89.9,0\n")
    out_path = tmp_path / "sites.zarr"
    code, out, err = run_cli(["--group", "eo", "comm", "--sites", str(sites), *TINY, "--per-group",
                              "--requirement", "comm:elev=20,n=1", "--output", str(out_path)], capsys)
    assert code == 0, err
    ds = io.read_dataset(out_path)
    assert list(ds["service"].values) == ["eo", "comm", "any"]
    assert list(ds["name"].values) == ["Jinan", "Kashi", "South Pole"]
    assert ds["coverage_fraction"].dims == ("service", "cell")
    assert "sats_in_view" in ds and ds["sats_in_view"].dims[-2:] == ("time", "cell")
    any_cf = ds["coverage_fraction"].sel(service="any").values
    assert np.all(any_cf >= ds["coverage_fraction"].sel(service="eo").values - 1e-12)
    assert "per service eo:" in out and "site-averaged" in out


def test_requirements_defaults_and_overrides():
    pytest.importorskip("constellation.engine", reason="the coverage engine is not there yet")
    from constellation import design

    args = cli_cov.register(__import__("argparse").ArgumentParser().add_subparsers()).parse_args(
        ["--per-group", "--requirement", "eo:half=25", "--requirement", "nav:n=2,elev=15"])
    reqs = cli_cov._requirements(args, design.jinan368())
    assert set(reqs) == {"eo", "comm", "nav"}
    assert reqs["eo"].half_angle_deg == 25.0 and reqs["eo"].min_elevation_deg == 10.0
    assert reqs["comm"].half_angle_deg is None and reqs["comm"].min_elevation_deg == 10.0
    assert reqs["nav"].min_sats == 2 and reqs["nav"].min_elevation_deg == 15.0


def test_parse_region_and_requirement():
    assert parse_region("20, 55, 70, 140") == ((20.0, 55.0), (70.0, 140.0))
    assert parse_region("-10,10,170,-170") == ((-10.0, 10.0), (170.0, -170.0))
    for bad in ("1,2,3", "a,b,c,d", "50,20,0,10", "0,10,5,5", "0,10,0,200"):
        with pytest.raises(ValueError, match="--region"):
            parse_region(bad)
    assert cli_cov.parse_requirement("eo:elev=10,half=30,n=1") == (
        "eo", dict(min_elevation_deg=10.0, half_angle_deg=30.0, min_sats=1))
    assert cli_cov.parse_requirement("comm:half=none") == ("comm", dict(half_angle_deg=None))
    for bad in ("eo", "eo:", "eo:x=1", "eo:n=0", "eo:elev=high", ":elev=1"):
        with pytest.raises(ValueError, match="--requirement"):
            cli_cov.parse_requirement(bad)


@pytest.mark.parametrize("args, message", [
    (["--region", "20,55,70"], "--region: expected S,N,W,E"),
    (["--region=95,100,0,10"], "--region: latitudes"),
    (["--duration", "1x"], "--duration: cannot read duration '1x'"),
    (["--step", "0s"], "must be positive"),
    (["--grid-deg", "7"], "--grid-deg: res_deg must divide 180"),
    (["--grid-deg", "nope"], "invalid float value"),
    (["/no/such/file.tle"], "element file '/no/such/file.tle' does not exist"),
    (["--output", "out.txt"], "expected .nc (NetCDF-4) or .zarr"),
    (["--output", "/no/such/dir/out.nc"], "does not exist"),
    (["--sites", "/no/such/sites.csv"], "sites file"),
    (["--region", "0,10,0,10", "--equal-area"], "choose one of"),
    (["--group", "leo"], "no satellites in group(s) leo; groups present: eo, comm, nav"),
    (["--start", "yesterday-ish"], "--start"),
    (["--min-sats", "0"], "--min-sats must be at least 1"),
])
def test_bad_arguments_give_one_line_and_exit_2(args, message, capsys, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    code, out, err = run_cli(args, capsys) if "invalid" not in message else _argparse_error(args, capsys)
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert message in lines[0]
    assert lines[0].startswith("constellation coverage: error:")
    assert not any(tmp_path.iterdir())  # nothing written


def _argparse_error(args, capsys):
    with pytest.raises(SystemExit) as exc:
        main(["coverage", *args])
    out, err = capsys.readouterr()
    return exc.value.code, out, err


def test_unreadable_element_file(tmp_path, capsys):
    bad = tmp_path / "bad.tle"
    bad.write_text("this is not an element set\nnor is this\n")
    code, out, err = run_cli([str(bad), "--output", str(tmp_path / "x.zarr")], capsys)
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and str(bad) in err
    assert not (tmp_path / "x.zarr").exists()


def test_median_epoch_default_start(ten_sats_file):
    sats, start, label = load_elements(str(ten_sats_file))
    assert len(sats) == 10 and label == str(ten_sats_file)
    assert start == np.datetime64("2026-01-01T00:00:00", "ns")


def test_runs_where_xarray_is_loaded_already(tmp_path):
    """A script or notebook that imported xarray (which then found dask installed) can run the command
    in its process: dask is hidden from xarray only where xarray is not loaded yet."""
    import subprocess
    import sys

    out = tmp_path / "x.nc"
    code = ("import sys, xarray; from constellation.cli import main; "
            f"sys.exit(main(['coverage', '--quiet', '--duration', '1h', '--grid-deg', '10', '-o', {str(out)!r}]))")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert out.stat().st_size > 0


def test_libraries_for_the_result_load_once_the_computation_has_started(tmp_path):
    """The command loads xarray (for the result) beside the computation, not before it: imports take the GIL
    from the plan's own Python work.  In a fresh process: not loaded when the runner starts, loaded by the
    end, and the file written."""
    import subprocess
    import sys

    out = tmp_path / "x.nc"
    code = ("import sys\n"
            "from constellation import runners\n"
            "seen = []\n"
            "set_event = runners.COMPUTING.set\n"
            "def mark():\n"
            "    seen.append('xarray' in sys.modules)\n"
            "    set_event()\n"
            "runners.COMPUTING.set = mark\n"
            "from constellation.cli import main\n"
            f"code = main(['coverage', '--quiet', '--duration', '1h', '--grid-deg', '10', '-o', {str(out)!r}])\n"
            "print(code, seen, 'xarray' in sys.modules)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["0", "[False]", "True"]
    assert out.stat().st_size > 0


def test_background_import_waits_for_its_event():
    import threading

    from constellation.cli._common import import_in_background

    started = threading.Event()
    t = import_in_background("json", after=started)
    t.join(0.2)
    assert t.is_alive()  # waiting for the event
    started.set()
    t.join(10)
    assert not t.is_alive()


def test_scheduler_that_cannot_be_used_is_one_line_exit_2(tmp_path, capsys):
    # --scheduler at an address where something answers, but not a dask scheduler: one line, exit 2, no output
    import socket
    import threading

    pytest.importorskip("distributed")
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()

    def answer():
        while True:  # (the command first checks that the port accepts connections, then connects)
            try:
                conn, _ = server.accept()
            except OSError:  # closed: the test is over
                return
            conn.sendall(b"\xff" * 64)  # a frame length no dask message has

    threading.Thread(target=answer, daemon=True).start()
    out = tmp_path / "run.zarr"
    address = f"tcp://127.0.0.1:{server.getsockname()[1]}"
    code, _, err = run_cli(["--scheduler", address, "-o", str(out), *TINY], capsys)
    server.close()
    assert code == 2
    assert err.strip().splitlines() == [f"constellation coverage: error: --scheduler {address!r}: cannot connect "
                                        f"to a dask scheduler: what answered is not a dask scheduler (ValueError)"]
    assert not out.exists()
    # an address without a port, and a port nobody listens on (a short wait)
    code, _, err = run_cli(["--scheduler", "127.0.0.1", *TINY], capsys)
    assert code == 2 and len(err.strip().splitlines()) == 1
    assert "--scheduler '127.0.0.1': not a scheduler address" in err
    free = socket.socket()
    free.bind(("127.0.0.1", 0))
    port = free.getsockname()[1]
    free.close()
    with pytest.raises(ValueError, match="cannot connect to a dask scheduler"):
        cli_cov.connect_scheduler(f"tcp://127.0.0.1:{port}", timeout_s=1)
    # the command says the port refused connections (a few seconds), not dask's timeout (30 s)
    code, _, err = run_cli(["--scheduler", f"tcp://127.0.0.1:{port}", "-o", str(out), *TINY], capsys)
    assert code == 2 and err.strip().splitlines() == [
        f"constellation coverage: error: --scheduler 'tcp://127.0.0.1:{port}': cannot connect to a dask scheduler: "
        f"connection refused for 5 s (nothing listens at 127.0.0.1:{port})"]
    assert not out.exists()
