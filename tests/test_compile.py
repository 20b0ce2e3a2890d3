"""Compiling the kernels: the registry of ``constellation.kernels.precompile`` against what the package
really compiles, the cache check, the first-run message and ``constellation compile``."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from constellation.kernels import precompile

# Runs the package's kinds of work on small inputs in a fresh interpreter, then prints every signature each
# kernel dispatcher holds (loaded from the cache or compiled there).  The kernels that call registered
# kernels are compiled afresh (their cache is off), so that the signatures they call those with show too.
_RUN = r"""
import json, sys
import numpy as np
import constellation as C
from constellation.design import satrec_from_elements
from constellation.satellite import Constellation, Satellite
from numba.core.registry import CPUDispatcher
import importlib, pkgutil
import constellation.kernels as K
from constellation.kernels import dop, sweep

sweep.sweep_rows._cache.disable()
sweep._collect_runs._cache.disable()
sweep._walk_undecided._cache.disable()
dop.accumulate_dop_rows._cache.disable()
dop.accumulate_dop_systems_rows._cache.disable()

plan = C.jinan368()
G = C.grid
t2h = C.time_range("2026-01-01", duration="2h", step_s=60)
C.coverage(plan, t2h, G.global_grid(4.0), chunk_steps=40)                      # several chunks: combine
C.coverage(plan, t2h, G.region(lat=(10, 50), lon=(100, 140), res_deg=2.0), half_angle_deg=40,
           min_elevation_deg=0)                                                 # partial rows, cones
C.coverage(plan, t2h, G.global_grid(6.0), requirements={
    "eo": C.Requirement(half_angle_deg=30), "comm": C.Requirement(), "nav": C.Requirement(min_sats=2)})
C.coverage(plan, t2h, G.points([36.65, 0.0], [117.0, 10.0]))                   # sites: satellites in view
C.coverage(plan.select(group="comm"), t2h, G.global_grid(6.0), gateways=G.points([36.65], [117.0]))  # bent pipe
C.coverage(plan[:20], t2h, G.global_grid(6.0), positions="exact")
T0 = np.datetime64("2026-01-01T00:00")
decaying = Constellation([Satellite(satrec_from_elements(99101 + k, T0, 51.6, 30.0 * k, 0.0, 160.0,
                                                         bstar=0.2), name=f"D{k}") for k in range(2)])
C.coverage(decaying, C.time_range("2026-01-01", duration="1d", step_s=60), G.global_grid(6.0))
C.dop(plan.select(group="nav"), t2h, G.global_grid(6.0))
C.dop(plan.select(group="nav"), t2h, G.points([36.65], [117.0]))
C.dop(plan.select(group=["comm", "nav"]), t2h, G.global_grid(6.0), systems="group")   # a clock per system
C.bent_pipe_coverage(plan.select(group="comm"), t2h, G.global_grid(6.0), G.points([36.65], [117.0]))
C.propagate(plan[:10], t2h)
from constellation.imaging import swath_opportunities
swath_opportunities(plan[:4], G.region(lat=(10, 50), lon=(100, 140), res_deg=5.0), "2026-01-01", duration="2h",
                    half_angle_deg=20.0)
from constellation.kernels import bruteforce
state = bruteforce.BruteForceState(G.global_grid(6.0).itrs_km(), G.global_grid(6.0).up())
bruteforce.accumulate(state, C.propagate(plan[:10], t2h)[["x_km", "y_km", "z_km"]].to_array("c").transpose(
    "satellite", "time", "c").values)
out = {}
for m in pkgutil.iter_modules(K.__path__):
    mod = importlib.import_module(f"constellation.kernels.{m.name}")
    for name, obj in vars(mod).items():
        if isinstance(obj, CPUDispatcher) and obj.py_func.__module__ == mod.__name__ and obj.overloads:
            out[f"{m.name}.{name}"] = [str(tuple(s)) for s in obj.overloads]
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def used_signatures():
    """Every kernel signature the package's kinds of work use, from a fresh interpreter."""
    res = subprocess.run([sys.executable, "-W", "ignore", "-c", _RUN], capture_output=True, text=True,
                         check=True, env=os.environ.copy())
    return json.loads(res.stdout.strip().splitlines()[-1])


def _registry() -> dict[str, set[str]]:
    reg: dict[str, set[str]] = {}
    for w in precompile.WORKLOADS:
        for job in precompile.jobs(w):
            for module, name, sig in job.kernels:
                reg.setdefault(f"{module}.{name}", set()).add(str(tuple(sig)))
    return reg


