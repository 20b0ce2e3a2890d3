"""The README stays true: its two set-up commands come first, its Python blocks run verbatim as one session
in an empty folder and give what the prose says, its command-line examples run, and its links resolve."""

from __future__ import annotations

import importlib.metadata
import os
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")

# (language, first line of the code, code) for every fenced block, in order
BLOCKS = [(m.group(1), README.count("\n", 0, m.start(2)) + 1, m.group(2))
          for m in re.finditer(r"^```(\w*)\n(.*?)^```", README, re.S | re.M)]


def _commands(code: str) -> list[str]:
    """The commands of a shell block: each line without its comment, blank lines dropped."""
    return [" ".join(shlex.split(line, comments=True)) for line in code.splitlines()
            if shlex.split(line, comments=True)]


def test_readme_starts_with_the_two_commands():
    lang, _, code = BLOCKS[0]
    assert lang == "sh"
    assert _commands(code) == ["uv run constellation coverage", "uv run pytest"]


def test_code_blocks_are_python_or_commands():
    """Every block is Python (run below) or shell commands a user types, each through ``uv run``; output
    or illustrations, if any are added, go in ``text`` blocks."""
    assert {lang for lang, _, _ in BLOCKS} <= {"python", "sh", "text"}
    for lang, line, code in BLOCKS:
        if lang == "sh":
            for cmd in _commands(code):
                assert cmd.startswith("uv run "), f"README.md:{line}: {cmd!r}"


@pytest.fixture(scope="module")
def tour(tmp_path_factory):
    """Run the README's Python blocks, unchanged and in order, in one namespace with an empty folder as the
    working directory.  Each block keeps its README line numbers, so a traceback points into README.md."""
    import matplotlib

    matplotlib.use("Agg")  # no display here; a user's interactive session picks its own backend
    import matplotlib.pyplot as plt

    folder = tmp_path_factory.mktemp("tour")
    assert not any(folder.iterdir())
    scope: dict = {"__name__": "__main__"}
    before = os.getcwd()
    os.chdir(folder)
    try:
        for lang, line, code in BLOCKS:
            if lang == "python":
                exec(compile("\n" * (line - 1) + code, str(REPO / "README.md"), "exec"), scope)
    finally:
        os.chdir(before)
        plt.close("all")
    return scope, folder


def test_tour_satellites(tour):
    s, _ = tour
    assert len(s["plan"]) == 368 and len(s["launched"]) == 26 and bool(s["launched"].launched.all())
    assert len(s["gps"]) == 31 and len(s["iridium"]) == 80 and not s["iridium"].report.skipped
    assert s["C"].samples.names() == ["beidou", "galileo", "glonass", "gps", "iridium"]
    assert len(s["sky"]) == 26 and len(s["again"]) == 26
    assert np.array_equal(s["again"].catalog_numbers, s["launched"].catalog_numbers)


def test_tour_positions_and_passes(tour):
    s, _ = tour
    assert s["times"].size == 361
    assert dict(s["pos"].sizes) == {"satellite": 368, "time": 361}
    assert {"x_km", "y_km", "z_km", "lat_deg", "lon_deg", "alt_km", "sgp4_error"} <= set(s["pos"])
    assert {"azimuth_deg", "elevation_deg", "range_km"} <= set(s["look"])
    table = s["table"]
    assert len(table) > 0 and {"satellite", "rise", "set", "max_elevation_deg"} <= set(table.columns)
    assert float(table["max_elevation_deg"].min()) >= 10.0


def test_tour_coverage(tour):
    s, _ = tour
    cov = s["cov"]
    cf = cov["coverage_fraction"]
    assert float(cf.min()) >= 0 and float(cf.max()) <= 1
    # the README's opening claim, on this shorter window: everything between 65 S and 65 N is always covered
    assert float(cf.sel(lat=slice(-65, 65)).min()) == 1.0
    assert 0 < cov.attrs["position_error_max_m"] <= 10.0
    lat = s["china"]["lat"].values
    assert lat.min() > 18 and lat.max() < 54
    assert list(s["cities"]["name"].values) == ["Jinan", "Beijing"]
    assert set(s["per_service"]["service"].values) == {"eo", "comm", "nav", "any"}
    # Hermite positions and SGP4 at every sample decide the same cells, up to an edge or two
    assert float(abs(s["exact"]["coverage_fraction"] - cf).max()) < 0.01
    assert 1.0 <= float(s["nav"]["pdop_mean"].median()) <= 3.0


def test_tour_files_resume_and_cluster(tour):
    import xarray as xr

    s, folder = tour
    assert {"cov.nc", "revisit.png", "tracks.png", "run.zarr"} <= {p.name for p in folder.iterdir()}
    xr.testing.assert_identical(s["cov_back"], s["cov"])
    for name in ("run", "on_cluster"):  # bit-identical to the plain run (the attrs carry the run's time)
        xr.testing.assert_identical(s[name].drop_attrs(), s["cov"].drop_attrs())
        for v in s["cov"].data_vars:
            assert np.array_equal(s[name][v].values, s["cov"][v].values, equal_nan=True), (name, v)


def test_command_line_examples_run(tmp_path, monkeypatch, capsys):
    """Every ``uv run constellation ...`` line of the README, in order, in an empty folder, through the
    installed ``constellation`` entry point (``uv run`` only puts the project's environment in front): that is
    ``console_main``, which runs :func:`constellation.cli.main` on the process's arguments and then ends the
    process, so the lines run through ``main`` here (``tests/test_cli_exit.py`` covers the ending)."""
    from constellation.cli import console_main, main

    (ep,) = [ep for ep in importlib.metadata.entry_points(group="console_scripts") if ep.name == "constellation"]
    assert ep.load() is console_main
    monkeypatch.chdir(tmp_path)
    ran = 0
    for lang, line, code in BLOCKS:
        for cmd in _commands(code) if lang == "sh" else []:
            if cmd.startswith("uv run constellation "):
                assert main(shlex.split(cmd)[3:]) == 0, f"README.md:{line}: {cmd}\n{capsys.readouterr().err}"
                ran += 1
            elif cmd.startswith("uv run python "):
                assert (REPO / shlex.split(cmd)[3]).is_file(), cmd
    assert ran >= 5
    assert {"coverage.nc", "jinan368.tle", "out.nc", "map.png", "passes.csv", "nav.nc"} <= {
        p.name for p in tmp_path.iterdir()}


@pytest.mark.parametrize("path", sorted(set(re.findall(
    r"\]\(((?:examples|tle_data|benchmarks|constellation)/[^)#]*|[A-Z]+\.md)\)", README))))
def test_readme_links_exist(path):
    assert (REPO / path).exists(), path


def _anchor(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


@pytest.mark.parametrize("anchor", sorted(set(re.findall(r"\]\(#([^)]+)\)", README))))
def test_readme_anchors_exist(anchor):
    headings = re.findall(r"^#+ (.+)$", re.sub(r"^```.*?^```", "", README, flags=re.S | re.M), re.M)
    assert anchor in {_anchor(h) for h in headings}, anchor


def test_readme_speaks_of_the_package_not_its_history():
    for phrase in ("issue #", "Targets (", "an earlier run", "this session", "drifts"):
        assert phrase not in README, phrase
    assert Path(REPO / "CHANGELOG.md").is_file()


def test_tour_augmentation(tour):
    s, _ = tour
    ratio = s["aug"].pdop_mean_ratio
    assert float(ratio.sel(min_elevation_deg=10.0).mean()) < 1.0 and float(ratio.max()) <= 1.0 + 1e-12
