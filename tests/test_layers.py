"""The package's layers (``constellation.LAYERS``): every import in every module, function-level ones
included, goes to the module's own layer or a lower one, and no imports form a cycle.  Imports under
``if TYPE_CHECKING:`` are for type checkers only and exempt.  Also: the façade's names never clash with a
module, and ``import constellation`` stays light."""

from __future__ import annotations

import ast
import subprocess
import sys
from collections import defaultdict
from pathlib import Path

import pytest
from conftest import REPO

import constellation
import constellation.kernels
import constellation.tle_data

PKG = "constellation"


def _module_files() -> dict[str, Path]:
    """Every module of the package (``constellation.*``, the kernels included) and its file."""
    out: dict[str, Path] = {}
    roots = {PKG: Path(constellation.__file__).parent,  # (the kernels and data install inside it, or
             f"{PKG}.kernels": Path(constellation.kernels.__file__).parent,  # live beside it in a checkout)
             f"{PKG}.tle_data": Path(constellation.tle_data.__file__).parent}
    for prefix, root in roots.items():
        for path in sorted(root.rglob("*.py")):
            rel = path.relative_to(root)
            if not all((root / Path(*rel.parts[:i]) / "__init__.py").is_file() for i in range(len(rel.parts))):
                continue  # not inside a package (e.g. a data-building script)
            parts = list(rel.with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            out[".".join([prefix, *parts])] = path
    return out


MODULES = _module_files()


def _layer_of(module: str) -> int:
    rel = module[len(PKG) + 1:] if module != PKG else ""
    for layer, _, names in constellation.LAYERS:
        for name in names:
            if rel == name or (name.endswith(".*") and rel.startswith(name[:-1])):
                return layer
    raise AssertionError(f"{module} is in no layer of constellation.LAYERS: place it there")


def _is_type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(module: str, path: Path) -> list[tuple[str, int]]:
    """``(imported module of the package, line)`` for every import statement in the file, at any depth
    (and ``importlib.import_module`` / ``__import__`` calls with a literal name), except those under
    ``if TYPE_CHECKING:``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: list[tuple[str, int]] = []

    def target(name: str) -> str | None:
        # the deepest module of the package that ``name`` names (an attribute of a module: that module)
        while name and name not in MODULES:
            name = name.rpartition(".")[0]
        return name or None

    def absolute(mod: str | None, level: int) -> str:
        if not level:
            return mod or ""
        base = package.split(".")
        base = base[:len(base) - (level - 1)]
        return ".".join(base + ([mod] if mod else []))

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and _is_type_checking(node.test):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name == PKG or alias.name.startswith(PKG + "."):
                    found.append((target(alias.name), node.lineno))
        elif isinstance(node, ast.ImportFrom):
            base = absolute(node.module, node.level)
            if base == PKG or base.startswith(PKG + "."):
                for alias in node.names:
                    found.append((target(f"{base}.{alias.name}"), node.lineno))
        elif isinstance(node, ast.Call) and node.args and isinstance(node.args[0], ast.Constant) \
                and isinstance(node.args[0].value, str):
            func = node.func
            name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if name in ("import_module", "__import__"):
                text = node.args[0].value
                level = len(text) - len(text.lstrip("."))
                full = absolute(text.lstrip(".") or None, level) if level else text
                if full == PKG or full.startswith(PKG + "."):
                    found.append((target(full), node.lineno))
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(tree)
    return [(t, line) for t, line in found if t is not None and t != module]


GRAPH = {m: _imports(m, p) for m, p in MODULES.items()}


def test_every_module_has_a_layer_and_every_listed_module_exists():
    for m in MODULES:
        _layer_of(m)
    rels = {m[len(PKG) + 1:] if m != PKG else "" for m in MODULES}
    for _, _, names in constellation.LAYERS:
        for name in names:
            if name.endswith(".*"):
                assert any(r.startswith(name[:-1]) for r in rels), f"LAYERS lists {name!r}: no such modules"
            else:
                assert name in rels, f"LAYERS lists {name!r}: no such module"


def test_imports_go_only_down_or_sideways():
    upward = [f"{m} (layer {_layer_of(m)}) imports {t} (layer {_layer_of(t)}) at line {line}"
              for m, deps in GRAPH.items() for t, line in deps if _layer_of(t) > _layer_of(m)]
    assert not upward, "upward imports:\n" + "\n".join(upward)


def test_no_import_cycles():
    edges = defaultdict(set)
    for m, deps in GRAPH.items():
        for t, _ in deps:
            edges[m].add(t)
    # Tarjan's strongly connected components: any with more than one module is a cycle
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def connect(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges[v]):
            if w not in index:
                connect(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(comp))

    for v in sorted(MODULES):
        if v not in index:
            connect(v)
    assert not cycles, "import cycles among: " + "; ".join(", ".join(c) for c in cycles)


def test_the_checker_sees_every_kind_of_import(tmp_path):
    src = """
from typing import TYPE_CHECKING
import constellation.grid
import numpy as np
from . import design
from .engine import Plan
from .kernels import frames
if TYPE_CHECKING:
    from .api import coverage
else:
    from .timescale import parse_time
def f():
    from .checkpoint import store_info
    import importlib
    importlib.import_module("constellation.plot")
    importlib.import_module(".io", __package__)
    class C:
        def g(self):
            from .propagation import propagate
"""
    path = tmp_path / "fake.py"
    path.write_text(src)
    got = {t for t, _ in _imports(f"{PKG}.fake", path)}
    assert got == {f"{PKG}.{m}" for m in ("grid", "design", "engine", "kernels.frames", "timescale", "checkpoint",
                                          "plot", "io", "propagation")}


def test_facade_names_never_clash_with_modules():
    import importlib.util

    for name, (module, attr) in constellation._LAZY.items():
        assert f"{PKG}.{module}" in MODULES, name
        if attr is not None:
            assert importlib.util.find_spec(f"{PKG}.{name}") is None, \
                f"constellation.{name} is both a function/class and a module"
        else:
            assert module == name


@pytest.mark.parametrize("statement, banned", [
    ("import constellation", ["numpy", "numba", "xarray", "pandas", "matplotlib", "dask", "distributed",
                              "skyfield", "sgp4", "constellation.kernels"]),
    ("import constellation.cli; constellation.cli.build_parser()",
     ["numba", "xarray", "pandas", "matplotlib", "dask", "distributed", "skyfield", "constellation.kernels"]),
])
def test_light_imports(statement, banned):
    code = f"import sys\n{statement}\nprint(' '.join(m for m in {banned!r} if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "", f"{statement!r} imports {out.stdout.strip()}"


@pytest.mark.parametrize("argv, banned", [
    (["coverage", "--duration", "10m", "--step", "5m", "--grid-deg", "30", "--quiet", "-o", "{tmp}/c.nc"],
     ["matplotlib", "tqdm", "constellation.plot", "constellation.checkpoint", "constellation.distributed",
      "constellation.contacts", "constellation.navigation", "constellation.cli.plot", "constellation.cli.passes"]),
    (["passes", "--duration", "1h", "--limit", "1"],
     ["xarray", "matplotlib", "dask", "constellation.engine", "constellation.cli.coverage"]),
    (["track", "--limit", "1"], ["pandas", "xarray", "matplotlib", "dask", "constellation.engine"]),
])
def test_subcommands_import_only_what_they_use(tmp_path, argv, banned):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code = (f"import sys\nfrom constellation.cli import main\nassert main({argv!r}) == 0\n"
            f"print('LOADED', ' '.join(m for m in {banned!r} if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=REPO, timeout=600)
    assert out.returncode == 0, out.stderr[-2000:]
    loaded = out.stdout.rpartition("LOADED")[2].strip()
    assert loaded == "", f"constellation {argv[0]} imports {loaded}"
