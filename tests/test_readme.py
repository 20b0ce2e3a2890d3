"""The README stays true: its API tour runs (with smaller settings) and its two set-up commands are there."""

from __future__ import annotations

import re

import pytest

from conftest import REPO

README = (REPO / "README.md").read_text(encoding="utf-8")


def test_readme_starts_with_the_two_commands():
    first_block = re.search(r"```sh\n(.*?)```", README, re.S).group(1)
    commands = [ln.split("#")[0].strip() for ln in first_block.splitlines() if ln.strip()]
    assert commands == ["uv run constellation coverage", "uv run pytest"]


def test_api_tour_runs(tmp_path, monkeypatch):
    import matplotlib

    matplotlib.use("Agg")
    code = re.search(r"```python\n(.*?)```", README, re.S).group(1)
    smaller = {
        '"active.tle"': repr(str(REPO / "tle_data" / "jinan368.tle")),
        'duration="1d", step_s=30': 'duration="1h", step_s=600',
        'duration="7d"': 'duration="6h"',
        "global_grid(1.0)": "global_grid(10.0)",
        "global_grid(2.0)": "global_grid(10.0)",
        "res_deg=0.5": "res_deg=5.0",
        'duration="2h", step_s=60': 'duration="30m", step_s=300',
    }
    for old, new in smaller.items():
        assert old in code, f"README tour changed: {old!r} not found; update this test"
        code = code.replace(old, new)
    monkeypatch.chdir(tmp_path)
    scope: dict = {}
    exec(compile(code, "README.md", "exec"), scope)
    assert len(scope["plan"]) == 368 and len(scope["launched"]) == 26
    assert len(scope["cat"]) == 368
    assert set(scope["per_service"]["service"].values) == {"eo", "comm", "nav", "any"}
    assert (tmp_path / "cov.nc").is_file()
    assert {"rise", "set", "max_elevation_deg"} <= set(scope["table"].columns)
    assert "pdop_mean" in scope["nav"]
    cov = scope["cov"]
    assert float(cov["coverage_fraction"].min()) >= 0 and float(cov["coverage_fraction"].max()) <= 1


@pytest.mark.parametrize("path", re.findall(r"\]\(((?:examples|tle_data|benchmarks|constellation)/[^)#]+)\)", README))
def test_readme_links_exist(path):
    assert (REPO / path).exists(), path
