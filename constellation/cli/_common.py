"""What the subcommands share: reading the element set (or the shipped plan), selecting satellites,
and parsing regions and grids from the command line (sites: :func:`constellation.sites.parse_site`).
Every error is a ``ValueError`` or ``FileNotFoundError`` whose text names the option and what was wrong,
so it prints as one line, exit 2.
"""

from __future__ import annotations

import contextlib
import math
import os
import sys
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np

from ..staleness import STALE_DAYS, stale_elements_message

__all__ = ["load_elements", "select", "start_time", "output_checked", "folder_checked", "window_options",
           "positive_duration", "warn_far_epochs", "STALE_DAYS", "parse_region", "build_grid", "modules_hidden",
           "import_in_background", "with_run_note", "percent", "span_text"]


@contextlib.contextmanager
def modules_hidden(names: Sequence[str]) -> Iterator[None]:
    """Within the block, the modules ``names`` look absent to this process unless already imported
    (``sys.modules[name] = None``, so importing them raises ImportError and ``importlib.util.find_spec``
    finds nothing): libraries that import them only to see whether they are installed skip them.  xarray
    does that with dask (and dask's ``distributed``) whenever it builds a Dataset or writes a file, which
    costs a command that does not use dask a quarter of a second."""
    hidden = [n for n in names if n not in sys.modules]
    for n in hidden:
        sys.modules[n] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        for n in hidden:
            if sys.modules.get(n, 0) is None:
                del sys.modules[n]


def import_in_background(*names: str, after: threading.Event | None = None,
                         wait_s: float = 30.0) -> threading.Thread:
    """Start importing the modules ``names`` in a daemon thread, so that they load while this one computes
    (the kernels release the GIL); a later ``import`` of one of them waits for the thread to finish it.
    Errors are left for that later import to raise.

    With ``after``, the thread waits for that event first (at most ``wait_s`` seconds): imports are Python
    work, which holds the GIL, and beside this thread's own Python work they would only take turns with it
    (the default coverage day's command line is about 10 % faster with ``after`` set to
    :data:`constellation.runners.COMPUTING` than importing at once).  An import this thread has not begun
    is done by the first importer that needs the module."""

    def work() -> None:
        import importlib

        if after is not None:
            after.wait(wait_s)
        for name in names:
            try:
                importlib.import_module(name)
            except Exception:  # noqa: BLE001 - the importer that needs the module reports it
                return

    t = threading.Thread(target=work, name="constellation-imports", daemon=True)
    t.start()
    return t


