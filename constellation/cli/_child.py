"""A helper process forked when a command starts, which loads libraries on the other core and later serves
one request: the coverage command builds its result's Dataset and writes the file there.

xarray and the NetCDF writer (with pandas and HDF5) take about 0.4 s of CPU to import, a quarter of the
default warm run's 1.6 s.  Imported in a thread of the command's process they run beside the numba kernels,
which keep every core busy, and take that time from them (on a 2-core machine, about 0.15 s of the run).  A
process forked at the start, before numba loads (a fork of a small, single-threaded process, a few
milliseconds), imports them on the other core while the command imports numba, loads its kernels and makes
its plan: Python work, on one core.  Then it waits; the command computes with every core to itself, sends
the request (the result's :class:`~constellation.formats.DatasetParts`, which pickle without xarray) through
a pipe, and the child serves it and sends back the answer, or the exception it raised, which the command
raises again (the same error line, the same exit code).

Files stay complete or absent as before: the child writes them atomically
(:func:`constellation.atomic.write_atomically`).  A command that fails before it sends its request closes
the pipe, and the child ends without doing anything; so does one whose command is killed (the pipe closes
with the process).  A child that ends without answering is reported by the command as an error.

Only where the fork is safe and cheap: on Linux, from a process that runs no other thread and has not
loaded numba, and where the libraries are not loaded already.  ``CONSTELLATION_NO_FORK=1`` turns it off
(the command then loads them in a thread, :func:`constellation.cli._common.import_in_background`).
"""

from __future__ import annotations

import os
import pickle
import sys
import threading
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["Child", "start", "usable"]


class Child:
    """The parent's handle of a forked helper: :meth:`call` once, or :meth:`close` to let it go."""

    def __init__(self, pid: int, to_child: int, from_child: int):
        self.pid = pid
        self._to = to_child
        self._from = from_child
        self._done = False

    def call(self, request: Any) -> Any:
        """Send ``request`` and wait for the answer; return it, or raise the exception the child raised (a
        RuntimeError where it ended without answering)."""
        if self._done:
            raise RuntimeError("the helper process has already served its request")
        self._done = True
        try:
            with os.fdopen(self._to, "wb") as f:
                pickle.dump(request, f, protocol=pickle.HIGHEST_PROTOCOL)
        except BrokenPipeError:
            pass  # the child is gone: reported below
        with os.fdopen(self._from, "rb") as g:
            try:
                status, payload = pickle.load(g)
            except (EOFError, pickle.UnpicklingError):
                status, payload = None, None
        if status is None:  # it closed the pipe without answering: it has ended
            raise RuntimeError(f"the helper process ended without answering ({_ended(_wait(self.pid, 0))})")
        # after answering, it writes the bytecode of what it imported (a first run) and ends: the command
        # does not wait for that (reaped now if done; otherwise the zombie goes when the command ends)
        _wait(self.pid, os.WNOHANG)
        if status == "error":
            raise payload
        return payload

    def close(self) -> None:
        """Let the child go without a request (it ends when it sees the pipe closed); nothing once
        :meth:`call` has run."""
        if self._done:
            return
        self._done = True
        for fd in (self._to, self._from):
            try:
                os.close(fd)
            except OSError:
                pass
        _wait(self.pid, os.WNOHANG)  # reaped now if already gone; else init reaps it


def _wait(pid: int, options: int) -> int | None:
    """``os.waitpid``'s status, or None where the child was reaped already (``SIGCHLD`` ignored)."""
    try:
        return os.waitpid(pid, options)[1]
    except ChildProcessError:
        return None


def _ended(wait_status: int | None) -> str:
    if wait_status is None:
        return "its exit status was not kept"
    if os.WIFSIGNALED(wait_status):
        return f"killed by signal {os.WTERMSIG(wait_status)}"
    return f"exit status {os.waitstatus_to_exitcode(wait_status)}"


def usable(preload: Sequence[str] = ()) -> bool:
    """Whether :func:`start` would fork here (see the module docstring)."""
    return (sys.platform.startswith("linux") and hasattr(os, "fork")
            and os.environ.get("CONSTELLATION_NO_FORK", "") in ("", "0")
            and "numba" not in sys.modules and threading.active_count() == 1
            and not all(name in sys.modules for name in preload))


def start(serve: Callable[[Any], Any], preload: Sequence[str] = ()) -> Child | None:
    """Fork a child that imports the modules ``preload`` now and, once sent a request, returns
    ``serve(request)``; None where :func:`usable` says no (the caller then does the work itself)."""
    if not usable(preload):
        return None
    for stream in (sys.stdout, sys.stderr):  # nothing buffered may be printed twice
        try:
            stream.flush()
        except (OSError, ValueError):
            pass
    r_req, w_req = os.pipe()
    r_ans, w_ans = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: never returns
        os.close(w_req)
        os.close(r_ans)
        _child_main(serve, preload, r_req, w_ans)
    os.close(r_req)
    os.close(w_ans)
    return Child(pid, w_req, r_ans)


def _child_main(serve: Callable[[Any], Any], preload: Sequence[str], r_req: int, w_ans: int) -> None:
    code = 0
    try:
        import importlib

        for name in preload:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - serve() meets the same error, and reports it
                break
        with os.fdopen(r_req, "rb") as f:
            try:
                request = pickle.load(f)
            except EOFError:  # no request: the command failed, or has gone
                os._exit(0)
        try:
            answer = ("ok", serve(request))
        except BaseException as exc:  # noqa: BLE001 - sent to the command, which raises it
            answer = ("error", exc)
        with os.fdopen(w_ans, "wb") as g:
            try:
                data = pickle.dumps(answer, protocol=pickle.HIGHEST_PROTOCOL)
            except Exception:  # noqa: BLE001 - an exception that does not pickle: its type and message
                exc = answer[1]
                data = pickle.dumps(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
            g.write(data)
        if sys.dont_write_bytecode:  # the libraries this process imported, as the command does on its way out
            from ..bytecode import write_missing

            write_missing()
    except BaseException:  # noqa: BLE001 - a closed pipe, Ctrl-C: the command reports what it saw
        code = 1
    finally:
        os._exit(code)
