"""The bytecode writer (``constellation.bytecode``) against Python's own import system: the files it writes
are the ones the importer looks for and accepts, only under the roots it is given."""

from __future__ import annotations

import importlib
import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import constellation
from constellation import bytecode


def _make_package(root, name):
    pkg = root / name
    pkg.mkdir()
    (pkg / "__init__.py").write_text("VALUE = 41\n")
    (pkg / "child.py").write_text("def f():\n    return 42\n")
    return pkg


def test_writes_what_the_importer_then_uses(tmp_path, monkeypatch):
    inside, outside = tmp_path / "site", tmp_path / "elsewhere"
    inside.mkdir()
    outside.mkdir()
    _make_package(inside, "bc_inside_pkg")
    _make_package(outside, "bc_outside_pkg")
    monkeypatch.syspath_prepend(str(inside))
    monkeypatch.syspath_prepend(str(outside))
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    importlib.invalidate_caches()
    try:
        import bc_inside_pkg.child  # noqa: F401
        import bc_outside_pkg.child  # noqa: F401

        cached = importlib.util.cache_from_source(str(inside / "bc_inside_pkg" / "child.py"))
        assert not (inside / "bc_inside_pkg" / "__pycache__").exists()
        todo = bytecode.missing([inside])
        assert sorted(src for src, _ in todo) == sorted(
            str((inside / "bc_inside_pkg" / f).resolve()) for f in ("__init__.py", "child.py"))

        assert bytecode.write_missing([inside]) == 2
        assert bytecode.missing([inside]) == []
        assert bytecode.write_missing([inside]) == 0  # nothing left to do
        src = inside / "bc_inside_pkg" / "child.py"  # an edited source: its bytecode is stale, written again
        before = os.stat(src).st_mtime - 10  # (the bytecode as it was before the edit)
        os.utime(cached, (before, before))
        assert [s for s, _ in bytecode.missing([inside])] == [str(src.resolve())]
        assert bytecode.write_missing([inside]) == 1
        assert bytecode.missing([inside]) == []
        assert not (outside / "bc_outside_pkg" / "__pycache__").exists()
    finally:
        for name in ("bc_inside_pkg", "bc_inside_pkg.child", "bc_outside_pkg", "bc_outside_pkg.child"):
            sys.modules.pop(name, None)

    # a fresh interpreter, not allowed to write, loads the module from the written file
    probe = (f"import sys; sys.path.insert(0, {str(inside)!r}); import bc_inside_pkg.child as m; "
             f"print(m.__spec__.cached, m.__spec__.loader.path_stats(m.__file__)['mtime'] > 0, m.f())")
    out = subprocess.run([sys.executable, "-B", "-v", "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.split()[0] == cached and out.stdout.split()[-1] == "42"
    assert f"matches {inside / 'bc_inside_pkg' / 'child.py'}" in out.stderr  # read from the .pyc
    assert f"code object from '{cached}'" in out.stderr


def test_the_package_own_modules_too(monkeypatch):
    """By default the package's own folders are roots too (a source checkout's editable install has no
    bytecode of the package otherwise), inside a virtual environment."""
    import constellation.version as version

    assert Path(constellation.__file__).parent.resolve() in bytecode.package_dirs()
    monkeypatch.setattr(sys, "dont_write_bytecode", True)
    cached = version.__spec__.cached
    if os.path.exists(cached):
        os.unlink(cached)
    in_venv = bool(bytecode.venv_site_dirs())
    assert bytecode.write_missing(modules={"constellation.version": version}) == (1 if in_venv else 0)
    assert os.path.exists(cached) == in_venv


def test_nothing_when_python_writes_bytecode_itself(monkeypatch):
    monkeypatch.setattr(sys, "dont_write_bytecode", False)
    assert bytecode.write_missing() == 0


def test_outside_a_virtual_environment_no_roots(monkeypatch):
    monkeypatch.setattr(sys, "base_prefix", sys.prefix)
    assert bytecode.venv_site_dirs() == ()


def test_truncated_bytecode_is_never_left_behind(tmp_path):
    """Past a file-size limit (``RLIMIT_FSIZE``, SIGXFSZ ignored: writes then stop short or fail with EFBIG,
    as on a full disk) ``py_compile`` renames a truncated file into place; the writer removes it, so the
    next import compiles from source instead of failing with "marshal data too short"."""
    site = tmp_path / "site"
    site.mkdir()
    pkg = site / "bc_big_pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("".join(f"def f{i}(x):\n    return x + {i}\n" for i in range(400)))
    probe = (
        "import resource, signal, sys\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        f"sys.path.insert(0, {str(site)!r})\n"
        "import bc_big_pkg\n"
        "from constellation import bytecode\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (2000, 2000))\n"
        f"print(bytecode.write_missing([{str(site)!r}]))\n")
    out = subprocess.run([sys.executable, "-B", "-c", probe], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "0"
    assert list((pkg / "__pycache__").glob("*")) == []  # neither a truncated file nor a temporary
    check = f"import sys; sys.path.insert(0, {str(site)!r}); import bc_big_pkg; print(bc_big_pkg.f399(1))"
    assert subprocess.run([sys.executable, "-B", "-c", check], capture_output=True, text=True,
                          check=True).stdout.strip() == "400"