def test_registry_lists_exactly_the_signatures_the_package_uses(used_signatures):
    """Every kernel the package calls from Python (and every one the registry compiles separately) is
    called with one of the registry's signatures, and every registered kernel is used as registered:
    precompiling compiles what runs, no more and no less."""
    reg = _registry()
    for name, sigs in used_signatures.items():
        if name in reg:
            assert set(sigs) <= reg[name], f"{name} used with {set(sigs) - reg[name]}, not in the registry"
    unused = {name for name in reg if name not in used_signatures}
    assert not unused, f"registered but never used by the sample runs: {sorted(unused)}"


def test_no_kernel_compiles_twice(used_signatures):
    """No kernel gets a second specialisation (another dtype, layout or a literal argument) in a run."""
    several = {name: sigs for name, sigs in used_signatures.items() if len(sigs) > 1}
    assert not several, f"kernels compiled for several signatures: {several}"


def test_cache_check_sees_what_is_compiled():
    """After the session's precompile, nothing registered is missing (the cache index is read right); a
    cache directory with nothing in it lacks every job."""
    assert precompile.missing(precompile.WORKLOADS) == []
    env = {**os.environ, "NUMBA_CACHE_DIR": os.path.join(os.environ["NUMBA_CACHE_DIR"], "empty-for-test")}
    code = ("from constellation.kernels import precompile as P\n"
            "print(sorted(j.name for j in P.missing(['coverage'])))")
    res = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
    assert res.stdout.strip() == str(sorted(j.name for j in precompile.jobs("coverage")))


def test_first_run_announces_before_compiling(monkeypatch):
    """Where kernels are missing, one line says what is happening, where the cache is and about how long,
    before any compiling starts; then one line when it is done."""
    events = []
    monkeypatch.setattr(precompile, "missing", lambda workloads: precompile.jobs("coverage"))
    monkeypatch.setattr(precompile, "_compile_job", lambda job: events.append(("compile", job.name)))
    monkeypatch.setattr(precompile.subprocess, "Popen", _FakeHelper)
    precompile.compile_workloads(["coverage"], processes=2, announce=lambda line: events.append(("say", line)))
    assert events[0][0] == "say" and "compiling" in events[0][1] and "once" in events[0][1]
    assert precompile.cache_dir() in events[0][1] and " s on 2 cores" in events[0][1]
    assert events[-1][0] == "say" and events[-1][1].startswith("compiled in")
    assert any(kind == "compile" for kind, _ in events)


class _FakeHelper:
    """A helper process that 'compiles' its jobs at once (prints their names)."""

    def __init__(self, argv, stdout=None, text=None):
        import io

        self.stdout = io.StringIO("".join(spec.partition(":")[0] + "\n" for spec in argv[3:]))

    def wait(self):
        return 0


def test_schedule_runs_every_job_once_after_what_it_needs():
    """The plan spreads the jobs over the processes, each once, none before the jobs it calls, and its
    estimate is less than compiling everything in one process."""
    todo = precompile.jobs("coverage") + precompile.jobs("dop")[1:]
    for processes in (1, 2, 3):
        lanes = precompile._schedule(todo, processes)
        assert sorted(j.name for lane in lanes for j in lane) == sorted(j.name for j in todo)
        for lane in lanes:  # within a lane, a job never precedes one it comes after
            names = [j.name for j in lane]
            for i, job in enumerate(lane):
                assert not set(job.after) & set(names[i + 1:])
    assert precompile.estimate_s(todo, 2) < precompile.estimate_s(todo, 1)


def test_cli_names_the_registry_workloads():
    from constellation.cli import compile as cli_compile

    assert cli_compile.WORKLOADS == precompile.WORKLOADS


def test_cli_compile_check(capsys):
    """``constellation compile --check`` lists nothing when everything is compiled (exit 0)."""
    from constellation.cli import main

    assert main(["compile", "--check"]) == 0
    assert "nothing to compile" in capsys.readouterr().out


def test_cli_compile_check_names_what_is_missing_by_workload():
    """With an empty cache, ``--check`` lists each missing group of kernels with the ``--workload`` names
    that run it (not the registry's internal job names) and exits 1."""
    env = {**os.environ, "NUMBA_CACHE_DIR": os.path.join(os.environ["NUMBA_CACHE_DIR"], "empty-for-check")}
    res = subprocess.run([sys.executable, "-m", "constellation", "compile", "--check", "--workload", "imaging",
                          "--workload", "coverage-gateways"], capture_output=True, text=True, env=env)
    assert res.returncode == 1, res.stderr
    lines = res.stdout.splitlines()
    assert "not compiled: swath.swath_events (for imaging)" in lines
    assert "not compiled: gatewaylinks.relay_steps (for coverage-gateways)" in lines
    assert lines[-1].startswith(f"{len(lines) - 1} groups of kernels to compile for imaging, coverage-gateways")