def load_elements(path: str | None, *, file_start: str = "median"):
    """Return ``(constellation, default_start, label)`` for an element file, or for the shipped Jinan-368
    plan when ``path`` is empty.

    ``default_start`` is the plan epoch for the plan; for a file, the median element epoch rounded down to
    the hour (``file_start="median"``) or the current time (``file_start="now"``).
    """
    from ..timescale import parse_time

    if not path:
        from .. import design

        plan = design.shipped_plan()
        return design.jinan368(), parse_time(plan.epoch), f"{plan.name} plan"
    from ..elements import load

    p = Path(path)
    if not p.exists():
        raise FileNotFoundError(f"element file {str(p)!r} does not exist")
    if p.is_dir():
        raise IsADirectoryError(f"element file {str(p)!r} is a directory")
    sats = load(p)
    if len(sats) == 0:
        raise ValueError(f"{p}: no element sets found (expected TLE, 3LE or OMM)")
    if file_start == "now":
        return sats, parse_time("now"), str(p)
    epochs = np.sort(sats.epochs)
    median = epochs[(epochs.size - 1) // 2]
    return sats, median.astype("datetime64[h]").astype("datetime64[ns]"), str(p)


def warn_far_epochs(sats, start, stop=None, *, file=None) -> str | None:
    """Print (to stderr) and return a warning when some element epochs lie more than :data:`STALE_DAYS`
    from the window ``start .. stop`` (UTC ``datetime64``), or None when all are near
    (:func:`constellation.staleness.stale_elements_message`: the API's rule too)."""
    if len(sats) == 0:
        return None
    text = stale_elements_message(sats, start, stop)
    if text is None:
        return None
    msg = f"warning: {text}"
    print(msg, file=sys.stderr if file is None else file)
    return msg


def output_checked(output: str) -> str:
    """The ``--output`` option checked before any work: a format the writers know (NetCDF or Zarr, by
    extension: :func:`constellation.io.output_format`, returned) and an existing folder."""
    from ..io import output_format

    fmt = output_format(output)
    folder_checked(output)
    return fmt


def folder_checked(path: str | os.PathLike, option: str = "--output") -> Path:
    """``path`` (returned as a Path) if the folder it goes in exists; otherwise a FileNotFoundError that
    names ``option``: checked before any work, so a wrong folder fails at once."""
    out_dir = Path(path).resolve().parent
    if not out_dir.is_dir():
        raise FileNotFoundError(f"{option}: folder {str(out_dir)!r} does not exist")
    return Path(path)


def window_options(duration: str, step: str) -> tuple[float, float]:
    """``--duration`` and ``--step`` in seconds, both positive (errors name the options)."""
    from ..timescale import parse_duration

    try:
        duration_s, step_s = parse_duration(duration), parse_duration(step)
    except ValueError as exc:
        raise ValueError(f"--duration/--step: {exc}") from None
    if step_s <= 0 or duration_s <= 0:
        raise ValueError(f"--duration and --step must be positive, got {duration!r} and {step!r}")
    return duration_s, step_s


def positive_duration(text: str, option: str = "--duration") -> float:
    """A duration option in seconds, positive (errors name the option)."""
    from ..timescale import parse_duration

    try:
        seconds = parse_duration(text)
    except ValueError as exc:
        raise ValueError(f"{option}: {exc}") from None
    if seconds <= 0:
        raise ValueError(f"{option} must be positive, got {text!r}")
    return seconds


def percent(fraction: float, decimals: int = 1) -> str:
    """``fraction`` (0..1) as a percentage with ``decimals`` decimals, without the sign, that never rounds
    to 0 or 100 unless it is (within 1e-12): ``"<0.1"`` and ``">99.9"`` instead, so that a summary cannot
    say 100 % of the time where a figure beside it shows otherwise."""
    f = float(fraction)
    if not math.isfinite(f):
        return "nan"
    step = 10.0 ** -decimals
    text = f"{100.0 * f:.{decimals}f}"
    if 1e-12 < f and float(text) == 0.0:
        return f"<{step:.{decimals}f}"
    if f < 1.0 - 1e-12 and float(text) >= 100.0:
        return f">{100.0 - step:.{decimals}f}"
    return text


def span_text(seconds: float) -> str:
    """A time span as a summary prints it: minutes below 2 hours, hours below 2 days, days beyond."""
    s = float(seconds)
    if not math.isfinite(s):
        return "nan"
    if s < 7200.0:
        return f"{s / 60.0:.1f} min"
    if s < 172800.0:
        return f"{s / 3600.0:.2f} h"
    return f"{s / 86400.0:.2f} d"


def with_run_note(text: str, run_s: float | None = None, output: str | None = None) -> str:
    """A subcommand's summary ``text`` followed by its run time and output file, where given."""
    tail = []
    if run_s is not None:
        tail.append(f"Run time {run_s:.1f} s")
    if output:
        tail.append(f"written to {output}")
    return text + (" " + ", ".join(tail) + "." if tail else "")


def start_time(text: str | None, default):
    """The ``--start`` option: ``text`` parsed as a UTC time, or ``default`` when it is empty; a bad time is
    an error naming the option."""
    if not text:
        return default
    from ..timescale import parse_time

    try:
        return parse_time(text)
    except (ValueError, TypeError) as exc:
        raise ValueError(f"--start: {exc}") from None


def select(sats, groups: Sequence[str] | str | None = None, launched: bool = False):
    """Keep the satellites of ``groups`` (names, each possibly comma-separated) and, with ``launched``,
    only launched ones; an unknown group or an empty result is an error naming the option."""
    if groups is not None and len(groups):
        # one syntax everywhere: names separated by spaces, by commas or given in repeated options
        wanted = [g.strip() for item in ([groups] if isinstance(groups, str) else groups)
                  for g in str(item).split(",") if g.strip()]
        if not wanted:
            raise ValueError(f"--group: expected one or more group names, got {groups!r}")
        present = list(dict.fromkeys(str(g) for g in sats.groups))
        missing = [g for g in wanted if g not in present]
        if missing:
            raise ValueError(f"--group: no satellites in group(s) {', '.join(missing)}; groups present: "
                             f"{', '.join(g or '(none)' for g in present)}")
        sats = sats.select(group=wanted)
    if launched:
        sats = sats.select(launched=True)
        if len(sats) == 0:
            raise ValueError("--launched: none of the selected satellites is launched")
    return sats


def parse_region(text: str, option: str = "--region") -> tuple[tuple[float, float], tuple[float, float]]:
    """``"S,N,W,E"`` (degrees) -> ``((S, N), (W, E))``; W > E crosses the antimeridian."""
    parts = [p.strip() for p in str(text).split(",")]
    try:
        if len(parts) != 4:
            raise ValueError
        s, n, w, e = (float(p) for p in parts)
    except ValueError:
        raise ValueError(f"{option}: expected S,N,W,E in degrees (e.g. 20,55,70,140), got {text!r}") from None
    if not (-90 <= s < n <= 90):
        raise ValueError(f"{option}: latitudes must satisfy -90 <= S < N <= 90, got S={s:g}, N={n:g}")
    if not (-180 <= w <= 180 and -180 <= e <= 180) or w == e:
        raise ValueError(f"{option}: longitudes W and E must differ and lie in [-180, 180], "
                         f"got W={w:g}, E={e:g}")
    return (s, n), (w, e)


def build_grid(grid_deg: float, *, region: str | None = None, sites: str | None = None,
               equal_area: bool = False):
    """The grid the options describe: sites from a CSV file, a regional box, an equal-area grid, or (the
    default) a regular global grid of ``grid_deg`` degrees."""
    from .. import grid as G

    chosen = [o for o, v in (("--sites", sites), ("--region", region), ("--equal-area", equal_area)) if v]
    if len(chosen) > 1:
        raise ValueError(f"choose one of --sites, --region, --equal-area (got {' and '.join(chosen)})")
    if not (grid_deg > 0 and math.isfinite(grid_deg)):
        raise ValueError(f"--grid-deg must be a positive number of degrees, got {grid_deg:g}")
    if sites:
        return G.points_from_csv(Path(sites))
    if region:
        if "," not in region:  # a country name or code, or a GeoJSON file (constellation.regions)
            from .. import regions

            return regions.region_grid(regions.load(region), grid_deg)
        lat, lon = parse_region(region)
        return G.region(lat=lat, lon=lon, res_deg=grid_deg)
    if equal_area:
        return G.equal_area(grid_deg)
    try:
        return G.global_grid(grid_deg)
    except ValueError as exc:
        raise ValueError(f"--grid-deg: {exc}") from None
