"""The package façade: public names resolve to the functions, whatever was imported first."""

from __future__ import annotations

import importlib
import subprocess
import sys

from conftest import REPO

FUNCTIONS = ["propagate", "coverage", "passes", "dop", "jinan368", "look_angles", "load", "time_range"]


def test_function_names_survive_submodule_imports():
    # Import every submodule first (as other code does), then look the façade names up: each must still be
    # the function, not the submodule of the same name.
    code = ("import importlib, constellation as C\n"
            "for m in ['propagation','engine','contacts','navigation','design','topo','elements','grid','io']:\n"
            "    importlib.import_module('constellation.' + m)\n"
            f"for f in {FUNCTIONS!r}:\n"
            "    assert callable(getattr(C, f)) and not isinstance(getattr(C, f), type(C)), f\n"
            "print('ok')")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"


def test_modules_reachable_and_all_listed():
    import constellation as C

    for name in ("grid", "design", "elements", "io", "plot"):
        assert getattr(C, name).__name__ == f"constellation.{name}"
    for name in C.__all__:
        assert getattr(C, name) is not None, name
    assert sorted(C.__all__) == sorted(C._LAZY)  # every lazy name is public, and only those
    assert importlib.import_module("constellation.engine").__name__ == "constellation.engine"
