"""Bytecode of the installed libraries and of this package, where Python is told not to write it.

With ``PYTHONDONTWRITEBYTECODE`` set (common in container images), Python compiles every module it imports
from source at every start and keeps nothing: numpy, numba, pandas and xarray alone then cost a command
several seconds each time, and this package's own modules (about 35 of them for a coverage run) 0.05 s
more.  Installers normally write that bytecode at install time; uv does so only when asked, and when asked
it checks the whole environment again at every ``uv run`` (a few tenths of a second each time); an
editable install (a source checkout: ``uv sync``) gets none for the package itself.  Instead, the command
line and the test session call :func:`write_missing` on their way out: it writes the bytecode
(``__pycache__/*.pyc``) of the modules the process imported from the virtual environment's own
``site-packages`` and from this package's folders (:func:`package_dirs`; in a checkout, ``__pycache__`` is
ignored by git), once, as the import system itself would have without the variable.  Nothing else is
written (not other projects' sources, not a system Python), and nothing at all where Python writes
bytecode itself or where the process does not run in a virtual environment.
"""

from __future__ import annotations

import os
import py_compile
import sys
import sysconfig
from collections.abc import Iterable, Mapping
from pathlib import Path
from types import ModuleType

__all__ = ["venv_site_dirs", "package_dirs", "missing", "write_missing"]


def venv_site_dirs() -> tuple[Path, ...]:
    """The ``site-packages`` folders of the running virtual environment; empty outside one (where
    ``sys.prefix`` is the base interpreter's)."""
    if sys.prefix == sys.base_prefix:
        return ()
    dirs: list[Path] = []
    for key in ("purelib", "platlib"):
        p = Path(sysconfig.get_paths()[key]).resolve()
        if p not in dirs and p.is_dir():
            dirs.append(p)
    return tuple(dirs)


def package_dirs() -> tuple[Path, ...]:
    """The folders this package's modules load from: ``constellation`` and, where they live apart (a source
    checkout), its ``kernels`` and ``tle_data`` packages; only their imported modules are looked at."""
    dirs: list[Path] = []
    for name in ("constellation", "constellation.kernels", "constellation.tle_data"):
        mod = sys.modules.get(name)
        for p in getattr(mod, "__path__", ()):
            p = Path(p).resolve()
            if p not in dirs and p.is_dir():
                dirs.append(p)
    return tuple(dirs)


def missing(roots: Iterable[os.PathLike | str],
            modules: Mapping[str, ModuleType] | None = None) -> list[tuple[str, str]]:
    """``(source, bytecode)`` file pairs of the ``modules`` (default: ``sys.modules``) loaded from Python
    source under one of ``roots`` whose bytecode file does not exist, or is older than the source (an
    edited module, whose bytecode the importer no longer accepts)."""
    prefixes = tuple(str(Path(r).resolve()) + os.sep for r in roots)
    if not prefixes:
        return []
    out = []
    for mod in list((sys.modules if modules is None else modules).values()):
        spec = getattr(mod, "__spec__", None)
        origin, cached = getattr(spec, "origin", None), getattr(spec, "cached", None)
        if (isinstance(origin, str) and isinstance(cached, str) and origin.endswith(".py")
                and origin.startswith(prefixes) and _stale(origin, cached)):
            out.append((origin, cached))
    return out


def _stale(source: str, cached: str) -> bool:
    try:
        return os.stat(cached).st_mtime < os.stat(source).st_mtime
    except OSError:  # no bytecode file (or the source is gone: then nothing is written either)
        return True


def write_missing(roots: Iterable[os.PathLike | str] | None = None,
                  modules: Mapping[str, ModuleType] | None = None) -> int:
    """Write the missing bytecode files of :func:`missing` (default ``roots``: :func:`venv_site_dirs` and,
    inside a virtual environment, :func:`package_dirs`; nothing when ``roots`` is None and Python writes
    bytecode itself).  Each file is written atomically (``py_compile`` writes a temporary file and renames
    it) with the timestamp check the import system uses; a source that does not compile or a folder that
    cannot be written is skipped.  Returns the number of files written."""
    if roots is None:
        if not sys.dont_write_bytecode:
            return 0
        roots = venv_site_dirs()
        roots = roots + package_dirs() if roots else ()
    written = 0
    for source, cached in missing(roots, modules):
        try:
            py_compile.compile(source, cfile=cached, doraise=True,
                               invalidation_mode=py_compile.PycInvalidationMode.TIMESTAMP)
        except (OSError, py_compile.PyCompileError, ValueError):
            continue
        if not _complete(cached):
            continue
        written += 1
    return written


def _complete(cached: str) -> bool:
    """Whether the bytecode file ``cached`` just written holds a whole code object; a truncated one is
    removed.  (``py_compile`` does not check that its one ``write`` call wrote everything: on a nearly full
    disk, or past a file-size limit, it renames a truncated file into place, which every later import of
    that module would fail to load with "marshal data too short".)"""
    import marshal

    try:
        with open(cached, "rb") as f:
            data = f.read()
        marshal.loads(data[16:])  # after the 16-byte header (PEP 552)
        return True
    except (OSError, EOFError, ValueError, TypeError):
        try:
            os.unlink(cached)
        except OSError:
            pass
        return False
