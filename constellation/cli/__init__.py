"""The ``constellation`` command line.

Each subcommand lives in its own module here (``track.py``, ``coverage.py``, ...) exposing
``register(subparsers)``, which adds its parser and sets ``func`` to a callable ``run(args) -> int``.
This module wires them together, turns errors into one clear line (a traceback only with ``--debug``) and
maps outcomes to exit codes: 0 success, 1 failure while running, 2 bad usage or bad input.
"""

from __future__ import annotations

import argparse
import importlib
import importlib.util
import sys
from collections.abc import Sequence

__all__ = ["main", "console_main", "UsageError", "SUBCOMMANDS"]

#: Subcommands in the order ``--help`` lists them; each is ``constellation.cli.<name>``.
SUBCOMMANDS = ("info", "design", "track", "passes", "contacts", "coverage", "dop", "bentpipe", "compare", "deploy",
               "search", "plot", "animate", "report", "compile")


class UsageError(Exception):
    """Bad arguments or unreadable input: reported as one line, exit code 2."""


def build_parser(argv: Sequence[str] | None = None) -> argparse.ArgumentParser:
    """The command's parser.  Given the arguments ``argv``, only the subcommand they name is imported (the
    others are placeholders, so the list of choices stays whole): a subcommand loads only what it uses."""
    chosen = _chosen(argv)
    parser = argparse.ArgumentParser(
        prog="constellation",
        description="Track satellite constellations and compute their ground coverage. "
                    "With no element file, every subcommand uses the shipped Jinan-368 plan.",
        epilog="Run 'constellation SUBCOMMAND --help' for each subcommand's options and an example.",
    )
    parser.add_argument("--debug", action="store_true", help="show full tracebacks on errors")
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="SUBCOMMAND")
    for name in SUBCOMMANDS:
        modname = f"{__name__}.{name}"
        if chosen is not None and name != chosen:
            sub.add_parser(name)  # never parsed: the arguments name another subcommand
        elif importlib.util.find_spec(modname) is not None:
            importlib.import_module(modname).register(sub)
    return parser


def _chosen(argv: Sequence[str] | None) -> str | None:
    """The subcommand ``argv`` names (its first argument that is not an option), or None (then every
    subcommand is registered, for the help listing or argparse's own error); ``""`` for ``--version``,
    which needs none."""
    for arg in argv or ():
        if arg in ("-h", "--help"):  # the help lists every subcommand
            return None
        if arg == "--version":
            return ""
        if not arg.startswith("-"):
            return arg if arg in SUBCOMMANDS else None
    return None


def _version() -> str:
    from ..version import __version__

    return f"constellation {__version__}"


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``constellation`` command; returns the exit code.  On its way out it writes the
    bytecode of the installed libraries it used where Python was told not to (:mod:`constellation.bytecode`)."""
    import warnings

    shown = warnings.formatwarning
    warnings.formatwarning = _warning_line
    try:
        return _main(argv)
    finally:
        warnings.formatwarning = shown
        _write_bytecode()


def _warning_line(message, category, filename, lineno, line=None) -> str:  # noqa: ARG001 - warnings' signature
    """Warnings as the command's own messages: ``warning: <text>`` on one line, not the source line that
    raised them."""
    text = " ".join(str(message).split())
    return f"warning: {text}\n"


def console_main() -> None:
    """The ``constellation`` console script and ``python -m constellation``: :func:`main`, then the process
    ends with its exit code.

    It ends without the interpreter's teardown, which frees every module, and numba's and LLVM's compiled
    code, one object at a time (about a third of a second after a coverage run, as long as the numba
    kernels take to load): the pool of kernel threads is stopped, the ``atexit`` handlers run and the
    standard streams are flushed, as at a normal exit, then :func:`os._exit`.  Every file the command
    writes is complete and closed before :func:`main` returns.  Where a thread other than the kernel pool
    still runs (a library's, after a ``--scheduler`` run, for instance), the process exits the usual way.
    """
    code = main()
    _exit_now(code)


def _exit_now(code: int) -> None:
    import atexit
    import os
    import threading

    parallel = sys.modules.get("constellation.kernels.parallel")
    if parallel is not None:
        parallel.shutdown()
    others = [t for t in threading.enumerate() if t is not threading.current_thread() and not t.daemon]
    run_exitfuncs = getattr(atexit, "_run_exitfuncs", None)
    if others or run_exitfuncs is None:
        sys.exit(code)
    run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe or stream: nothing more can reach it
            pass
    os._exit(code)


def _write_bytecode() -> None:
    if sys.dont_write_bytecode:
        try:
            from ..bytecode import write_missing

            write_missing()
        except Exception:  # noqa: BLE001 - a cache; never what a command fails of
            pass


def _main(argv: Sequence[str] | None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except KeyboardInterrupt:
        print("constellation: interrupted", file=sys.stderr)
        return 1
    except BrokenPipeError:  # stdout's reader left (``| head``): nothing to report, and nothing more to print
        import os

        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    except Exception as exc:  # one clear line unless --debug
        if args.debug:
            raise
        from ..checks import sanitize
        from ..errors import is_input_error

        kind = type(exc).__name__
        # one line, whatever the message quotes from a file (control characters shown escaped)
        print(f"constellation {args.command}: error: {sanitize(exc)}" + ("" if is_input_error(exc) else f" ({kind})"),
              file=sys.stderr)
        return 2 if (isinstance(exc, UsageError) or is_input_error(exc)) else 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
